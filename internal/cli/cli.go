// Package cli is the ecrm command: it parses arguments and configuration
// and runs subcommands. main only calls Run, so end-to-end tests drive the
// same code with their own arguments, environment and output.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// Version is set at build time with -ldflags "-X ...cli.Version=…".
var Version = "dev"

// Env is the process environment a command sees.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Ready, if set, receives the base URL once a server listens (tests).
	Ready func(url string)
}

const usage = `ecrm — customer relationship management for online businesses

Usage:
  ecrm serve   [--addr 127.0.0.1:8080] [--db sqlite:ecrm-data/ecrm.db] [--config ecrm.toml]
  ecrm demo    [--addr …] [--db …] [--contacts 2000]
  ecrm migrate [--db …] [--status]
  ecrm user add --email E --role R [--name N] [--password-stdin]
  ecrm apikey create --name N --scope S [--scope S …]
  ecrm import contacts|companies|consents FILE.csv [--encoding utf-8|shift_jis|windows-1256]
  ecrm import orders FILE [--format csv|cdnow] [--map field=Header,…] [--minor-units]
  ecrm export DIR
  ecrm restore DIR
  ecrm backup FILE
  ecrm version

Every command takes --db and --config. Precedence: flags, then ECRM_* environment
variables (ECRM_ADDR, ECRM_DB, ECRM_SECURE_COOKIES, ECRM_LOG_LEVEL), then the TOML
file, then defaults. Roles: admin, manager, sales, support, marketing, read-only.
Scopes: RESOURCE:read, RESOURCE:write or *.
Webhooks never call private, loopback or link-local addresses unless
ECRM_WEBHOOK_ALLOW_PRIVATE=1 (TOML webhook_allow_private = true); the same switch
lets the SMTP host be such an address (a relay on this host or network).
The tracking endpoint limits requests per client IP and per site key:
ECRM_COLLECT_IP_RATE, ECRM_COLLECT_SITE_RATE (per second; negative: off).
/metrics asks for a bearer token when ECRM_METRICS_TOKEN is set, and moves
to a listener of its own with --metrics-addr (ECRM_METRICS_ADDR).
`

// Run executes one command line.
func Run(ctx context.Context, env Env) error {
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	cmd, rest := env.Args[0], env.Args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, env, rest, false)
	case "demo":
		return runServe(ctx, env, rest, true)
	case "migrate":
		return runMigrate(ctx, env, rest)
	case "user":
		return runUser(ctx, env, rest)
	case "apikey":
		return runAPIKey(ctx, env, rest)
	case "import":
		// Historical orders (import_orders.go).
		if len(rest) > 0 && rest[0] == "orders" {
			return runImportOrders(ctx, env, rest[1:])
		}
		return runImport(ctx, env, rest)
	case "export":
		return runExport(ctx, env, rest)
	case "restore":
		return runRestore(ctx, env, rest)
	case "backup":
		return runBackup(ctx, env, rest)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "ecrm", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	return usageError("unknown command %q; run `ecrm help`", cmd)
}

// UsageError is a mistake in the command line; main exits 2 for it.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &UsageError{fmt.Sprintf(format, args...)}
}

// config is the merged configuration.
type config struct {
	Addr          string `toml:"addr"`
	DB            string `toml:"db"`
	SecureCookies *bool  `toml:"secure_cookies"`
	LogLevel      string `toml:"log_level"`
	LogFormat     string `toml:"log_format"`
	// Webhooks: let deliveries reach private and loopback addresses
	// (self-hosted setups calling internal services). Off by default.
	WebhookAllowPrivate bool `toml:"webhook_allow_private"`
	// Tracking: requests per second allowed to one client IP and to one
	// site key at /t/collect (0: the defaults, negative: no limit). Behind
	// a proxy every visitor has the proxy's address: raise the IP limit.
	CollectIPRate   float64 `toml:"collect_ip_rate"`
	CollectSiteRate float64 `toml:"collect_site_rate"`
	// Metrics: a bearer token /metrics asks for, and/or a listen address
	// of its own so it is not served beside the console.
	MetricsToken string `toml:"metrics_token"`
	MetricsAddr  string `toml:"metrics_addr"`
}

// common are the flags every command shares.
type common struct {
	fs         *flag.FlagSet
	configPath string
	addr       string
	db         string
	secure     string
	// metricsAddr is serve's --metrics-addr.
	metricsAddr string
}

func newFlags(name string, env Env) *common {
	c := &common{fs: flag.NewFlagSet("ecrm "+name, flag.ContinueOnError)}
	c.fs.SetOutput(env.Stderr)
	c.fs.StringVar(&c.configPath, "config", "", "TOML configuration `file`")
	c.fs.StringVar(&c.db, "db", "", "database: sqlite:PATH or postgres://… (env ECRM_DB)")
	return c
}

func (c *common) withAddr() {
	c.fs.StringVar(&c.addr, "addr", "", "listen `address` (env ECRM_ADDR, default 127.0.0.1:8080)")
	c.fs.StringVar(&c.secure, "secure-cookies", "", "mark cookies Secure: true, false or auto (env ECRM_SECURE_COOKIES)")
	c.fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this `address` only (env ECRM_METRICS_ADDR)")
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	return nil
}

// resolve merges flags > env > file > defaults.
func (c *common) resolve(env Env) (config, error) {
	cfg := config{Addr: "127.0.0.1:8080", DB: "sqlite:ecrm-data/ecrm.db", LogLevel: "info", LogFormat: "text"}
	path := c.configPath
	if path == "" {
		path = env.Getenv("ECRM_CONFIG")
	}
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return cfg, usageError("config %s: %v", path, err)
		}
		if un := md.Undecoded(); len(un) > 0 {
			return cfg, usageError("config %s: unknown key %q", path, un[0].String())
		}
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{{"ECRM_ADDR", &cfg.Addr}, {"ECRM_DB", &cfg.DB}, {"ECRM_LOG_LEVEL", &cfg.LogLevel}, {"ECRM_LOG_FORMAT", &cfg.LogFormat},
		{"ECRM_METRICS_TOKEN", &cfg.MetricsToken}, {"ECRM_METRICS_ADDR", &cfg.MetricsAddr}} {
		if v := env.Getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	// Webhooks: ECRM_WEBHOOK_ALLOW_PRIVATE turns the SSRF guard off.
	if v := strings.ToLower(env.Getenv("ECRM_WEBHOOK_ALLOW_PRIVATE")); v != "" {
		cfg.WebhookAllowPrivate = v == "1" || v == "true" || v == "yes"
	}
	// Tracking: ECRM_COLLECT_IP_RATE and ECRM_COLLECT_SITE_RATE.
	for _, e := range []struct {
		name string
		dst  *float64
	}{{"ECRM_COLLECT_IP_RATE", &cfg.CollectIPRate}, {"ECRM_COLLECT_SITE_RATE", &cfg.CollectSiteRate}} {
		if v := env.Getenv(e.name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return cfg, usageError("%s must be a number of requests per second, not %q", e.name, v)
			}
			*e.dst = f
		}
	}
	secure := env.Getenv("ECRM_SECURE_COOKIES")
	if c.addr != "" {
		cfg.Addr = c.addr
	}
	if c.db != "" {
		cfg.DB = c.db
	}
	if c.metricsAddr != "" {
		cfg.MetricsAddr = c.metricsAddr
	}
	if c.secure != "" {
		secure = c.secure
	}
	switch strings.ToLower(secure) {
	case "", "auto":
	case "true", "1", "yes":
		cfg.SecureCookies = ptr(true)
	case "false", "0", "no":
		cfg.SecureCookies = ptr(false)
	default:
		return cfg, usageError("secure-cookies must be true, false or auto, not %q", secure)
	}
	return cfg, nil
}

func ptr[T any](v T) *T { return &v }

func (cfg config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database and applies migrations.
func openDB(ctx context.Context, cfg config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redact(cfg.DB), err)
	}
	return db, nil
}

// redact hides a password in a database URL for messages.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon] + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

// system is the context the CLI acts in: an operator at the console of
// the machine may do everything, and the audit log says "system".
func system(ctx context.Context) context.Context {
	return crm.WithActor(ctx, crm.SystemActor)
}

// Main is what cmd/ecrm calls; it returns the process exit code.
func Main(ctx context.Context, env Env) int {
	err := Run(ctx, env)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(env.Stderr, "ecrm:", err)
		return 2
	}
	fmt.Fprintln(env.Stderr, "ecrm:", describe(err))
	return 1
}

// describe prints a domain error with its field messages.
func describe(err error) string {
	fields := crm.FieldErrors(err)
	if len(fields) == 0 {
		if crm.ErrorCode(err) == crm.EINTERNAL {
			return err.Error()
		}
		return crm.ErrorMessage(err)
	}
	var b strings.Builder
	b.WriteString(crm.ErrorMessage(err))
	for _, f := range fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, enMessage(f))
	}
	return b.String()
}
