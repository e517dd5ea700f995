package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
)

// writeStmts caches statements prepared on SQLite's writer connection.
// Every write transaction runs on that one connection, so a statement
// prepared there once serves every later transaction; parsing was a third
// of the CPU of placing an order. A statement cannot be prepared on the
// writer while a transaction holds it, so a transaction only notes the
// statements it ran unprepared and inTx prepares them after it ends.
// PostgreSQL's driver has its own per-connection statement cache, so there
// the plain calls are used. Texts without placeholders are never cached:
// the ones built around literal id lists would only fill the cache.
type writeStmts struct {
	m      sync.Map // query → *sql.Stmt
	n      atomic.Int32
	wanted sync.Map // query → struct{}
}

func (tx *Tx) txStmt(ctx context.Context, query string) *sql.Stmt {
	if tx.db.pool != nil || !strings.Contains(query, "$") {
		return nil
	}
	if s, ok := tx.db.wstmts.m.Load(query); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	if tx.db.wstmts.n.Load() < maxCachedStmts {
		tx.db.wstmts.wanted.Store(query, struct{}{})
	}
	return nil
}

// prepareWanted prepares the statements transactions ran unprepared. It
// runs with no transaction open on this goroutine.
func (db *DB) prepareWanted(ctx context.Context) {
	if db.pool != nil {
		return
	}
	db.wstmts.wanted.Range(func(k, _ any) bool {
		q := k.(string)
		db.wstmts.wanted.Delete(q)
		if _, ok := db.wstmts.m.Load(q); ok || db.wstmts.n.Load() >= maxCachedStmts {
			return true
		}
		s, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			return true
		}
		if _, loaded := db.wstmts.m.LoadOrStore(q, s); loaded {
			s.Close()
		} else {
			db.wstmts.n.Add(1)
		}
		return true
	})
}

func (db *DB) closeWriteStmts() {
	db.wstmts.m.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

// ExecContext runs a statement in the transaction, prepared once per server on SQLite.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.txStmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, prepared once per server on SQLite.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.txStmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction, prepared once per server on SQLite.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.txStmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
