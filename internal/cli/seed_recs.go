package cli

import (
	"context"

	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
)

// seedRecs builds the demo's recommendations from its orders and product
// views at once, so the 360 page, the product pages and the evaluation
// page have something to show before the hourly job first runs.
func seedRecs(ctx context.Context, db *store.DB) error {
	_, err := recs.New(db).RebuildRecommendations(ctx, "demo", true)
	return err
}
