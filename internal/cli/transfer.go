package cli

import (
	"context"
	"fmt"

	"github.com/ecrm/ecrm/internal/transfer"
	"github.com/ecrm/ecrm/internal/wire"
)

func runImport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || (args[0] != "contacts" && args[0] != "companies" && args[0] != "consents") {
		return usageError("usage: ecrm import contacts|companies|consents FILE.csv [--encoding …]")
	}
	c := newFlags("import "+args[0], env)
	enc := c.fs.String("encoding", "", "file encoding: utf-8, shift_jis or windows-1256 (default: detect)")
	entity := map[string]string{"contacts": "contact", "companies": "company"}[args[0]]
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("usage: ecrm import %s FILE.csv", args[0])
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
	t := transfer.New(wire.Services(db), db)
	if args[0] == "consents" {
		rep, err := t.ImportConsentFile(system(ctx), c.fs.Arg(0), *enc, env.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "imported consents: %d entries recorded, %d lines rejected\n", rep.Recorded, len(rep.Rejected))
		if rep.StoppedAt > 0 {
			// A partial import is a failure for scripts: the entries
			// before the line are kept (the ledger is append-only), the
			// rest of the file was never read.
			return fmt.Errorf("stopped at line %d: the rest of the file was not imported", rep.StoppedAt)
		}
		return nil
	}
	rep, err := t.ImportFile(system(ctx), entity, c.fs.Arg(0), *enc, env.Stderr)
	if err != nil {
		return err
	}
	// Lines, not reasons: a line with two problems is counted once.
	fmt.Fprintf(env.Stdout, "imported %s: %d created, %d updated, %d skipped, %d lines rejected\n", args[0], rep.Created, rep.Updated, rep.Skipped, rep.RejectedLines())
	if rep.Created+rep.Updated+rep.Skipped == 0 && rep.RejectedLines() > 0 {
		return fmt.Errorf("nothing was imported: every line was rejected")
	}
	return nil
}

func runExport(ctx context.Context, env Env, args []string) error {
	c := newFlags("export", env)
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("usage: ecrm export DIR")
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
	if err := transfer.New(wire.Services(db), db).ExportDir(system(ctx), c.fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "exported every table to %s (see README.md there)\n", c.fs.Arg(0))
	return nil
}

func runRestore(ctx context.Context, env Env, args []string) error {
	c := newFlags("restore", env)
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("usage: ecrm restore DIR")
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
	if err := transfer.New(wire.Services(db), db).RestoreDir(system(ctx), c.fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s into %s\n", c.fs.Arg(0), redact(cfg.DB))
	return nil
}
