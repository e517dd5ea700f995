package store

import (
	"context"

	"github.com/ecrm/ecrm/internal/crm"
)

// The recommendation tables (migration 0018, store/recs) are derived from
// the orders and the tracked product views: the export leaves them out and
// a restore asks the rebuild job for a run once the order lines are back.
func init() {
	derivedAggregate = append(derivedAggregate, "recs_builds", "product_similarity", "product_popularity")
	restoreJobs["order_lines"] = append(restoreJobs["order_lines"], crm.JobRecsRebuild)
}

// restoreJobs are the scheduled jobs a restore requests after a table is
// loaded: derived data they rebuild from it.
var restoreJobs = map[string][]string{}

// requestRestoreJobs asks for the jobs that rebuild what depends on table.
func (db *DB) requestRestoreJobs(ctx context.Context, table string) error {
	for _, j := range restoreJobs[table] {
		if err := db.RequestJob(ctx, j); err != nil {
			return err
		}
	}
	return nil
}
