package transfer_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/scores"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillScores) }

// fillScores runs the score job on an order history, which writes a
// score run (exported) and contact_scores (derived, not exported).
func fillScores(t *testing.T, db *store.DB, _ int64) {
	t.Helper()
	storetest.OrderHistory(t, db, 30, time.Now().UTC())
	run, err := scores.New(db).RecomputeScores(storetest.System(), crm.ScoreOptions{})
	if err != nil || run.Status != "ok" {
		t.Fatalf("score run: %+v, %v", run, err)
	}
}

// TestRestoreRequestsScores: contact_scores is not in the export; a
// restore brings the runs back and asks the score job to refill the
// scores, and the refit on the restored orders finds the same model.
func TestRestoreRequestsScores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		fillScores(t, db, 0)
		want, err := scores.New(db).LatestScoreRun(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "export")
		if err := newTransfer(db).ExportDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		fresh := storetest.Open(t, db.Engine())
		if err := newTransfer(fresh).RestoreDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		var n, next int
		_ = fresh.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM contact_scores`).Scan(&n)
		if err := fresh.Read().QueryRowContext(context.Background(), `SELECT next_run_at FROM jobs WHERE name = $1`, crm.JobScores).Scan(&next); err != nil || next != 0 || n != 0 {
			t.Fatalf("after restore: %d scores, job next_run_at %d (%v); want none and a requested run", n, next, err)
		}
		svc := scores.New(fresh)
		got, err := svc.LatestScoreRun(ctx)
		if err != nil || got.ID != want.ID || got.BGNBD == nil || *got.BGNBD != *want.BGNBD {
			t.Fatalf("restored run %+v, want %+v (%v)", got, want, err)
		}
		again, err := svc.RecomputeScores(ctx, crm.ScoreOptions{AsOf: want.AsOf})
		if err != nil || again.Status != "ok" || again.Customers != want.Customers || again.BGNBD.LogLikelihood-want.BGNBD.LogLikelihood > 1e-6 ||
			want.BGNBD.LogLikelihood-again.BGNBD.LogLikelihood > 1e-6 {
			t.Errorf("refit after restore: %+v, want the model of %+v (%v)", again, want, err)
		}
	})
}
