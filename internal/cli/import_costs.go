package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/economics"
)

const importCostsUsage = "usage: ecrm import costs FILE.csv [--dry-run] [--minor-units] [--encoding utf-8|shift_jis|windows-1256]"

// errCostsRejected is the exit of a cost import with rejected lines,
// which stores nothing.
var errCostsRejected = errors.New("nothing was imported: fix the rejected lines and run the import again")

// runImportCosts imports a cost CSV (kind,key,date,amount[,currency,per,note]):
// acquisition spend per channel and month, product costs, and message and
// staff-time rates. Lines already stored are updated, so a second run of
// the same file changes nothing.
func runImportCosts(ctx context.Context, env Env, args []string) error {
	c := newFlags("import costs", env)
	dry := c.fs.Bool("dry-run", false, "check every line and count what would change, storing nothing")
	minor := c.fs.Bool("minor-units", false, "amounts are integers in minor units (cents), not decimals such as 1250.00")
	enc := c.fs.String("encoding", "", "CSV encoding: utf-8, shift_jis or windows-1256 (default: detect)")
	var files []string
	for {
		if err := c.parse(args); err != nil {
			return err
		}
		if c.fs.NArg() == 0 {
			break
		}
		files = append(files, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageError("%s", importCostsUsage)
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
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", files[0], err)
	}
	defer f.Close()
	rep, err := economics.New(db).ImportCosts(system(ctx), f, crm.CostImportOptions{DryRun: *dry, MinorUnits: *minor, Encoding: *enc})
	if err != nil {
		return err
	}
	for _, r := range rep.Rejected {
		if r.Field == "" {
			fmt.Fprintf(env.Stderr, "line %d: %s\n", r.Line, r.Reason)
		} else {
			fmt.Fprintf(env.Stderr, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
		}
	}
	if len(rep.Rejected) > 0 {
		return errCostsRejected
	}
	verb := "imported"
	if rep.DryRun {
		verb = "checked (dry run, nothing stored)"
	}
	fmt.Fprintf(env.Stdout, "%s costs: %d lines, %d new, %d updated, %d unchanged\n", verb, rep.FileLines, rep.Created, rep.Updated, rep.Unchanged)
	return nil
}
