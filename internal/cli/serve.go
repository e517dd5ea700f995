package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/wire"
	"net"
	"os"
	"time"

	"github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/server"
	"github.com/ecrm/ecrm/internal/tracking"
	"github.com/ecrm/ecrm/internal/webhook"
)

// runServe runs `ecrm serve`, and `ecrm demo` which first fills a fresh
// database (temporary unless --db is given) with demo data.
func runServe(ctx context.Context, env Env, args []string, demo bool) error {
	name := "serve"
	if demo {
		name = "demo"
	}
	c := newFlags(name, env)
	c.withAddr()
	contacts := c.fs.Int("contacts", 2000, "demo: how many contacts to generate")
	seedFlag := c.fs.Uint64("seed", 1, "demo: generator seed (same seed, same data)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageError("unexpected argument %q", c.fs.Arg(0))
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	log := cfg.logger(env.Stderr)
	if demo && c.db == "" && env.Getenv("ECRM_DB") == "" {
		dir, err := os.MkdirTemp("", "ecrm-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DB = "sqlite:" + dir + "/demo.db"
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	var login *demoLogin
	if demo {
		start := time.Now()
		if login, err = seedDemo(ctx, db, *contacts, *seedFlag); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data ready", "contacts", *contacts, "took", time.Since(start).Round(time.Millisecond))
	}
	secure := !isLoopback(cfg.Addr)
	if cfg.SecureCookies != nil {
		secure = *cfg.SecureCookies
	}
	durability, err := tracking.ParseDurability(cfg.CollectDurability)
	if err != nil {
		return usageError("ECRM_COLLECT_DURABILITY (collect_durability) must be spool or commit, not %q", cfg.CollectDurability)
	}
	srv, err := server.New(server.Config{Addr: cfg.Addr, DB: db, Logger: log, SecureCookies: secure, Version: Version,
		Tracking:     tracking.Options{IPRate: cfg.CollectIPRate, SiteRate: cfg.CollectSiteRate, Durability: durability, SpoolDir: cfg.CollectSpoolDir},
		MetricsToken: cfg.MetricsToken, MetricsAddr: cfg.MetricsAddr})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "ecrm %s listening on %s (database %s)\n", Version, srv.URL(), redact(cfg.DB))
	if login != nil {
		fmt.Fprintf(env.Stdout, "demo admin: %s\npassword:   %s\n(other demo users — %s — share that password)\n", login.Email, login.Password, login.Others)
	}
	// Webhooks: deliver the outbox while serving; stopped after the
	// HTTP server so requests in flight can still emit.
	hooks := webhook.NewWorker(db, webhook.Options{Logger: log, AllowPrivate: cfg.WebhookAllowPrivate})
	hooks.Start()
	if cfg.WebhookAllowPrivate {
		log.Warn("webhooks may call private and loopback addresses (webhook_allow_private)")
	}
	// Mail: the same sender answers the settings page's test button and
	// drains the outbox; stopped after the HTTP server too.
	sender := mail.NewSender(mail.Options{AllowPrivate: cfg.WebhookAllowPrivate, Logger: log})
	db.SetMailer(sender)
	mailer := mail.NewWorker(db, sender, mail.WorkerOptions{Logger: log, Registry: srv.Registry()})
	mailer.Start()
	// Scheduled jobs (score fits, segment refreshes, recommendations): one
	// server of several runs each, by lease.
	runner := jobs.New(db, jobs.Options{Logger: log})
	for _, j := range wire.Jobs(db) {
		runner.Add(j)
	}
	runner.Start()
	if env.Ready != nil {
		env.Ready(srv.URL())
	}
	select {
	case <-ctx.Done():
	case err := <-srv.Wait():
		if err != nil {
			return err
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	return errors.Join(err, runner.Stop(sctx), hooks.Stop(sctx), mailer.Stop(sctx))
}

// isLoopback: plain HTTP on the loopback interface is the one place
// where Secure cookies would break logging in; anywhere else they are on
// unless configured off.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
