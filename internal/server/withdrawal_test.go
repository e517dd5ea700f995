package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/tracking"
)

// TestWithdrawalStopsCollectOnEveryServer runs two servers on one
// database, as behind a load balancer. A browser's visitor is linked to
// its person by a signed identify on server B; the person then leaves
// everything in the preference centre on server A (a real form POST).
// From that moment nothing of the visitor is stored, whichever server
// accepted it: each server's writer refuses it in the transaction that
// would store it, and once a server's writer refused a batch, that
// server's endpoint answers 410 so the browser forgets its ids. An
// unlinked visitor sending at the same time is stored.
func TestWithdrawalStopsCollectOnEveryServer(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			type node struct {
				db  *store.DB
				srv *Server
			}
			start := func() node {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				// Two servers on one SQLite file need a spool each.
				srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracking: tracking.Options{SpoolDir: t.TempDir()}})
				if err != nil {
					t.Fatal(err)
				}
				if err := srv.Start(); err != nil {
					t.Fatal(err)
				}
				return node{db, srv}
			}
			a, b := start(), start()
			ctx := storetest.System()
			const origin = "https://shop.example"
			site, secret, err := a.db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{origin}})
			if err != nil {
				t.Fatal(err)
			}
			contact, err := a.db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			const linked, anon = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
			collect := func(base, visitor, page, extra string) int {
				t.Helper()
				body := fmt.Sprintf(`{"v":%q,"s":"0123456789abcdef","e":[{"n":"pageview","u":"%s%s"}]%s}`, visitor, origin, page, extra)
				req, _ := http.NewRequest("POST", base+"/t/collect?k="+site.PublicKey, strings.NewReader(body))
				req.Header.Set("Origin", origin)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			identify := fmt.Sprintf(`,"id":{"email":"ada@example.com","sig":%q}`, tracking.IdentifySignature(secret, "ada@example.com"))
			if got := collect(b.srv.URL(), linked, "/before", identify); got != 204 {
				t.Fatalf("identify on B = %d", got)
			}
			if v, err := a.db.FindVisitor(ctx, linked); err != nil || v.ContactID == nil || *v.ContactID != contact.ID {
				t.Fatalf("visitor not linked: %+v, %v", v, err)
			}

			// The batch is written before the person withdraws (one written
			// after would be refused too: that is the point).
			for deadline := time.Now().Add(10 * time.Second); ; {
				p, err := a.db.FindEvents(ctx, crm.EventFilter{VisitorID: linked, Limit: 10})
				if err == nil && len(p.Items) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the visitor's first event was not written: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			link, err := a.db.PreferencesURL(ctx, contact.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, token, _ := strings.Cut(link, "/p/")
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := noRedirect.PostForm(a.srv.URL()+"/p/"+token, url.Values{"leave": {"1"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("leave everything on A = %d", res.StatusCode)
			}
			// Each server accepts until its writer has refused a batch, then
			// says 410.
			accepted := 0
			untilGone := func(base, page string) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					st := collect(base, linked, page, "")
					if st == http.StatusGone {
						return
					}
					if st != 204 || time.Now().After(deadline) {
						t.Fatalf("%s after the withdrawal: %d (after %d accepted)", base, st, accepted)
					}
					accepted++
					if got := collect(base, anon, "/anon", ""); got != 204 {
						t.Fatalf("unlinked visitor on %s = %d", base, got)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			untilGone(b.srv.URL(), "/after-b")
			untilGone(a.srv.URL(), "/after-a")
			// A graceful shutdown writes everything queued.
			for _, n := range []node{a, b} {
				if err := n.srv.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			p, err := a.db.FindEvents(ctx, crm.EventFilter{VisitorID: linked, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 1 || p.Items[0].Path != "/before" {
				t.Errorf("the withdrawn visitor's events: %d stored (%d accepted by B after the withdrawal), want only /before", len(p.Items), accepted)
			}
			if p, _ := a.db.FindEvents(ctx, crm.EventFilter{VisitorID: anon, Limit: 100}); len(p.Items) != accepted {
				t.Errorf("the unlinked visitor's events: %d stored, want %d", len(p.Items), accepted)
			}
		})
	}
}
