package store

import (
	"context"
	"database/sql"
)

// SetImportBatch makes contact imports of db commit every n rows instead
// of ImportBatch, and take the large-import path from n rows, so tests of
// that path need a few hundred rows rather than tens of thousands.
func SetImportBatch(db *DB, n int) { db.importBatch = n }

// TableNames lists the database's own tables, for the test that every
// table is in the full export or deliberately left out of it.
func TableNames(ctx context.Context, db *DB) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'contacts_fts%'`
	if db.Engine() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// QueryRowForTest runs a query on the writer (which sees every commit),
// for tests that check what is left in a table no service lists.
func QueryRowForTest(db *DB, q string, args ...any) *sql.Row {
	return db.write.QueryRowContext(context.Background(), q, args...)
}

// QueryForTest runs a query on the writer, for tests that compare a
// figure with a direct aggregate over the tables it derives from.
func QueryForTest(db *DB, q string, args ...any) (*sql.Rows, error) {
	return db.write.QueryContext(context.Background(), q, args...)
}
