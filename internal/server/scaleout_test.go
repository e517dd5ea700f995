package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestTwoServersShareOnePostgreSQL runs two ecrm servers, each with its
// own connection pool, on one PostgreSQL database, as a load balancer
// would: a session made on one works on the other, an Idempotency-Key is
// honoured across them, and a key revoked on one stops working on the
// other within the key cache's lifetime.
func TestTwoServersShareOnePostgreSQL(t *testing.T) {
	if os.Getenv("ECRM_TEST_POSTGRES") == "" {
		t.Skip("ECRM_TEST_POSTGRES not set")
	}
	dsn := storetest.DSN(t, "postgres")
	start := func() (*store.DB, string) {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.PasswordCost = store.TestPasswordParams
		t.Cleanup(func() { db.Close() })
		srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
		return db, srv.URL()
	}
	dbA, a := start()
	_, b := start()

	email, pw, role := "ops@example.com", "correct horse battery", crm.RoleAdmin
	if _, err := dbA.CreateUser(storetest.System(), crm.UserInput{Email: &email, Role: &role, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(a+"/login", url.Values{"email": {email}, "password": {pw}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on A: %v %v", resp, err)
	}
	resp.Body.Close()
	// The cookie was set for A's host:port; present it to B by hand.
	req, _ := http.NewRequest("GET", b+"/contacts", nil)
	for _, c := range jar.Cookies(mustURL(a)) {
		req.AddCookie(c)
	}
	resp, err = browser.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("session from A on B: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	_, key, err := dbA.CreateAPIKey(storetest.System(), "shop", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	post := func(base string) int {
		req, _ := http.NewRequest("POST", base+"/api/v1/contacts", strings.NewReader(`{"first_name":"Sara","email":"sara@example.com"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "order-1001")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(a); got != 201 {
		t.Fatalf("create on A = %d", got)
	}
	if got := post(b); got != 201 {
		t.Fatalf("replay on B = %d, want the stored 201", got)
	}
	page, err := dbA.FindContacts(storetest.System(), crm.ContactFilter{WithTotal: true})
	if err != nil || page.Total != 1 {
		t.Errorf("contacts after the same key on two servers = %d (%v), want 1", page.Total, err)
	}

	get := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/api/v1/contacts", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	keys, _ := dbA.FindAPIKeys(storetest.System())
	if err := dbA.RevokeAPIKey(storetest.System(), keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := get(a); got != 401 {
		t.Errorf("revoked key on A = %d, want 401 at once", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get(b) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("revoked key still accepted on B after 5 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
