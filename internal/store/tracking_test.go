package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

const (
	visitorA = "0123456789abcdef0123456789abcdef"
	visitorB = "fedcba9876543210fedcba9876543210"
)

func trackEvent(site int64, visitor, session, name, path string, at time.Time) *crm.Event {
	return &crm.Event{SiteID: site, VisitorID: visitor, SessionID: session, Name: name, Path: path, URL: "https://shop.example" + path,
		Title: "Page " + path, OccurredAt: at, ReceivedAt: at}
}

// TestTrackingSites: the identify secret is returned on creation and
// rotation only, never in a site's JSON; bad input names its field.
func TestTrackingSites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		s, secret, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{"https://Shop.example/", "https://shop.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, store.SiteSecretPrefix) || !strings.HasPrefix(s.PublicKey, store.SiteKeyPrefix) || len(s.PublicKey) < 20 {
			t.Fatalf("key %q secret %q", s.PublicKey, secret)
		}
		if got := strings.Join(s.Origins, ","); got != "https://shop.example" {
			t.Errorf("origins = %q", got)
		}
		b, _ := json.Marshal(s)
		if strings.Contains(string(b), secret) {
			t.Errorf("site JSON carries the secret: %s", b)
		}
		ts, err := db.SiteByKey(ctx, s.PublicKey)
		if err != nil || ts.IdentifySecret != secret || ts.ID != s.ID {
			t.Fatalf("SiteByKey = %+v, %v", ts, err)
		}
		_, rotated, err := db.RotateSiteSecret(ctx, s.ID)
		if err != nil || rotated == secret {
			t.Fatalf("rotate: %v", err)
		}
		if ts, _ := db.SiteByKey(ctx, s.PublicKey); ts.IdentifySecret != rotated {
			t.Errorf("SiteByKey after rotation still has the old secret")
		}
		_, err = db.UpdateSite(ctx, s.ID, crm.SiteInput{Origins: &[]string{"ftp://x"}, Color: ptr("red"), Position: ptr("left")})
		for _, f := range []string{"allowed_origins", "banner_color", "banner_position"} {
			if !hasField(err, f) {
				t.Errorf("update: want a %s error, got %v", f, err)
			}
		}
		if _, err := db.SiteByKey(ctx, "pk_nope"); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("unknown key: %v", err)
		}
		audit, err := db.FindAudit(ctx, crm.AuditFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range audit.Items {
			if strings.Contains(a.Before+a.After, secret) || strings.Contains(a.Before+a.After, rotated) {
				t.Errorf("audit entry %d carries a secret", a.ID)
			}
		}
		ctxM, _ := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		if _, _, err := db.CreateSite(ctxM, crm.SiteInput{Name: ptr("X")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("sales creating a site: %v", err)
		}
	})
}

func hasField(err error, field string) bool {
	for _, f := range crm.FieldErrors(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

// TestTrackingEventsAndLink: a batch writes events, visitors and counts;
// linking a visitor attaches its past (and future) events to the contact;
// the web activity summary counts product views of the week.
func TestTrackingEventsAndLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Now().UTC()
		s, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		var evs []*crm.Event
		for i := range 3 {
			e := trackEvent(s.ID, visitorA, "aaaaaaaaaaaaaaaa", crm.EventProduct, "/p/kettle", now.Add(time.Duration(i-10)*time.Minute))
			e.ProductSKU, e.ProductName, e.Props = "K-1", "Kettle", map[string]any{"colour": "red"}
			evs = append(evs, e)
		}
		evs = append(evs, trackEvent(s.ID, visitorA, "aaaaaaaaaaaaaaaa", crm.EventPageView, "/", now.Add(-5*time.Minute)),
			trackEvent(s.ID, visitorB, "bbbbbbbbbbbbbbbb", crm.EventPageView, "/", now.Add(-5*time.Minute)),
			trackEvent(s.ID+999, visitorB, "bbbbbbbbbbbbbbbb", crm.EventPageView, "/gone", now))
		counts := []crm.PageCountDelta{{SiteID: s.ID, Day: now.UnixMilli() / 86400000, Path: "/", N: 1}, {SiteID: s.ID, Day: now.UnixMilli() / 86400000, Path: "/", N: 2}}
		if err := db.WriteEvents(ctx, crm.EventBatch{Events: evs, Counts: counts}); err != nil {
			t.Fatal(err)
		}
		// A second batch for the same visitor and path adds up.
		if err := db.WriteEvents(ctx, crm.EventBatch{Counts: counts[:1]}); err != nil {
			t.Fatal(err)
		}
		all, err := db.FindEvents(ctx, crm.EventFilter{Limit: 100})
		if err != nil || len(all.Items) != 5 {
			t.Fatalf("events = %d, %v (the one of a missing site is dropped)", len(all.Items), err)
		}
		if all.Items[len(all.Items)-1].Props["colour"] != "red" {
			t.Errorf("props = %v", all.Items[len(all.Items)-1].Props)
		}
		mine, _ := db.FindEvents(ctx, crm.EventFilter{ContactID: &c.ID})
		if len(mine.Items) != 0 {
			t.Fatalf("unlinked visitor's events show on the contact")
		}
		if err := db.LinkVisitor(ctx, "not-a-visitor", c.ID, crm.LinkForm); !hasField(err, "visitor_id") {
			t.Errorf("bad visitor id: %v", err)
		}
		if err := db.LinkVisitor(ctx, visitorA, c.ID, crm.LinkForm); err != nil {
			t.Fatal(err)
		}
		// A visitor never seen before can be linked too (its events are
		// still queued), and its later events follow.
		fresh := "00000000000000000000000000000001"
		if err := db.LinkVisitor(ctx, fresh, c.ID, crm.LinkIdentifyAPI); err != nil {
			t.Fatal(err)
		}
		if err := db.WriteEvents(ctx, crm.EventBatch{Events: []*crm.Event{trackEvent(s.ID, fresh, "cccccccccccccccc", crm.EventPageView, "/later", now)}}); err != nil {
			t.Fatal(err)
		}
		mine, _ = db.FindEvents(ctx, crm.EventFilter{ContactID: &c.ID})
		if len(mine.Items) != 5 || *mine.Items[0].ContactID != c.ID {
			t.Fatalf("linked events = %d", len(mine.Items))
		}
		v, err := db.FindVisitor(ctx, fresh)
		if err != nil || v.SiteID == nil || *v.SiteID != s.ID || v.LinkSource != crm.LinkIdentifyAPI {
			t.Errorf("visitor = %+v, %v", v, err)
		}
		// Paging.
		p1, _ := db.FindEvents(ctx, crm.EventFilter{ContactID: &c.ID, Limit: 3})
		p2, _ := db.FindEvents(ctx, crm.EventFilter{ContactID: &c.ID, Limit: 3, After: p1.Next})
		if len(p1.Items) != 3 || len(p2.Items) != 2 || p2.Next != "" {
			t.Errorf("pages %d %d", len(p1.Items), len(p2.Items))
		}
		w, err := db.WebActivity(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.ProductViews) != 1 || w.ProductViews[0].Views != 3 || w.ProductViews[0].Name != "Kettle" {
			t.Errorf("product views = %+v", w.ProductViews)
		}
		if w.PageViews7d != 2 || len(w.Sessions) != 2 || len(w.Visitors) != 2 {
			t.Errorf("page views %d sessions %d visitors %d", w.PageViews7d, len(w.Sessions), len(w.Visitors))
		}
		st, err := db.SiteStats(ctx, s.ID, now.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.PageViews != 4 || st.Events != 6 || st.Visitors != 3 || len(st.TopPaths) != 1 {
			t.Errorf("stats = %+v", st)
		}
		// IdentifyVisitor finds the contact by email, or makes one.
		id, err := db.IdentifyVisitor(ctx, visitorB, "ADA@example.com", crm.LinkIdentifySigned)
		if err != nil || id != c.ID {
			t.Errorf("identify = %d, %v", id, err)
		}
		id, err = db.IdentifyVisitor(ctx, "11111111111111111111111111111111", "new@example.com", crm.LinkIdentifySigned)
		if err != nil || id == c.ID || id == 0 {
			t.Errorf("identify new = %d, %v", id, err)
		}
		// Restricted roles see only their contacts' events.
		sales, _ := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		if _, err := db.WebActivity(sales, c.ID); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("sales web activity: %v", err)
		}
		if err := db.DeleteSite(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.FindEvents(ctx, crm.EventFilter{}); len(p.Items) != 0 {
			t.Errorf("events survive their site")
		}
	})
}
