package transfer_test

import (
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillTracking) }

// fillTracking fills the tracking tables: a site, a visitor linked to the
// contact with a product view (props and a value), and a cookieless count.
func fillTracking(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	s, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{"https://shop.example"}, Color: ptr("#336699")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	v := int64(1999)
	e := &crm.Event{SiteID: s.ID, VisitorID: "0123456789abcdef0123456789abcdef", SessionID: "0123456789abcdef", Name: crm.EventProduct,
		URL: "https://shop.example/p/k?utm_source=news", Path: "/p/k", Title: "Kettle", UTMSource: "news", ProductSKU: "K-1", ProductName: "Kettle",
		Value: &v, Currency: "EUR", Props: map[string]any{"colour": "red"}, OccurredAt: now, ReceivedAt: now}
	if err := db.WriteEvents(ctx, crm.EventBatch{Events: []*crm.Event{e}, Counts: []crm.PageCountDelta{{SiteID: s.ID, Day: now.UnixMilli() / 86400000, Path: "/p/k", N: 3}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.LinkVisitor(ctx, e.VisitorID, contactID, crm.LinkForm); err != nil {
		t.Fatal(err)
	}
}
