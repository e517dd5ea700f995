// Package storetest opens real databases for tests: SQLite always, and
// PostgreSQL when ECRM_TEST_POSTGRES holds a URL. Each test gets a fresh,
// migrated database that is removed when the test ends.
//
// Migrating takes about a second per database under the race detector
// (two or three on PostgreSQL), and the suite opens hundreds. So each
// engine is migrated once into a template — per test process on SQLite (a
// file image kept in memory), once per migration set on PostgreSQL (a
// database named after store.MigrationsDigest, shared by the test binaries
// that run at once and left for the next run) — and every test gets a copy.
// store.Open still runs Migrate on the copy, which finds nothing to do, and
// creates the copy's own link-signing key, as on a new install.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Engines lists the engines to run the conformance suite on: PostgreSQL
// too when ECRM_TEST_POSTGRES is set, unless the run is -short (the quick
// run between commits; CI runs both).
func Engines() []string {
	if os.Getenv("ECRM_TEST_POSTGRES") != "" && !testing.Short() {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range Engines() {
		t.Run(e, func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

// DSN returns the DSN of a fresh, migrated database on the engine, removed
// at cleanup. Nothing has opened it yet: it has no link-signing key and no
// rows but those the migrations seed.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		image, err := sqliteImage()
		if err != nil {
			t.Fatalf("migrate the SQLite template: %v", err)
		}
		path := filepath.Join(t.TempDir(), "ecrm.db")
		if err := os.WriteFile(path, image, 0o600); err != nil {
			t.Fatal(err)
		}
		return "sqlite:" + path
	}
	base := os.Getenv("ECRM_TEST_POSTGRES")
	if base == "" || testing.Short() {
		t.Skip("PostgreSQL runs without -short and with ECRM_TEST_POSTGRES set")
	}
	admin, tmpl, err := pgTemplate(base)
	if err != nil {
		t.Fatalf("migrate the PostgreSQL template: %v", err)
	}
	name := "ecrm_test_" + randomHex()
	ctx := context.Background()
	// The template allows no connections, so no one can hold it open and
	// make the copy fail; copies from several processes at once are fine.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// A test database never outlives a crash, so its commits need not
	// wait for the WAL flush: on this machine's disk that wait was most of
	// a PostgreSQL test's write time. Isolation and locking are unchanged.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		t.Fatalf("configure test database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return pgURL(t, base, name)
}

// Open returns a fresh migrated store on the engine with cheap password
// hashing.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t, engine))
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	db.PasswordCost = store.TestPasswordParams
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteTemplate is a migrated SQLite database file, read into memory once
// per test process.
var sqliteTemplate struct {
	once  sync.Once
	image []byte
	err   error
}

func sqliteImage() ([]byte, error) {
	sqliteTemplate.once.Do(func() {
		sqliteTemplate.image, sqliteTemplate.err = migrateSQLite()
	})
	return sqliteTemplate.image, sqliteTemplate.err
}

func migrateSQLite() ([]byte, error) {
	dir, err := os.MkdirTemp("", "ecrm-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ecrm.db")
	if err := migrate("sqlite:" + path); err != nil {
		return nil, err
	}
	// Closing the last connection checkpoints the write-ahead log into
	// the file and deletes it; a log left behind would hold part of the
	// schema, and a copy of the file alone would miss it.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%s-wal left after close (%d bytes)", path, fi.Size())
	}
	return os.ReadFile(path)
}

// migrate applies the migrations to the database at dsn and closes it,
// without the link-signing key store.Open would add.
func migrate(dsn string) error {
	ctx := context.Background()
	db, err := store.OpenNoMigrate(ctx, dsn)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// pgState is the per-process connection pool that creates and drops the
// test databases, and the name of the template they are copied from.
var pgState struct {
	once  sync.Once
	admin *pgxpool.Pool
	tmpl  string
	err   error
}

func pgTemplate(base string) (*pgxpool.Pool, string, error) {
	pgState.once.Do(func() {
		ctx := context.Background()
		pgState.admin, pgState.err = pgxpool.New(ctx, base)
		if pgState.err != nil {
			return
		}
		pgState.tmpl, pgState.err = ensurePGTemplate(ctx, base)
	})
	return pgState.admin, pgState.tmpl, pgState.err
}

// pgTemplateLock is the advisory lock under which a template is built:
// `go test ./...` starts one binary per package, and all of them may look
// for the template at the same moment.
const pgTemplateLock = 0x6563726d74706c // "ecrmtpl"

// ensurePGTemplate returns the name of the migrated template database for
// the current migrations, building it if no test run has yet. It is built
// under another name and renamed when complete, so a build killed half way
// never leaves a template behind; a later build drops such leftovers.
func ensurePGTemplate(ctx context.Context, base string) (string, error) {
	digest, err := store.MigrationsDigest("postgres")
	if err != nil {
		return "", err
	}
	name := "ecrm_tmpl_" + digest[:16]
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect to ECRM_TEST_POSTGRES: %w", err)
	}
	// Closing the session also releases the lock.
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(pgTemplateLock)); err != nil {
		return "", err
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Only the lock holder builds, so any build database now is one whose
	// process died.
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'ecrm\_tmplbuild\_%'`)
	if err != nil {
		return "", err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	for _, s := range stale {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+s+" WITH (FORCE)"); err != nil {
			return "", err
		}
	}
	build := "ecrm_tmplbuild_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+build); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + build
	if err := migrate(u.String()); err != nil {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)")
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+build+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+build+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("publish template %s: %w", name, err)
	}
	return name, nil
}

func pgURL(t testing.TB, base, name string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse ECRM_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Admin is a context acting as the CLI/system.
func System() context.Context {
	return crm.WithActor(context.Background(), crm.SystemActor)
}

// User creates a user with the role and returns a context acting as them.
func User(t testing.TB, db *store.DB, role crm.Role, email string) (context.Context, *crm.User) {
	t.Helper()
	pw := "correct horse battery"
	u, err := db.CreateUser(System(), crm.UserInput{Email: &email, Name: ptr(strings.Split(email, "@")[0]), Role: &role, Password: &pw})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	a, err := db.ActorForUser(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("actor for %s: %v", email, err)
	}
	return crm.WithActor(context.Background(), a), u
}

func ptr[T any](v T) *T { return &v }
