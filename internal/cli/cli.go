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
	"slices"
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
  ecrm scores recompute [--as-of YYYY-MM-DD] [--discount-rate 0.10]
  ecrm import costs FILE.csv [--dry-run] [--minor-units]
  ecrm export DIR
  ecrm restore DIR
  ecrm backup FILE
  ecrm version

Every command takes --db, --config and --help, before or after its arguments
("--" ends the flags). Precedence: flags, then ECRM_* environment
variables (ECRM_ADDR, ECRM_DB, ECRM_SECURE_COOKIES, ECRM_LOG_LEVEL), then the TOML
file, then defaults. Roles: admin, manager, sales, support, marketing, read-only.
Scopes: RESOURCE:read, RESOURCE:write or *.
Webhooks never call private, loopback or link-local addresses unless
ECRM_WEBHOOK_ALLOW_PRIVATE=1 (TOML webhook_allow_private = true); the same switch
lets the SMTP host be such an address (a relay on this host or network).
The tracking endpoint limits requests per client IP and per site key:
ECRM_COLLECT_IP_RATE, ECRM_COLLECT_SITE_RATE (per second; negative: off).
It answers once events are durable: ECRM_COLLECT_DURABILITY=spool (fsync'd
to ECRM_COLLECT_SPOOL_DIR, one per server; the default on SQLite) or commit
(stored in the database; the default on PostgreSQL).
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
	// Commands made of two words (user add, import contacts) and version
	// have no flag set of their own to answer --help with.
	switch cmd {
	case "user", "apikey", "import", "scores", "version":
		if len(rest) > 0 && isHelp(rest[0]) {
			for _, l := range usageLines(cmd) {
				fmt.Fprintln(env.Stdout, "usage:", l)
			}
			if cmd != "version" {
				fmt.Fprintf(env.Stdout, "\nrun `ecrm %s SUBCOMMAND --help` for the flags of one\n", cmd)
			}
			return nil
		}
	}
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
		// Costs (import_costs.go).
		if len(rest) > 0 && rest[0] == "costs" {
			return runImportCosts(ctx, env, rest[1:])
		}
		return runImport(ctx, env, rest)
	case "scores":
		// Customer value models (scores.go).
		return runScores(ctx, env, rest)
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
	// Tracking: when /t/collect answers (spool or commit; "" is spool on
	// SQLite, commit on PostgreSQL) and this server's spool directory
	// (default on SQLite: beside the database file).
	CollectDurability string `toml:"collect_durability"`
	CollectSpoolDir   string `toml:"collect_spool_dir"`
	// Metrics: a bearer token /metrics asks for, and/or a listen address
	// of its own so it is not served beside the console.
	MetricsToken string `toml:"metrics_token"`
	MetricsAddr  string `toml:"metrics_addr"`
}

// common are the flags every command shares.
type common struct {
	fs         *flag.FlagSet
	name       string    // the subcommand, "import orders"
	stdout     io.Writer // where --help goes
	configPath string
	addr       string
	db         string
	secure     string
	// metricsAddr is serve's --metrics-addr.
	metricsAddr string
}

func newFlags(name string, env Env) *common {
	c := &common{fs: flag.NewFlagSet("ecrm "+name, flag.ContinueOnError), name: name, stdout: env.Stdout}
	// parse prints help and reports errors itself: flag would print an
	// error twice (once here, once from Main) and help to stderr.
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {}
	c.fs.StringVar(&c.configPath, "config", "", "TOML configuration `file`")
	c.fs.StringVar(&c.db, "db", "", "database: sqlite:PATH or postgres://… (env ECRM_DB)")
	return c
}

func (c *common) withAddr() {
	c.fs.StringVar(&c.addr, "addr", "", "listen `address` (env ECRM_ADDR, default 127.0.0.1:8080)")
	c.fs.StringVar(&c.secure, "secure-cookies", "", "mark cookies Secure: true, false or auto (env ECRM_SECURE_COOKIES)")
	c.fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this `address` only (env ECRM_METRICS_ADDR)")
}

// parse parses a subcommand's arguments, flags before or after the
// positional ones (see interspersed). --help and -h print the command's
// usage and flags to stdout and return flag.ErrHelp, which Main turns
// into exit status 0.
func (c *common) parse(args []string) error {
	err := c.fs.Parse(interspersed(c.fs, args))
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		c.help()
		return err
	}
	return usageError("%v\nusage: %s", err, strings.Join(usageLines(c.name), "\nusage: "))
}

func (c *common) help() {
	for _, l := range usageLines(c.name) {
		fmt.Fprintln(c.stdout, "usage:", l)
	}
	fmt.Fprintln(c.stdout, "\nflags:")
	c.fs.SetOutput(c.stdout)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

// interspersed returns args with every flag (and the value of a flag that
// takes one) moved ahead of the positional arguments, so that
// `ecrm export DIR --db X` means what it says: the standard flag package
// stops at the first positional argument. A flag takes the next argument
// as its value unless it is written --name=value or is a boolean flag
// (--status, --minor-units). "--" ends the flags: everything after it is
// positional, even when it starts with "-". The positional arguments are
// put after a "--" so that parsing them is never ambiguous. An unknown
// flag is kept as it is, so flag reports it.
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a) // includes "-", which names standard input by convention
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}

// usageLines returns the lines of the usage text that describe the
// subcommand name ("serve", "import orders", "import consents"), written
// "ecrm import contacts|companies|consents FILE.csv …" there; the text is
// the one place where a command's synopsis is written.
func usageLines(name string) []string {
	want := strings.Fields(name)
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		f := strings.Fields(l)
		if len(f) < 1+len(want) || f[0] != "ecrm" {
			continue
		}
		match := true
		for i, w := range want {
			if !slices.Contains(strings.Split(f[1+i], "|"), w) {
				match = false
				break
			}
		}
		if match {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
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
		{"ECRM_COLLECT_DURABILITY", &cfg.CollectDurability}, {"ECRM_COLLECT_SPOOL_DIR", &cfg.CollectSpoolDir},
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
