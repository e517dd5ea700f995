package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/crm"
)

// eachEngine opens fresh databases like storetest.Each, which this
// in-package test cannot import (storetest imports store).
func eachEngine(t *testing.T, fn func(t *testing.T, db *DB)) {
	engines := []string{"sqlite"}
	if os.Getenv("ECRM_TEST_POSTGRES") != "" && !testing.Short() {
		engines = append(engines, "postgres")
	}
	for _, e := range engines {
		t.Run(e, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "ecrm.db")
			if e == "postgres" {
				ctx := context.Background()
				conn, err := pgx.Connect(ctx, os.Getenv("ECRM_TEST_POSTGRES"))
				if err != nil {
					t.Fatal(err)
				}
				b := make([]byte, 6)
				rand.Read(b)
				name := "ecrm_test_" + hex.EncodeToString(b)
				if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
					conn.Close(context.Background())
				})
				u, _ := url.Parse(os.Getenv("ECRM_TEST_POSTGRES"))
				u.Path = "/" + name
				dsn = u.String()
			}
			db, err := Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, db)
		})
	}
}

// TestWebhookEmitRollback: an emit in a transaction that rolls back
// leaves no delivery; the same emit committed leaves one.
func TestWebhookEmitRollback(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *DB) {
		ctx := crm.WithActor(context.Background(), crm.SystemActor)
		if _, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptrTo("https://a.example/")}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := db.inTx(ctx, func(tx *Tx) error {
			if err := tx.emit(ctx, crm.EventOrderCreated, map[string]int{"id": 1}); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil || n != 1 {
				t.Errorf("inside the transaction: %d deliveries, %v", n, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("inTx = %v", err)
		}
		count := func() int {
			var n int
			if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("a rolled-back transaction left %d deliveries", n)
		}
		// A contact update that fails validation after reading the row
		// also rolls back, and emits nothing.
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptrTo("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateContact(ctx, c.ID, crm.ContactInput{Email: ptrTo("not an email")}); crm.ErrorCode(err) != crm.EINVALID {
			t.Fatalf("invalid update: %v", err)
		}
		if n := count(); n != 1 {
			t.Errorf("after one create and a failed update: %d deliveries, want 1", n)
		}
		if err := db.inTx(ctx, func(tx *Tx) error { return tx.emit(ctx, crm.EventStockLow, map[string]int{"product_id": 7}) }); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 2 {
			t.Errorf("after a committed emit: %d deliveries, want 2", n)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
