package cli

import (
	"context"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/scores"
)

// seedScores runs the score job once on the demo's order history, so
// the analytics home and the contact pages show RFM groups, P(active),
// CLV and churn risk from the start (the daily job refits them later).
func seedScores(ctx context.Context, db *store.DB) error {
	// A failed fit (a demo of a handful of contacts has too few buyers)
	// is no error: the run records why and the analytics home shows it.
	_, err := scores.New(db).RecomputeScores(ctx, crm.ScoreOptions{})
	return err
}
