package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestConsentLedger: entries append, the newest entry of a topic decides
// its state, an expired grant is no grant, and who recorded an entry comes
// from the actor, not from the input.
func TestConsentLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		c, err := db.CreateContact(sys, crm.ContactInput{FirstName: ptr("Mina"), Email: ptr("mina@example.com")})
		must(t, err)

		states, err := db.ConsentStates(sys, c.ID)
		must(t, err)
		if len(states) != len(crm.ConsentTopics) {
			t.Fatalf("%d states, want %d", len(states), len(crm.ConsentTopics))
		}
		for _, s := range states {
			if s.Granted || s.Latest != nil {
				t.Errorf("never asked: %+v", s)
			}
		}

		// The public form flow (system actor) names its own source.
		_, err = db.RecordConsent(sys, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail,
			Status: crm.ConsentGranted, Source: crm.SourceForm, SourceRef: "newsletter", WordingVersion: "3", Wording: "Send me news", IP: "203.0.113.9", UserAgent: "UA"})
		must(t, err)
		// A staff user cannot claim a record came from a form.
		salesCtx, sales := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		rec, err := db.RecordConsent(salesCtx, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS,
			Status: crm.ConsentGranted, Source: crm.SourceForm, SourceRef: "forged"})
		must(t, err)
		if rec.Source != crm.SourceStaff || rec.SourceRef != sales.Name || rec.LegalBasis != crm.BasisConsent {
			t.Errorf("staff entry = %+v, want source staff by %s, basis consent", rec, sales.Name)
		}
		// An expiring grant, then time passes.
		exp := now.Add(24 * time.Hour)
		_, err = db.RecordConsent(sys, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb,
			Status: crm.ConsentGranted, Source: crm.SourceTracking, ExpiresAt: &exp})
		must(t, err)
		// Withdrawing marketing email: the newest entry wins.
		now = now.Add(time.Hour)
		must(t, db.RecordConsents(sys, []crm.ConsentInput{
			{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentWithdrawn, Source: crm.SourcePreferences},
			{ContactID: c.ID, Purpose: crm.PurposePartners, Channel: crm.ChannelAny, Status: crm.ConsentWithdrawn, Source: crm.SourcePreferences},
		}))

		want := map[crm.ConsentTopic]bool{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS}: true, {Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb}: true}
		check := func(when string) {
			t.Helper()
			states, err := db.ConsentStates(sys, c.ID)
			must(t, err)
			for _, s := range states {
				if got := s.Granted; got != want[crm.ConsentTopic{Purpose: s.Purpose, Channel: s.Channel}] {
					t.Errorf("%s: %s/%s granted = %v", when, s.Purpose, s.Channel, got)
				}
			}
		}
		check("after withdrawal")
		now = now.Add(48 * time.Hour)
		delete(want, crm.ConsentTopic{Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb})
		check("after the analytics grant expired")

		hist, err := db.ConsentHistory(sys, c.ID, 0)
		must(t, err)
		if len(hist) != 5 || hist[0].Purpose != crm.PurposePartners && hist[0].Purpose != crm.PurposeMarketing || hist[len(hist)-1].SourceRef != "newsletter" {
			t.Fatalf("history = %d entries, newest %+v", len(hist), hist[0])
		}
		if h := hist[len(hist)-1]; h.IP != "203.0.113.9" || h.Wording != "Send me news" || h.WordingVersion != "3" || h.Actor != "system" {
			t.Errorf("form entry lost its evidence: %+v", h)
		}
	})
}

// TestConsentRefusals: bad topics are field errors, an own-only user
// cannot record for someone else's contact, and a read-only user cannot
// record at all.
func TestConsentRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		c, err := db.CreateContact(sys, crm.ContactInput{FirstName: ptr("Taro")})
		must(t, err)
		for _, in := range []crm.ConsentInput{
			{ContactID: c.ID, Purpose: "spam", Channel: "email", Status: "granted"},
			{ContactID: c.ID, Purpose: "marketing", Channel: "web", Status: "granted"},
			{ContactID: c.ID, Purpose: "marketing", Channel: "email", Status: "maybe"},
			{ContactID: c.ID, Purpose: "marketing", Channel: "email", Status: "granted", LegalBasis: "because"},
			{ContactID: 0, Purpose: "marketing", Channel: "email", Status: "granted"},
		} {
			if _, err := db.RecordConsent(sys, in); crm.ErrorCode(err) != crm.EINVALID || len(crm.FieldErrors(err)) == 0 {
				t.Errorf("%+v: %v, want a field error", in, err)
			}
		}
		if _, err := db.RecordConsent(sys, crm.ConsentInput{ContactID: c.ID + 1000, Purpose: "marketing", Channel: "email", Status: "granted"}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("unknown contact: %v, want EINVALID", err)
		}
		ro, _ := storetest.User(t, db, crm.RoleReadOnly, "ro@example.com")
		if _, err := db.RecordConsent(ro, crm.ConsentInput{ContactID: c.ID, Purpose: "marketing", Channel: "email", Status: "granted"}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("read-only: %v, want EFORBIDDEN", err)
		}
		if _, err := db.ConsentHistory(ro, c.ID, 0); err != nil {
			t.Errorf("read-only reads the ledger: %v", err)
		}
		must(t, db.SetRoleOwnOnly(sys, crm.RoleSales, true))
		own, _ := storetest.User(t, db, crm.RoleSales, "own@example.com")
		if _, err := db.RecordConsent(own, crm.ConsentInput{ContactID: c.ID, Purpose: "marketing", Channel: "email", Status: "granted"}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("own-only on another's contact: %v, want EINVALID (not visible)", err)
		}
		if _, err := db.ConsentHistory(own, c.ID, 0); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("own-only history of another's contact: %v, want ENOTFOUND", err)
		}
		// Erasing the contact erases its ledger.
		must(t, db.DeleteContact(sys, c.ID))
		if _, err := db.ConsentHistory(sys, c.ID, 0); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("deleted contact: %v", err)
		}
	})
}

// TestConsentEmitsWebhook: a mailing tool subscribed to consent.changed
// hears of a withdrawal in the transaction that records it.
func TestConsentEmitsWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		ep, _, err := db.CreateWebhook(sys, crm.WebhookInput{URL: ptr("https://mailer.example/hook"), Events: &[]string{crm.EventConsentChanged}})
		must(t, err)
		c, err := db.CreateContact(sys, crm.ContactInput{FirstName: ptr("Ana"), Email: ptr("ana@example.com")})
		must(t, err)
		_, err = db.RecordConsent(sys, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentWithdrawn, Source: crm.SourcePreferences})
		must(t, err)
		p, err := db.FindWebhookDeliveries(sys, crm.WebhookDeliveryFilter{EndpointID: ep.ID, Limit: 10})
		must(t, err)
		if len(p.Items) != 1 || p.Items[0].Event != crm.EventConsentChanged || !strings.Contains(p.Items[0].Payload, `"status":"withdrawn"`) {
			t.Fatalf("deliveries = %+v", p.Items)
		}
	})
}

// TestLinkedVisitorRecordsBannerConsent: the snippet makes a visitor id
// only after analytics consent, so linking one to a contact puts that
// consent on the ledger — once, not for every further visitor.
func TestLinkedVisitorRecordsBannerConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Noor"), Email: ptr("noor@example.com")})
		must(t, err)
		must(t, db.LinkVisitor(ctx, "0123456789abcdef0123456789abcd11", c.ID, crm.LinkForm))
		must(t, db.LinkVisitor(ctx, "0123456789abcdef0123456789abcd12", c.ID, crm.LinkForm))
		h, err := db.ConsentHistory(ctx, c.ID, 0)
		must(t, err)
		if len(h) != 1 || h[0].Purpose != crm.PurposeAnalytics || h[0].Channel != crm.ChannelWeb || h[0].Source != crm.SourceTracking ||
			h[0].Status != crm.ConsentGranted || h[0].Wording == "" {
			t.Fatalf("ledger = %+v", h)
		}
	})
}
