package transfer_test

import (
	"context"
	"testing"

	"github.com/ecrm/ecrm/internal/store"
)

func init() { fillParts = append(fillParts, fillAggregate) }

// fillAggregate fills the aggregate tables of migration 0015 (segments,
// their members and changes). It writes rows directly until the segment
// service exists; score runs are filled by fillScores
// (scores_dump_test.go) through the score job.
func fillAggregate(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		now := store.MS(tx.Now())
		var id int64
		if err := tx.QueryRowContext(context.Background(), `INSERT INTO segments (name, kind, definition, member_count, created_at, updated_at) VALUES ('VIP', 'static', '', 1, $1, $1) RETURNING id`, now).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(context.Background(), `INSERT INTO segment_members (segment_id, contact_id, added_at) VALUES ($1, $2, $3)`, id, contactID, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(context.Background(), `INSERT INTO segment_changes (segment_id, contact_id, change, at) VALUES ($1, $2, 'entered', $3)`, id, contactID, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
