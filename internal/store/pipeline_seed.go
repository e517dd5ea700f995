package store

import "context"

// Migration 0004 seeds a "Sales" pipeline so a new database has somewhere
// to put deals. A restore wants empty tables, so the untouched seed (never
// edited: both its times are still 0, and no deals exist) counts as empty
// and gives way to the pipelines of the export.

// onlySeed reports whether table holds nothing but the seeded pipeline.
func (db *DB) onlySeed(ctx context.Context, table string) bool {
	if table != "pipelines" && table != "pipeline_stages" {
		return false
	}
	var others, deals int
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM pipelines WHERE created_at <> 0 OR updated_at <> 0 OR id <> 1),
		(SELECT COUNT(*) FROM deals)`).Scan(&others, &deals)
	return err == nil && others == 0 && deals == 0
}

// dropSeed removes the untouched seed before pipelines are restored.
func (db *DB) dropSeed(ctx context.Context, table string) error {
	if table != "pipelines" || !db.onlySeed(ctx, table) {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `DELETE FROM pipelines WHERE id = 1 AND created_at = 0 AND updated_at = 0`)
	return db.mapErr(err)
}
