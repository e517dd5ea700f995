package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/wire"
)

const scoresUsage = "usage: ecrm scores recompute [--as-of YYYY-MM-DD] [--discount-rate 0.10] [--db …]"

// runScores is `ecrm scores recompute`: fit the customer value models now
// on the purchases up to --as-of (default today, UTC) and print the run
// record as JSON on stdout — the body of GET /api/v1/scores/runs/latest.
// A fit that cannot converge prints its record too (status "failed",
// the reason in "error") and exits 1; the previous scores stay.
func runScores(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "recompute" {
		return usageError("%s", scoresUsage)
	}
	c := newFlags("scores recompute", env)
	asOf := c.fs.String("as-of", "", "use the purchases up to this day, YYYY-MM-DD (default: today, UTC)")
	rate := c.fs.String("discount-rate", "", "annual discount rate of the 12-month CLV, 0..1, kept for later runs (default: the shop's, else 0.10)")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("unexpected argument %q\n%s", c.fs.Arg(0), scoresUsage)
	}
	opt := crm.ScoreOptions{AsOf: *asOf}
	if *asOf != "" {
		if _, err := time.Parse("2006-01-02", *asOf); err != nil {
			return usageError("--as-of must be a day written YYYY-MM-DD, not %q", *asOf)
		}
	}
	if *rate != "" {
		r, err := strconv.ParseFloat(*rate, 64)
		if err != nil || r < 0 || r > 1 {
			return usageError("--discount-rate must be a number from 0 to 1 (0.10 is 10 %% a year), not %q", *rate)
		}
		opt.DiscountRate = &r
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
	run, err := wire.Services(db).Scores.RecomputeScores(system(ctx), opt)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(run); err != nil {
		return err
	}
	if run.Status != "ok" {
		return fmt.Errorf("the models could not be fitted: %s (the previous scores were kept)", run.Message)
	}
	return nil
}
