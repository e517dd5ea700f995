package store

import (
	"context"
	"fmt"
	"strings"
)

// QueryInt runs a query returning one integer, for tests that count rows.
func QueryInt(ctx context.Context, db *DB, q string, args ...any) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// QueryText runs a query returning one text, for tests.
func QueryText(ctx context.Context, db *DB, q string, args ...any) (string, error) {
	var s string
	err := db.read.QueryRowContext(ctx, q, args...).Scan(&s)
	return s, err
}

// Exec runs a statement, for tests that set up what an older version wrote.
func Exec(ctx context.Context, db *DB, q string, args ...any) (int64, error) {
	res, err := db.write.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RunMigrationPart runs migration version again from the line starting
// with marker: the data rewrite of a migration, on rows a test wrote as an
// older version would have.
func RunMigrationPart(ctx context.Context, db *DB, version int, marker string) error {
	ms, err := migrations(db.dialect.name())
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version == version {
			i := strings.Index(m.sql, "\n"+marker)
			if i < 0 {
				return fmt.Errorf("migration %s has no %q", m.name, marker)
			}
			_, err := db.write.ExecContext(ctx, m.sql[i+1:])
			return err
		}
	}
	return fmt.Errorf("no migration %d", version)
}
