package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The exported core that area packages (store/<area>) build on. The flat
// store grew to 70 files; new areas keep their SQL in a subpackage and
// reach the database only through these: transactions (group commits on
// SQLite), the read pool with its statement cache, the clock of a
// transaction, the audit log and the webhook outbox, the error mapping and
// the engine name for the few real dialect differences.

// Queryer is a transaction or the read pool.
type Queryer = queryer

// InTx runs fn in a write transaction, committing when it returns nil. On
// SQLite it joins the next group commit, so fn must not block on anything
// but the database (other callers' commits wait on it).
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error { return db.inTx(ctx, fn) }

// QueryRow runs a single-row query on the read pool through the prepared
// statement cache. query must be a constant of the calling package's code
// (the cache is keyed by text); built queries use Read().
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.readRow(ctx, query, args...)
}

// Query runs a query on the read pool through the prepared statement cache.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.readRows(ctx, query, args...)
}

// Read is the read pool (query_only on SQLite), for queries whose text is
// built at run time (segment compilations, reports with optional filters).
func (db *DB) Read() *sql.DB { return db.read }

// Pool is the PostgreSQL pool for COPY, nil on SQLite.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// MapErr turns a driver error into a crm.Error where one applies
// (unique → conflict, foreign key → invalid, no rows → not found).
func (db *DB) MapErr(err error) error { return db.mapErr(err) }

// Now is the transaction's time: every row it writes agrees on it.
func (tx *Tx) Now() time.Time { return tx.now }

// DB is the store the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Audit records an action in the transaction (actor from ctx).
func (tx *Tx) Audit(ctx context.Context, action, entity string, id int64, before, after any) error {
	return tx.audit(ctx, action, entity, id, before, after)
}

// Emit queues a webhook event in the transaction; data may be a
// func() (any, error), called only when an endpoint listens.
func (tx *Tx) Emit(ctx context.Context, event string, data any) error {
	return tx.emit(ctx, event, data)
}

// Ph is the n-th placeholder, "$n" on both engines.
func Ph(n int) string { return ph(n) }

// MS is t in unix milliseconds, the storage form of every time.
func MS(t time.Time) int64 { return ms(t) }

// FromMS is the time of a stored unix-millisecond value, in UTC.
func FromMS(v int64) time.Time { return fromMS(v) }

// ShopCurrency is the shop's currency (settings), in a transaction.
func (tx *Tx) ShopCurrency(ctx context.Context) (string, error) { return tx.shopCurrency(ctx) }

// MedianDays is the median of a histogram of days (the mean of the two
// middle values of an even count), nil when it is empty: the sales and
// cohort reports' time to a second purchase.
func MedianDays(hist map[int64]int) *float64 { return medianDays(hist) }
