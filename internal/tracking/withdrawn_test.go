package tracking

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestCollectRefusesWithdrawnVisitor: a linked visitor's events are
// stored until the person withdraws analytics on the ledger. The next
// batch is still accepted (the endpoint asks nothing of the database for a
// visitor its writer has not refused) but the writer refuses it; from then
// on the endpoint answers 410 (with CORS, so the snippet can read it) and
// queues nothing. Another visitor is not affected, an erased contact's
// visitor is refused the same way, and a visitor whose person consents
// again on the ledger is accepted again.
func TestCollectRefusesWithdrawnVisitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{})
		ctx := storetest.System()
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LinkVisitor(ctx, visitor, c.ID, crm.LinkForm); err != nil {
			t.Fatal(err)
		}
		body := func(v, page string) string {
			return fmt.Sprintf(`{"v":%q,"s":%q,"e":[%s]}`, v, session, pageview("https://shop.example"+page))
		}
		count := func(v string) int {
			t.Helper()
			p, err := db.FindEvents(ctx, crm.EventFilter{VisitorID: v, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Items)
		}
		if res := e.post(t, shopOrigin, e.site.PublicKey, body(visitor, "/before")); res.StatusCode != 204 {
			t.Fatalf("before withdrawing: %d", res.StatusCode)
		}
		if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb, Status: crm.ConsentWithdrawn}); err != nil {
			t.Fatal(err)
		}
		if res := e.post(t, shopOrigin, e.site.PublicKey, body(visitor, "/refused")); res.StatusCode != 204 {
			t.Errorf("the first batch after withdrawing: %d, want 204 (refused by the writer)", res.StatusCode)
		}
		e.drain(t)
		res := e.post(t, shopOrigin, e.site.PublicKey, body(visitor, "/after"))
		if res.StatusCode != http.StatusGone || res.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
			t.Errorf("after withdrawing: %d, ACAO %q; want 410 readable by the page", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
		other := "fedcba9876543210fedcba9876543210"
		if res := e.post(t, shopOrigin, e.site.PublicKey, body(other, "/other")); res.StatusCode != 204 {
			t.Errorf("another visitor: %d", res.StatusCode)
		}
		e.drain(t)
		if got := count(visitor); got != 1 {
			t.Errorf("the withdrawn visitor has %d events, want the 1 from before", got)
		}
		if got := count(other); got != 1 {
			t.Errorf("the other visitor has %d events, want 1", got)
		}
		if got := metric(e.reg, "ecrm_collect_dropped_total", "withdrawn"); got != 1 {
			t.Errorf("dropped{withdrawn} = %v, want 1", got)
		}
		// Erasure: the contact goes, its visitor's id is refused at once.
		erased := "abcdefabcdefabcdefabcdefabcdefab"
		c2, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Bo")})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LinkVisitor(ctx, erased, c2.ID, crm.LinkForm); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteContact(ctx, c2.ID); err != nil {
			t.Fatal(err)
		}
		e.post(t, shopOrigin, e.site.PublicKey, body(erased, "/x"))
		e.drain(t)
		if res := e.post(t, shopOrigin, e.site.PublicKey, body(erased, "/y")); res.StatusCode != http.StatusGone {
			t.Errorf("an erased contact's visitor: %d, want 410", res.StatusCode)
		}
		if got := count(erased); got != 0 {
			t.Errorf("the erased contact's visitor has %d events", got)
		}
		// Consenting again on the ledger: accepted and stored again.
		if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb, Status: crm.ConsentGranted}); err != nil {
			t.Fatal(err)
		}
		if res := e.post(t, shopOrigin, e.site.PublicKey, body(visitor, "/again")); res.StatusCode != 204 {
			t.Errorf("after consenting again: %d", res.StatusCode)
		}
		e.drain(t)
		if got := count(visitor); got != 2 {
			t.Errorf("after consenting again: %d events, want 2", got)
		}
	})
}
