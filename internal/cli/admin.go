package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/store"
)

// enMessage renders a field error in English for the terminal.
func enMessage(f crm.FieldError) string { return i18n.Get("en").FieldError(f) }

func runMigrate(ctx context.Context, env Env, args []string) error {
	c := newFlags("migrate", env)
	status := c.fs.Bool("status", false, "show applied and pending migrations without applying")
	if err := c.parse(args); err != nil {
		return err
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	db, err := store.OpenNoMigrate(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open database %s: %w", redact(cfg.DB), err)
	}
	defer db.Close()
	if !*status {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	applied, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: applied %v, pending %v\n", db.Engine(), applied, pending)
	return nil
}

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("usage: ecrm user add --email E --role R [--name N] [--password-stdin]")
	}
	c := newFlags("user add", env)
	email := c.fs.String("email", "", "the user's email (their login)")
	role := c.fs.String("role", "", "admin, manager, sales, support, marketing or read-only")
	name := c.fs.String("name", "", "display name")
	lang := c.fs.String("language", "en", "console language: en, fa or ja")
	stdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || *role == "" {
		return usageError("--email and --role are required")
	}
	if !crm.Role(*role).Valid() {
		return usageError("--role %q: use one of admin, manager, sales, support, marketing, read-only", *role)
	}
	var pw *string
	generated := false
	if *stdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return usageError("--password-stdin: no password on standard input")
		}
		p := strings.TrimRight(line, "\r\n")
		pw = &p
	} else {
		p := randomPassword()
		pw, generated = &p, true
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	r := crm.Role(*role)
	u, err := db.CreateUser(system(ctx), crm.UserInput{Email: email, Name: name, Role: &r, Language: lang, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created user %d %s (%s)\n", u.ID, u.Email, u.Role)
	if generated {
		fmt.Fprintf(env.Stdout, "password: %s\n", *pw)
	}
	return nil
}

// scopes collects repeated --scope flags.
type scopes []string

func (s *scopes) String() string { return strings.Join(*s, ",") }
func (s *scopes) Set(v string) error {
	*s = append(*s, strings.Fields(strings.ReplaceAll(v, ",", " "))...)
	return nil
}

func runAPIKey(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("usage: ecrm apikey create --name N --scope S [--scope S …]")
	}
	c := newFlags("apikey create", env)
	name := c.fs.String("name", "", "what the key is for")
	var sc scopes
	c.fs.Var(&sc, "scope", "a scope such as contacts:read, contacts:write or * (repeatable)")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	sc = append(sc, c.fs.Args()...) // `--scope a b` reads naturally too
	if *name == "" || len(sc) == 0 {
		return usageError("--name and at least one --scope are required")
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	k, secret, err := db.CreateAPIKey(system(ctx), *name, sc)
	if err != nil {
		return err
	}
	// The key alone on the first line, so scripts can take `| head -1`.
	fmt.Fprintln(env.Stdout, secret)
	fmt.Fprintf(env.Stdout, "API key %d %q with scopes %s — store it now, it is never shown again\n", k.ID, k.Name, strings.Join(k.Scopes, " "))
	return nil
}

func runBackup(ctx context.Context, env Env, args []string) error {
	c := newFlags("backup", env)
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("usage: ecrm backup FILE")
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, c.fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", c.fs.Arg(0))
	return nil
}
