package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache keeps prepared read statements by their text. Parsing SQL is
// most of the cost of a point read on SQLite (about half of a GET by id),
// and database/sql re-prepares a statement on each pooled connection
// only once. Query texts come from this package's code, so their number
// is bounded; the cap is a guard against a bug that builds unbounded ones.
type stmtCache struct {
	m sync.Map // string → *sql.Stmt
	n atomic.Int32
}

const maxCachedStmts = 1000

func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.stmts.m.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	if db.stmts.n.Load() >= maxCachedStmts {
		return nil, nil
	}
	s, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.m.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	db.stmts.n.Add(1)
	return s, nil
}

// readRow runs a single-row query on the read pool through the cache.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := db.prepared(ctx, query)
	if err != nil || s == nil {
		return db.read.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// readRows runs a query on the read pool through the cache.
func (db *DB) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := db.prepared(ctx, query)
	if err != nil || s == nil {
		return db.read.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (db *DB) closeStmts() {
	db.stmts.m.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}
