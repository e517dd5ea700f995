package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, segmentMatrix) }

// segmentMatrix adds every segment operation to the authorisation matrix;
// its snapshot is the segments with their members and changes.
func segmentMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	svc := segstore.New(db)
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Seg"), Email: ptr("seg@example.com"), Stage: ptr("lead")})
	must(t, err)
	def := `{"op":"and","groups":[{"op":"and","predicates":[{"field":"contact.stage","op":"eq","value":"lead"}]}]}`
	dyn, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("Leads"), Definition: []byte(def)})
	must(t, err)
	list, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("List"), Kind: ptr(crm.SegmentStatic)})
	must(t, err)
	gone, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("Gone"), Kind: ptr(crm.SegmentStatic)})
	must(t, err)
	d, l := fmt.Sprint(dyn.ID), fmt.Sprint(list.ID)
	body := map[string]any{"op": "and", "groups": []any{}}
	routes := []matrixRoute{
		{"GET", "/segments", nil, ps(segmentsR)},
		{"POST", "/segments", map[string]any{"name": "New", "definition": body}, ps(segmentsW)},
		{"GET", "/segments/fields", nil, ps(segmentsR)},
		{"POST", "/segments/preview", map[string]any{"definition": body}, ps(segmentsR)},
		{"GET", "/segments/" + d, nil, ps(segmentsR)},
		{"PATCH", "/segments/" + d, map[string]any{"name": "Renamed"}, ps(segmentsW)},
		{"GET", "/segments/" + d + "/members", nil, ps(segmentsR)},
		{"GET", "/segments/" + d + "/members.csv", nil, ps(segmentsR)},
		{"GET", "/segments/" + d + "/changes", nil, ps(segmentsR)},
		{"POST", "/segments/" + d + "/refresh", nil, ps(segmentsW)},
		{"POST", "/segments/" + l + "/members", map[string]any{"contact_ids": []int64{c.ID}}, ps(segmentsW)},
		{"DELETE", "/segments/" + l + "/members?contact_ids=" + fmt.Sprint(c.ID), nil, ps(segmentsW)},
		{"DELETE", fmt.Sprintf("/segments/%d", gone.ID), nil, ps(segmentsW)},
	}
	snap := func() any {
		all, _, err := svc.List(ctx, crm.SegmentFilter{})
		must(t, err)
		out := []any{}
		for _, sg := range all {
			m, err := svc.Members(ctx, sg.ID, crm.SegmentPage{Limit: 500})
			must(t, err)
			ch, _, err := svc.Changes(ctx, sg.ID, crm.SegmentChangeFilter{})
			must(t, err)
			out = append(out, sg, m, ch)
		}
		return out
	}
	return routes, snap
}

// acceptanceShop makes the customers through the services:
// Ann bought once 90 days ago, viewed a product since and agreed to
// marketing email; Dee too but viewed before her order; Eve has no
// consent; Bob bought twice.
func acceptanceShop(t *testing.T, db *store.DB) map[string]int64 {
	ctx := storetest.System()
	now := db.Now()
	ids := map[string]int64{}
	for _, n := range []string{"Ann", "Bob", "Dee", "Eve"} {
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr(n), LastName: ptr("Shop"), Email: ptr(strings.ToLower(n) + "@example.com")})
		must(t, err)
		ids[n] = c.ID
	}
	_, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr("SHOE-1"), Name: ptr("Runner"), Price: ptr(int64(5000)), Currency: ptr("EUR"), Stock: ptr(int64(100))})
	must(t, err)
	// Orders are placed at the store's clock: set it back for each.
	clock := db.Now
	order := func(who string, daysAgo int) {
		db.Now = func() time.Time { return now.Add(-time.Duration(daysAgo) * 24 * time.Hour) }
		defer func() { db.Now = clock }()
		_, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: ptr(ids[who]), Status: ptr("paid"), Currency: ptr("EUR"),
			Lines: []crm.OrderLineInput{{SKU: "SHOE-1", Quantity: 1}}})
		must(t, err)
	}
	order("Ann", 90)
	order("Bob", 200)
	order("Bob", 80)
	order("Dee", 100)
	order("Eve", 70)
	// Web views, through linked visitors.
	err = db.InTx(context.Background(), func(tx *store.Tx) error {
		for who, ago := range map[string]int{"Ann": 10, "Dee": 120, "Eve": 5, "Bob": 3} {
			at := store.MS(now.Add(-time.Duration(ago) * 24 * time.Hour))
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO visitors (id, contact_id, first_seen, last_seen) VALUES ($1, $2, $3, $3)`, "v-"+who, ids[who], at); err != nil {
				return err
			}
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO events (site_id, visitor_id, name, product_sku, occurred_at, received_at) VALUES (1, $1, 'product_view', 'SHOE-1', $2, $2)`, "v-"+who, at); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	for _, who := range []string{"Ann", "Bob", "Dee"} {
		_, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: ids[who], Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail,
			Status: crm.ConsentGranted, LegalBasis: "consent", Source: crm.SourceStaff})
		must(t, err)
	}
	return ids
}

const acceptanceDef = `{"op":"and","groups":[{"op":"and","predicates":[
	{"field":"purchase.orders","op":"eq","value":1},
	{"field":"purchase.last_order","op":"more_than_days_ago","value":60},
	{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},
	{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]}]}`

// TestSegmentsAcceptance is the scenario through the API: build
// the segment, preview it, save it, page its members and export them.
func TestSegmentsAcceptance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := acceptanceShop(t, db)
		e := newEnv(t, db)
		key := e.key("segments:write")
		r := e.do("POST", "/api/v1/segments/preview", `{"definition":`+acceptanceDef+`,"sample":10}`, key)
		if r.status != 200 {
			t.Fatalf("preview %d %s", r.status, r.body)
		}
		var p crm.SegmentPreview
		r.decode(t, &p)
		if p.Count != 1 || len(p.Sample) != 1 || p.Sample[0].ContactID != ids["Ann"] {
			t.Fatalf("preview %+v, want Ann only", p)
		}
		r = e.do("POST", "/api/v1/segments", `{"name":"Win back","definition":`+acceptanceDef+`}`, key)
		if r.status != 201 {
			t.Fatalf("create %d %s", r.status, r.body)
		}
		var sg crm.Segment
		r.decode(t, &sg)
		if sg.MemberCount != 1 || sg.Kind != crm.SegmentDynamic {
			t.Errorf("created %+v", sg)
		}
		r = e.do("GET", fmt.Sprintf("/api/v1/segments/%d/members", sg.ID), nil, key)
		if r.status != 200 || !strings.Contains(string(r.body), `"email":"ann@example.com"`) || !strings.Contains(string(r.body), `"total":1`) {
			t.Errorf("members %d %s", r.status, r.body)
		}
		r = e.do("GET", fmt.Sprintf("/api/v1/segments/%d/members.csv", sg.ID), nil, key)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil || len(rows) != 2 || rows[1][0] != fmt.Sprint(ids["Ann"]) || rows[1][3] != "ann@example.com" || rows[1][9] != "1" {
			t.Errorf("csv rows %q %v", rows, err)
		}
		r = e.do("GET", fmt.Sprintf("/api/v1/segments/%d/changes", sg.ID), nil, key)
		if r.status != 200 || !strings.Contains(string(r.body), `"change":"entered"`) {
			t.Errorf("changes %d %s", r.status, r.body)
		}
	})
}

// TestSegmentsAPIErrors: a bad definition is a 422 naming its JSON path,
// a cycle too; the field catalog answers in the asked language.
func TestSegmentsAPIErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		pred := func(p string) string { return `{"op":"and","groups":[{"op":"and","predicates":[` + p + `]}]}` }
		r := e.do("POST", "/api/v1/segments", `{"name":"A","definition":`+pred(`{"field":"contact.stage","op":"eq","value":"lead"}`)+`}`, key)
		if r.status != 201 {
			t.Fatalf("create A %d %s", r.status, r.body)
		}
		var a crm.Segment
		r.decode(t, &a)
		r = e.do("POST", "/api/v1/segments", fmt.Sprintf(`{"name":"B","definition":%s}`, pred(fmt.Sprintf(`{"field":"segment","op":"in_segment","value":%d}`, a.ID))), key)
		var b crm.Segment
		r.decode(t, &b)
		e.run(t, []scenario{
			{name: "unknown field", method: "POST", url: "/api/v1/segments/preview", key: key,
				body:       `{"definition":` + pred(`{"field":"contact.stage","op":"eq","value":"lead"},{"field":"contact.shoe","op":"eq","value":"x"}`) + `}`,
				wantStatus: 422, wantContains: []string{"body.definition.groups[0].predicates[1].field"}},
			{name: "wrong operator", method: "POST", url: "/api/v1/segments/preview", key: key,
				body: `{"definition":` + pred(`{"field":"purchase.orders","op":"contains","value":"x"}`) + `}`, wantStatus: 422, wantContains: []string{"body.definition.groups[0].predicates[0].op"}},
			{name: "wrong value type", method: "POST", url: "/api/v1/segments", key: key,
				body: `{"name":"x","definition":` + pred(`{"field":"purchase.orders","op":"eq","value":"one"}`) + `}`, wantStatus: 422, wantContains: []string{"body.definition.groups[0].predicates[0].value"}},
			{name: "cycle", method: "PATCH", url: fmt.Sprintf("/api/v1/segments/%d", a.ID), key: key,
				body: `{"definition":` + pred(fmt.Sprintf(`{"field":"segment","op":"in_segment","value":%d}`, b.ID)) + `}`, wantStatus: 422, wantContains: []string{"body.definition.groups[0].predicates[0].value", "refer"}},
			{name: "too deep", method: "POST", url: "/api/v1/segments/preview", key: key,
				body: `{"definition":{"op":"and","groups":[{"groups":[{"groups":[{"groups":[{"groups":[{"groups":[]}]}]}]}]}]}}`, wantStatus: 422, wantContains: []string{"body.definition.groups[0].groups[0].groups[0].groups[0].groups"}},
			{name: "not an object", method: "POST", url: "/api/v1/segments/preview", key: key, body: `{"definition":[1,2]}`, wantStatus: 422, wantContains: []string{"body.definition"}},
			{name: "add to dynamic", method: "POST", url: fmt.Sprintf("/api/v1/segments/%d/members", a.ID), key: key, body: map[string]any{"contact_ids": []int64{1}}, wantStatus: 422},
			{name: "delete referenced", method: "DELETE", url: fmt.Sprintf("/api/v1/segments/%d", a.ID), key: key, wantStatus: 409},
			{name: "fields in Persian", method: "GET", url: "/api/v1/segments/fields?lang=fa", key: key, wantStatus: 200, wantContains: []string{`"language":"fa"`, "گروه NPS", `"key":"consent"`}},
			{name: "fields by header", method: "GET", url: "/api/v1/segments/fields", key: key, headers: []string{"Accept-Language", "ja"}, wantStatus: 200, wantContains: []string{"NPS区分"}},
			{name: "bad cursor", method: "GET", url: fmt.Sprintf("/api/v1/segments/%d/members?after=zz", a.ID), key: key, wantStatus: 422, wantContains: []string{"query.after"}},
		})
	})
}
