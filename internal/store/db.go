// Package store is ecrm's one storage layer: the same SQL text on SQLite
// (embedded, the default) and PostgreSQL, with a Dialect for the few real
// differences. It implements every crm service and is where authorisation
// and the audit log are enforced, so no adapter can forget them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// DB is an open store. On SQLite, writes go through one connection (SQLite
// has one writer; queuing in Go beats SQLITE_BUSY retries) and reads
// through a pool; on PostgreSQL both are the same pool.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	pool    *pgxpool.Pool // PostgreSQL only, for COPY
	dialect dialect
	path    string // SQLite file
	DSN     string

	// Now is the clock; tests replace it.
	Now func() time.Time
	// PasswordCost lets tests use cheap argon2 parameters.
	PasswordCost PasswordParams
	// importBatch is the rows per contact-import transaction: ImportBatch,
	// or fewer in tests (export_test.go), so that an import of a few
	// hundred rows takes the large-import path.
	importBatch int

	keys   keyCache
	stmts  stmtCache
	wstmts writeStmts
	txb    txBatcher
	signer signerCache
	sites  siteCache
	// refused are the visitors this process's event writer refused lately
	// (tracking_consent.go).
	refused refusedVisitors
	mailer  mailerSlot // the SMTP sender of test messages (mail_settings.go)
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name() }

// Path is the SQLite database file; "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// Open opens the database named by dsn ("sqlite:PATH" or a postgres:// URL)
// and applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Load the link signer now: feature code asks for it inside write
	// transactions, where on SQLite the one writer connection is taken.
	if _, err := db.Signer(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenNoMigrate opens without applying migrations (for `ecrm migrate --status`).
func OpenNoMigrate(ctx context.Context, dsn string) (*DB, error) { return open(ctx, dsn) }

func open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{DSN: dsn, Now: time.Now, PasswordCost: DefaultPasswordParams}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, crm.Errorf(crm.EINVALID, "sqlite: empty path")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		db.path = path
		db.dialect = sqliteDialect{}
		// Immediate transactions take the write lock at BEGIN, so a
		// read-then-write transaction never fails half way with BUSY.
		// Page caches are per connection and count towards the server's
		// memory; beyond them SQLite reads through the OS page cache,
		// which is shared and free to reclaim.
		common := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=journal_mode(WAL)"
		u := "file:" + url.PathEscape(path)
		// The writer's statement journal (every savepoint of a group
		// commit writes one) stays in memory: as a temp file it was a
		// fifth of an order's CPU in pwrite calls.
		w, err := sql.Open("sqlite", u+common+"&_pragma=cache_size(-32000)&_pragma=temp_store(2)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		if err := w.PingContext(ctx); err != nil {
			w.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		// The read pool memory-maps the file: a read served from the OS
		// page cache then costs no system call, and every write resets a
		// reader's own page cache, so large reads (segment counts over a
		// million contacts) would otherwise re-read their pages with pread.
		r, err := sql.Open("sqlite", u+common+"&_pragma=cache_size(-12000)&_pragma=mmap_size(4294967296)&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		// Four readers keep two cores busy while one waits on I/O.
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		db.write, db.read = w, r
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, crm.Errorf(crm.EINVALID, "invalid PostgreSQL URL: %v", err)
		}
		if cfg.MaxConns < 16 {
			cfg.MaxConns = 16
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		db.pool = pool
		db.write = stdlib.OpenDBFromPool(pool)
		db.read = db.write
		db.dialect = postgresDialect{}
	default:
		return nil, crm.Errorf(crm.EINVALID, "database must be sqlite:PATH or a postgres:// URL")
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var errs []error
	db.closeStmts()
	db.closeWriteStmts()
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return errors.Join(errs...)
}

// Ping checks the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx is a transaction carrying the time it started, so every row it
// writes agrees on "now".
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
}

// BeginTx starts a write transaction.
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, db.mapErr(err)
	}
	return &Tx{Tx: tx, db: db, now: db.Now().UTC()}, nil
}

// inTx runs fn in a write transaction, committing when it returns nil.
// On SQLite it joins the next group commit (txbatch.go).
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	if db.pool == nil {
		return db.batchTx(ctx, fn)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer db.prepareWanted(ctx)
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.mapErr(err)
	}
	return db.mapErr(tx.Commit())
}

// queryer is what read helpers need: a transaction or the read pool.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func nullID(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func idPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

// Services returns the crm services backed by this store.
func (db *DB) Services() *crm.Services {
	return &crm.Services{
		Contacts: db, Companies: db, Activities: db, Tasks: db, CustomFields: db,
		Users: db, APIKeys: db, Audit: db, Views: db, Idempotency: db,
		// Commerce (product.go, inventory.go, order*.go, facts.go).
		Products: db, Inventory: db, Orders: db, Facts: db,
		// Sales pipeline (pipeline.go, deal*.go).
		Pipelines: db, Deals: db,
		// Outbound webhooks (webhook*.go).
		Webhooks: db,
		// Sales reports and historical order import (report*.go, order_import*.go).
		Reports: db, OrderImports: db,
		// Data collection with consent (consent.go, mail*.go, secrets.go).
		Consents: db, Mail: db, Links: db,
		// Passive collection: tracking sites, events, visitors (tracking*.go).
		Tracking: db,
		// Forms (form*.go).
		Forms: db,
		// Surveys (survey*.go).
		Surveys: db,
		Now:     func() time.Time { return db.Now() },
	}
}
