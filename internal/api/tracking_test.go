package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, trackingMatrix) }

const apiVisitor = "0123456789abcdef0123456789abcdef"

// trackingEvents writes a page view and a product view for visitor.
func trackingEvents(t *testing.T, db *store.DB, site int64, visitor string) {
	t.Helper()
	now := time.Now()
	evs := []*crm.Event{
		{SiteID: site, VisitorID: visitor, SessionID: "0123456789abcdef", Name: crm.EventPageView, URL: "https://shop.example/", Path: "/", Title: "Home", OccurredAt: now, ReceivedAt: now},
		{SiteID: site, VisitorID: visitor, SessionID: "0123456789abcdef", Name: crm.EventProduct, URL: "https://shop.example/p/k", Path: "/p/k", Title: "Kettle", ProductSKU: "K-1", ProductName: "Kettle", OccurredAt: now, ReceivedAt: now},
	}
	must(t, db.WriteEvents(storetest.System(), crm.EventBatch{Events: evs, Counts: []crm.PageCountDelta{{SiteID: site, Day: now.UnixMilli() / 86400000, Path: "/", N: 1}}}))
}

// trackingMatrix adds every tracking operation to the authorisation
// matrix; its snapshot is the sites, the events and the visitor links.
func trackingMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{"https://shop.example"}})
	must(t, err)
	gone, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Old shop")})
	must(t, err)
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Vera"), Email: ptr("vera@example.com")})
	must(t, err)
	trackingEvents(t, db, site.ID, apiVisitor)
	id, cid := fmt.Sprint(site.ID), fmt.Sprint(c.ID)
	routes := []matrixRoute{
		{"GET", "/sites", nil, ps(sitesR)},
		{"POST", "/sites", map[string]any{"name": "New shop", "allowed_origins": []string{"https://new.example"}}, ps(sitesW)},
		{"GET", "/sites/" + id, nil, ps(sitesR)},
		{"PATCH", "/sites/" + id, map[string]any{"banner_color": "#112233"}, ps(sitesW)},
		{"POST", "/sites/" + id + "/rotate-secret", nil, ps(sitesW)},
		{"GET", "/sites/" + id + "/stats", nil, ps(sitesR)},
		{"GET", "/events", nil, ps(eventsR)},
		{"GET", "/visitors/" + apiVisitor, nil, ps(eventsR)},
		{"GET", "/contacts/" + cid + "/web-activity", nil, ps(contactsR, eventsR)},
		{"POST", "/identify", map[string]any{"visitor_id": apiVisitor, "contact_id": c.ID}, ps(eventsW)},
		{"DELETE", "/sites/" + fmt.Sprint(gone.ID), nil, ps(sitesW)},
	}
	snap := func() any {
		sites, err := db.FindSites(ctx)
		must(t, err)
		evs, err := db.FindEvents(ctx, crm.EventFilter{Limit: 500})
		must(t, err)
		v, err := db.FindVisitor(ctx, apiVisitor)
		must(t, err)
		return []any{sites, evs.Items, v}
	}
	return routes, snap
}

// TestTrackingAPI: the identify secret is in the create and rotate
// answers only; bad input is a 422 naming the field; events filter and
// page; identify links by id or by email, and the contact's web activity
// then shows the visitor's past events.
func TestTrackingAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.key("sites:write")
		reader := e.key("events:read", "contacts:read", "sites:read")
		r := e.do("POST", "/api/v1/sites", map[string]any{"name": "Shop", "allowed_origins": []string{"https://Shop.example/"}, "banner_language": "fa"}, admin)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created NewSiteSecret
		r.decode(t, &created)
		secret, id := created.IdentifySecret, fmt.Sprint(created.Site.ID)
		if !strings.HasPrefix(secret, "ids_") || created.Site.Origins[0] != "https://shop.example" || created.Site.Language != "fa" {
			t.Fatalf("created %s", r.body)
		}
		trackingEvents(t, db, created.Site.ID, apiVisitor)
		c, err := db.CreateContact(storetest.System(), crm.ContactInput{FirstName: ptr("Vera"), Email: ptr("vera@example.com")})
		must(t, err)
		linker := e.key("events:write", "contacts:read")
		e.run(t, []scenario{
			{name: "list hides the secret", method: "GET", url: "/api/v1/sites", key: reader, wantStatus: 200, wantContains: []string{`"public_key":"pk_`}, wantAbsent: []string{secret, "ids_"}},
			{name: "get hides the secret", method: "GET", url: "/api/v1/sites/" + id, key: reader, wantStatus: 200, wantContains: []string{`"has_identify_secret":true`}, wantAbsent: []string{secret}},
			{name: "bad origin", method: "POST", url: "/api/v1/sites", key: admin, body: map[string]any{"name": "X", "allowed_origins": []string{"shop.example/path"}}, wantStatus: 422, wantContains: []string{`body.allowed_origins`}},
			{name: "no name", method: "POST", url: "/api/v1/sites", key: admin, body: map[string]any{"name": " "}, wantStatus: 422, wantContains: []string{`body.name`}},
			{name: "bad colour", method: "PATCH", url: "/api/v1/sites/" + id, key: admin, body: map[string]any{"banner_color": "red;x"}, wantStatus: 422, wantContains: []string{`banner_color`}},
			{name: "secret is not settable", method: "PATCH", url: "/api/v1/sites/" + id, key: admin, body: map[string]any{"identify_secret": "ids_mine"}, wantStatus: 422},
			{name: "stats", method: "GET", url: "/api/v1/sites/" + id + "/stats?days=7", key: reader, wantStatus: 200, wantContains: []string{`"page_views":1`, `"events":2`}},
			{name: "events of the site", method: "GET", url: "/api/v1/events?site_id=" + id + "&name=product_view", key: reader, wantStatus: 200, wantContains: []string{`"product_sku":"K-1"`}, wantAbsent: []string{`"name":"pageview"`}},
			{name: "events bad visitor", method: "GET", url: "/api/v1/events?visitor_id=42", key: reader, wantStatus: 422},
			{name: "events unknown parameter", method: "GET", url: "/api/v1/events?kind=x", key: reader, wantStatus: 422},
			{name: "events of a contact, none yet", method: "GET", url: fmt.Sprintf("/api/v1/events?contact_id=%d", c.ID), key: reader, wantStatus: 200, wantContains: []string{`"items":[]`}},
			{name: "identify needs a target", method: "POST", url: "/api/v1/identify", key: linker, body: map[string]any{"visitor_id": apiVisitor}, wantStatus: 422, wantContains: []string{"body.contact_id"}},
			{name: "identify bad visitor", method: "POST", url: "/api/v1/identify", key: linker, body: map[string]any{"visitor_id": "1", "contact_id": c.ID}, wantStatus: 422},
			{name: "identify missing contact", method: "POST", url: "/api/v1/identify", key: linker, body: map[string]any{"visitor_id": apiVisitor, "contact_id": 999999}, wantStatus: 422, wantContains: []string{"body.contact_id"}},
			{name: "identify by email", method: "POST", url: "/api/v1/identify", key: linker, body: map[string]any{"visitor_id": apiVisitor, "email": "VERA@example.com"}, wantStatus: 200, wantContains: []string{fmt.Sprintf(`"contact_id":%d`, c.ID)}},
			{name: "new email needs contacts:write", method: "POST", url: "/api/v1/identify", key: linker, body: map[string]any{"visitor_id": apiVisitor, "email": "new@example.com"}, wantStatus: 403},
			{name: "web activity", method: "GET", url: fmt.Sprintf("/api/v1/contacts/%d/web-activity", c.ID), key: reader, wantStatus: 200, wantContains: []string{`"views":1`, `"name":"Kettle"`, `"link_source":"identify_api"`}},
			{name: "visitor", method: "GET", url: "/api/v1/visitors/" + apiVisitor, key: reader, wantStatus: 200, wantContains: []string{fmt.Sprintf(`"contact_id":%d`, c.ID)}},
			{name: "reader cannot rotate", method: "POST", url: "/api/v1/sites/" + id + "/rotate-secret", key: reader, wantStatus: 403},
		})
		r = e.do("POST", "/api/v1/sites/"+id+"/rotate-secret", nil, admin)
		var rotated NewSiteSecret
		r.decode(t, &rotated)
		if r.status != 200 || rotated.IdentifySecret == secret || !strings.HasPrefix(rotated.IdentifySecret, "ids_") {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		e.run(t, []scenario{
			{name: "audit has no secret", method: "GET", url: "/api/v1/audit?entity=site", key: e.key("audit:read"), wantStatus: 200, wantContains: []string{`"rotate_secret"`}, wantAbsent: []string{secret, rotated.IdentifySecret}},
			{name: "delete", method: "DELETE", url: "/api/v1/sites/" + id, key: admin, wantStatus: 204},
			{name: "gone", method: "GET", url: "/api/v1/sites/" + id, key: reader, wantStatus: 404},
		})
	})
}
