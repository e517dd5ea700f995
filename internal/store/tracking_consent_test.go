package store_test

import (
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestWriteEventsHonoursTheLedger: once a contact's analytics consent is
// withdrawn on the ledger, the events of its linked visitors are not
// stored (a batch accepted before the withdrawal and written after it
// included), while other visitors' events in the same batch are. Linking
// the old visitor again does not consent again; a visitor first seen after
// the withdrawal (the person accepted the banner anew) records a fresh
// grant and is stored. An expired grant refuses too, and the visitors of
// an erased contact stay refused instead of coming back anonymous.
func TestWriteEventsHonoursTheLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		clock := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		db.Now = func() time.Time { return clock }
		tick := func() time.Time { clock = clock.Add(time.Second); return clock }
		site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		write := func(visitor string, n int) {
			t.Helper()
			at := tick()
			var b crm.EventBatch
			for range n {
				b.Events = append(b.Events, trackEvent(site.ID, visitor, "0123456789abcdef", crm.EventPageView, "/p", at))
			}
			if err := db.WriteEvents(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		count := func(visitor string) int {
			t.Helper()
			p, err := db.FindEvents(ctx, crm.EventFilter{VisitorID: visitor, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Items)
		}
		withdrawn := func(visitor string) bool {
			t.Helper()
			w, err := db.VisitorWithdrawn(ctx, visitor)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		analytics := func() bool {
			t.Helper()
			states, err := db.ConsentStates(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.Purpose == crm.PurposeAnalytics {
					return s.Granted
				}
			}
			t.Fatal("no analytics state")
			return false
		}
		record := func(status string, exp *time.Time) {
			t.Helper()
			tick()
			if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb,
				Status: status, Source: crm.SourcePreferences, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}

		write(visitorA, 2)
		tick()
		if err := db.LinkVisitor(ctx, visitorA, c.ID, crm.LinkForm); err != nil {
			t.Fatal(err)
		}
		if !analytics() || withdrawn(visitorA) {
			t.Fatalf("linking a consented visitor: analytics granted = %v, withdrawn = %v", analytics(), withdrawn(visitorA))
		}
		write(visitorA, 1)
		// A batch accepted before the withdrawal, written after it.
		pending := crm.EventBatch{Events: []*crm.Event{trackEvent(site.ID, visitorA, "", crm.EventPageView, "/late", tick()),
			trackEvent(site.ID, visitorB, "", crm.EventPageView, "/other", clock)}}
		record(crm.ConsentWithdrawn, nil)
		if err := db.WriteEvents(ctx, pending); err != nil {
			t.Fatal(err)
		}
		write(visitorA, 3)
		if got := count(visitorA); got != 3 {
			t.Errorf("after the withdrawal: %d events of the linked visitor, want the 3 from before", got)
		}
		if got := count(visitorB); got != 1 {
			t.Errorf("an unlinked visitor in the same batch: %d events, want 1", got)
		}
		if !withdrawn(visitorA) || withdrawn(visitorB) {
			t.Errorf("VisitorWithdrawn: linked %v, unlinked %v; want true, false", withdrawn(visitorA), withdrawn(visitorB))
		}
		// The old browser identifies again: its banner consent is older
		// than the withdrawal, so the ledger stays withdrawn.
		tick()
		if err := db.LinkVisitor(ctx, visitorA, c.ID, crm.LinkIdentifySigned); err != nil {
			t.Fatal(err)
		}
		if analytics() {
			t.Errorf("re-linking the visitor from before the withdrawal granted analytics again")
		}
		write(visitorA, 1)
		if got := count(visitorA); got != 3 {
			t.Errorf("after re-linking: %d events, want 3", got)
		}

		// The person accepts the banner anew: a new visitor, first seen now.
		fresh := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		write(fresh, 1)
		tick()
		if err := db.LinkVisitor(ctx, fresh, c.ID, crm.LinkIdentifySigned); err != nil {
			t.Fatal(err)
		}
		if !analytics() {
			t.Errorf("linking a visitor who consented after the withdrawal: analytics not granted")
		}
		write(fresh, 2)
		if got := count(fresh); got != 3 || withdrawn(fresh) {
			t.Errorf("fresh visitor: %d events (want 3), withdrawn %v", got, withdrawn(fresh))
		}

		// A grant that has expired refuses like a withdrawal.
		exp := clock.Add(2500 * time.Millisecond)
		record(crm.ConsentGranted, &exp)
		write(fresh, 1)
		tick()
		write(fresh, 1)
		if got := count(fresh); got != 4 {
			t.Errorf("around an expiring grant: %d events, want 4 (one before the expiry)", got)
		}

		// Erasing the contact: the visitors go, and stay refused.
		if err := db.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		write(fresh, 2)
		write(visitorA, 1)
		if n := count(fresh) + count(visitorA); n != 0 || !withdrawn(fresh) || !withdrawn(visitorA) {
			t.Errorf("after erasure: %d events stored, withdrawn %v %v", n, withdrawn(fresh), withdrawn(visitorA))
		}
		if _, err := db.FindVisitor(ctx, fresh); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("an erased contact's visitor came back: %v", err)
		}
	})
}
