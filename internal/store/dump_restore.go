package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

// Empty reports whether every table of DumpSchema is empty, the state a
// restore needs: merging an export into live data would clash on ids.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	for _, t := range DumpSchema {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+t.Name+` LIMIT 1) x`).Scan(&n); err != nil {
			return false, db.mapErr(err)
		}
		// The seeded default pipeline (pipeline_seed.go) counts as empty.
		if n > 0 && !db.onlySeed(ctx, t.Name) {
			return false, nil
		}
	}
	return true, nil
}

// RestoreTable loads rows of an export into an empty table, keeping their
// ids. next returns one row at a time, values in the order of columns
// (typed as DumpColumn says; JSON numbers are accepted), and io.EOF after
// the last. Columns the export lacks take their defaults; API keys get an
// unusable secret hash, since exports hold none. Restore tables in
// DumpSchema order. On PostgreSQL the id sequence is moved past the
// largest id; on SQLite the contacts search index is rebuilt.
func (db *DB) RestoreTable(ctx context.Context, table string, columns []string, next func() ([]any, error)) error {
	if _, err := authorizeDump(ctx); err != nil {
		return err
	}
	if slices.Contains(rollupTables, table) {
		// An older export's rollups: rebuilt from its orders instead.
		for {
			if _, err := next(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	t, ok := dumpTable(table)
	if !ok {
		return crm.Errorf(crm.EINVALID, "unknown table %q", table)
	}
	types := make([]DumpColumn, len(columns))
	for i, name := range columns {
		j := slices.IndexFunc(t.Columns, func(c DumpColumn) bool { return c.Name == name })
		if j < 0 || slices.Index(columns, name) != i {
			return crm.Errorf(crm.EINVALID, "table %s has no column %q, or it is listed twice", table, name)
		}
		types[i] = t.Columns[j]
	}
	insertCols := slices.Clone(columns)
	secret := table == "api_keys"
	if secret {
		insertCols = append(insertCols, "secret_hash")
	}
	// An export's pipelines replace the seeded default one (pipeline_seed.go).
	if err := db.dropSeed(ctx, table); err != nil {
		return err
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` LIMIT 1) x`).Scan(&n); err != nil {
		return db.mapErr(err)
	}
	if n > 0 {
		return crm.Errorf(crm.ECONFLICT, "table %s is not empty; restore into a new, empty database", table)
	}
	batch := make([][]any, 0, ImportBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := db.inBulkTx(ctx, func(tx *bulkTx) error {
			ddl := ""
			if table == "contacts" {
				var err error
				if ddl, err = tx.dropFTSTrigger(ctx); err != nil {
					return err
				}
			}
			err := tx.insertRows(ctx, table, insertCols, len(batch), func(i int, d []any) { copy(d, batch[i]) })
			if err != nil {
				return err
			}
			return tx.createFTSTrigger(ctx, ddl)
		})
		batch = batch[:0]
		return err
	}
	line := 0
	for {
		vals, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		line++
		if len(vals) != len(columns) {
			return crm.Errorf(crm.EINVALID, "%s row %d has %d values for %d columns", table, line, len(vals), len(columns))
		}
		row := make([]any, len(insertCols))
		for i, c := range types {
			if row[i], err = convert(c, vals[i]); err != nil {
				return crm.Errorf(crm.EINVALID, "%s row %d, column %s: %v", table, line, c.Name, err)
			}
		}
		if secret {
			// Not a SHA-256 in hex, so no bearer secret can ever match it.
			row[len(row)-1] = "restored:" + newToken(24)
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return db.afterRestore(ctx, t)
}

func (db *DB) afterRestore(ctx context.Context, t DumpTable) error {
	if err := db.rebuildRollups(ctx, t.Name); err != nil {
		return db.mapErr(err)
	}
	if err := db.requestRestoreJobs(ctx, t.Name); err != nil {
		return db.mapErr(err)
	}
	switch {
	case db.dialect.name() == "sqlite" && t.Name == "contacts":
		_, err := db.write.ExecContext(ctx, `INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`)
		return db.mapErr(err)
	case db.dialect.name() == "postgres" && t.Sequence != "":
		_, err := db.write.ExecContext(ctx, fmt.Sprintf(`SELECT setval('%s', COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)`, t.Sequence, t.Name))
		return db.mapErr(err)
	}
	return nil
}
