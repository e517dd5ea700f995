// Package storetest opens real databases for tests: SQLite always, and
// PostgreSQL when ECRM_TEST_POSTGRES holds a URL. Each test gets a fresh,
// migrated database that is removed when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/jackc/pgx/v5"
)

// Engines lists the engines to run the conformance suite on.
func Engines() []string {
	if os.Getenv("ECRM_TEST_POSTGRES") != "" {
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

// DSN returns a fresh database DSN for the engine, dropped at cleanup.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "ecrm.db")
	}
	base := os.Getenv("ECRM_TEST_POSTGRES")
	if base == "" {
		t.Skip("ECRM_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to ECRM_TEST_POSTGRES: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "ecrm_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse ECRM_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
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
