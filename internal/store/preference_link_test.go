package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestPreferenceLinkRevocation: a link works and records its last use;
// staff who may record consents revoke it, the old link resolves to
// crm.ErrLinkRevoked (a forged one stays a plain not-found), the new link
// works and is the one mails carry; the revocation is audited without the
// link; a read-only user sees the dates but not the link and cannot
// revoke, an own-only user cannot touch another owner's contact.
func TestPreferenceLinkRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		clock := time.Now().Truncate(time.Millisecond)
		db.Now = func() time.Time { return clock }
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), Email: ptr("sara@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		token := func(url string) string {
			t.Helper()
			_, tok, ok := strings.Cut(url, "/p/")
			if !ok {
				t.Fatalf("not a preference link: %q", url)
			}
			return tok
		}
		l0, err := db.PreferenceLink(ctx, c.ID)
		if err != nil || l0.Version != 0 || l0.LastUsedAt != nil || l0.RevokedAt != nil || l0.URL == "" {
			t.Fatalf("new contact's link = %+v, %v", l0, err)
		}
		if u, _ := db.PreferencesURL(ctx, c.ID); u != l0.URL {
			t.Errorf("PreferencesURL %q, PreferenceLink %q", u, l0.URL)
		}
		clock = clock.Add(time.Minute)
		if id, err := db.OpenPreferenceLink(ctx, token(l0.URL)); err != nil || id != c.ID {
			t.Fatalf("open = %d, %v", id, err)
		}
		if l, _ := db.PreferenceLink(ctx, c.ID); l.LastUsedAt == nil || !l.LastUsedAt.Equal(clock) {
			t.Errorf("last used = %v, want %v", l.LastUsedAt, clock)
		}

		sales, _ := storetest.User(t, db, crm.RoleSales, "sales@example.com")
		clock = clock.Add(time.Minute)
		l1, err := db.RevokePreferenceLink(sales, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l1.Version != 1 || l1.RevokedAt == nil || !l1.RevokedAt.Equal(clock) || l1.LastUsedAt != nil || l1.URL == "" || l1.URL == l0.URL ||
			l1.RevokedBy != crm.ActorFrom(sales).Label() {
			t.Errorf("after revoking: %+v", l1)
		}
		if _, err := db.OpenPreferenceLink(ctx, token(l0.URL)); !errors.Is(err, crm.ErrLinkRevoked) {
			t.Errorf("old link: %v, want ErrLinkRevoked", err)
		}
		if id, err := db.OpenPreferenceLink(ctx, token(l1.URL)); err != nil || id != c.ID {
			t.Errorf("new link: %d, %v", id, err)
		}
		if u, _ := db.PreferencesURL(ctx, c.ID); u != l1.URL {
			t.Errorf("mails would carry %q, want the new link %q", u, l1.URL)
		}
		for _, bad := range []string{"forged", token(l1.URL) + "x", strings.Replace(token(l1.URL), ".", "x.", 1)} {
			if _, err := db.OpenPreferenceLink(ctx, bad); crm.ErrorCode(err) != crm.ENOTFOUND || errors.Is(err, crm.ErrLinkRevoked) {
				t.Errorf("open(%q) = %v, want a plain not found", bad, err)
			}
		}
		id := c.ID
		audit, err := db.FindAudit(ctx, crm.AuditFilter{Entity: "contact", EntityID: &id, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range audit.Items {
			if e.Action == "revoke_preference_link" {
				found = true
				if !strings.Contains(e.Before, `"version":0`) || !strings.Contains(e.After, `"version":1`) || strings.Contains(e.Before+e.After, "/p/") || e.ActorID == nil {
					t.Errorf("audit entry = %+v", e)
				}
			}
		}
		if !found {
			t.Errorf("no audit entry for the revocation: %+v", audit.Items)
		}
		// Revoking again retires the second link too.
		l2, err := db.RevokePreferenceLink(ctx, c.ID)
		if err != nil || l2.Version != 2 {
			t.Fatalf("second revocation: %+v, %v", l2, err)
		}
		if _, err := db.OpenPreferenceLink(ctx, token(l1.URL)); !errors.Is(err, crm.ErrLinkRevoked) {
			t.Errorf("second link after the second revocation: %v", err)
		}
		// The next message's footer carries the link in effect.
		sv := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("nps-prefs"), Name: ptr("NPS"), Kind: ptr(crm.SurveyNPS)})
		if _, err := db.SendSurvey(ctx, sv.ID, []int64{c.ID}); err != nil {
			t.Fatal(err)
		}
		if _, _, text := outboxMail(t, db, c.ID); !strings.Contains(text, l2.URL+"\n") || strings.Contains(text, l1.URL+"\n") {
			t.Errorf("the next message's footer does not carry the new link %s:\n%s", l2.URL, text)
		}

		ro, _ := storetest.User(t, db, crm.RoleReadOnly, "ro@example.com")
		if l, err := db.PreferenceLink(ro, c.ID); err != nil || l.URL != "" || l.Version != 2 {
			t.Errorf("read-only view = %+v, %v; want dates without the link", l, err)
		}
		if _, err := db.RevokePreferenceLink(ro, c.ID); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("read-only revoke: %v, want forbidden", err)
		}
		if _, err := db.RevokePreferenceLink(ctx, 999999); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("unknown contact: %v", err)
		}
		// Erasing the contact: its links are plain invalid.
		if err := db.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.OpenPreferenceLink(ctx, token(l2.URL)); crm.ErrorCode(err) != crm.ENOTFOUND || errors.Is(err, crm.ErrLinkRevoked) {
			t.Errorf("link of an erased contact: %v", err)
		}
	})
}
