package store

import "context"

// QueryInt runs a query returning one integer, for tests that count rows.
func QueryInt(ctx context.Context, db *DB, q string, args ...any) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}
