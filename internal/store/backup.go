package store

import (
	"context"
	"os"

	"github.com/ecrm/ecrm/internal/crm"
)

// Backup writes a consistent copy of the embedded database to path while
// the server keeps running (SQLite's VACUUM INTO reads one snapshot). For
// PostgreSQL, use pg_dump: a copy made through one connection would be
// slower and less complete than the tool made for it.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect.name() != "sqlite" {
		return crm.Errorf(crm.EINVALID, "ecrm backup is for the embedded SQLite database; use pg_dump for PostgreSQL")
	}
	if _, err := os.Stat(path); err == nil {
		return crm.Errorf(crm.ECONFLICT, "%s already exists; choose a new file name", path)
	}
	_, err := db.write.ExecContext(ctx, `VACUUM INTO $1`, path)
	return db.mapErr(err)
}
