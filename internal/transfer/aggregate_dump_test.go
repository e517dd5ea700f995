package transfer_test

import (
	"context"
	"testing"

	"github.com/ecrm/ecrm/internal/store"
)

func init() { fillParts = append(fillParts, fillAggregate) }

// fillAggregate fills score_runs of migration 0015. It writes rows
// directly until the score service exists; segments are filled through
// their service in segment_dump_test.go.
func fillAggregate(t *testing.T, db *store.DB, _ int64) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		now := store.MS(tx.Now())
		_, err := tx.ExecContext(context.Background(), `INSERT INTO score_runs (started_at, finished_at, as_of, status, customers, record) VALUES ($1, $1, '2026-01-01', 'ok', 1, '{}')`, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
