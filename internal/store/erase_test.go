package store_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDeleteErasesPersonalData: deleting a contact (alone or in bulk)
// leaves nothing that still describes them — consents, linked browsing
// history, form submissions, messages — while a merge moves all of it to
// the kept contact.
func TestDeleteErasesPersonalData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
		must(t, err)
		newsletterForm(t, db, "erase", false, nil)
		person := func(email, visitor string) int64 {
			t.Helper()
			if _, err := submit(t, db, "erase", url.Values{"email": {email}, "first_name": {"Eve"}}, emailTopic); err != nil {
				t.Fatal(err)
			}
			page, err := db.FindContacts(ctx, crm.ContactFilter{Email: email, Limit: 1})
			must(t, err)
			id := page.Items[0].ID
			must(t, db.WriteEvents(ctx, crm.EventBatch{Events: []*crm.Event{trackEvent(site.ID, visitor, "aaaaaaaaaaaaaaaa", crm.EventPageView, "/", time.Now().Add(-time.Minute))}}))
			must(t, db.LinkVisitor(ctx, visitor, id, crm.LinkForm))
			_, err = db.EnqueueMail(ctx, crm.MailMessage{To: email, Subject: "Hi", Text: "x", ContactID: &id})
			must(t, err)
			return id
		}
		left := func(id int64) (n int) {
			t.Helper()
			for _, q := range []string{
				`SELECT COUNT(*) FROM consents WHERE contact_id = $1`,
				`SELECT COUNT(*) FROM visitors WHERE contact_id = $1`,
				`SELECT COUNT(*) FROM form_submissions WHERE contact_id = $1`,
				`SELECT COUNT(*) FROM mail_outbox WHERE contact_id = $1`,
			} {
				var k int
				must(t, store.QueryRowForTest(db, q, id).Scan(&k))
				n += k
			}
			return n
		}
		events := func() (n int) {
			must(t, store.QueryRowForTest(db, `SELECT COUNT(*) FROM events`).Scan(&n))
			return n
		}

		a := person("eve@example.com", "0123456789abcdef0123456789abcd01")
		if left(a) < 4 || events() != 1 {
			t.Fatalf("setup: %d rows, %d events", left(a), events())
		}
		must(t, db.DeleteContact(ctx, a))
		if n := left(a); n != 0 || events() != 0 {
			t.Errorf("after delete: %d rows and %d events remain", n, events())
		}
		var subs int
		must(t, store.QueryRowForTest(db, `SELECT COUNT(*) FROM form_submissions WHERE contact_id IS NULL`).Scan(&subs))
		if subs != 0 {
			t.Errorf("%d form submissions kept without their contact", subs)
		}

		b := person("bob@example.com", "0123456789abcdef0123456789abcd02")
		_, err = db.BulkContacts(ctx, crm.BulkOp{IDs: []int64{b}, Delete: true})
		must(t, err)
		if n := left(b); n != 0 || events() != 0 {
			t.Errorf("after bulk delete: %d rows and %d events remain", n, events())
		}

		keep := person("kim@example.com", "0123456789abcdef0123456789abcd03")
		other := person("kim.other@example.com", "0123456789abcdef0123456789abcd04")
		before := left(keep) + left(other)
		_, err = db.MergeContacts(ctx, keep, other)
		must(t, err)
		if got := left(keep); got != before || events() != 2 {
			t.Errorf("after merge: kept contact has %d rows (want %d), %d events", got, before, events())
		}
	})
}
