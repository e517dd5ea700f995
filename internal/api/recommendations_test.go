package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, recsMatrix) }

// recsMatrix adds the recommendation operations; its snapshot is the
// builds (a refused rebuild must not make one).
func recsMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	c := recsShop(t, db)
	routes := []matrixRoute{
		{"GET", fmt.Sprintf("/recommendations?contact_id=%d", c), nil, ps(analyticsR)},
		{"GET", "/recommendations?sku=RC-A&limit=3", nil, ps(analyticsR)},
		{"GET", "/recommendations/evaluation", nil, ps(analyticsR)},
		{"POST", "/recommendations/rebuild", nil, ps(analyticsW)},
	}
	snap := func() any {
		var n, last int64
		must(t, db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM recs_builds`).Scan(&n, &last))
		return []int64{n, last}
	}
	return routes, snap
}

// recsShop places orders where RC-A and RC-B go together, and returns a
// customer who bought RC-A only.
func recsShop(t *testing.T, db *store.DB) int64 {
	ctx := storetest.System()
	for _, sku := range []string{"RC-A", "RC-B", "RC-C"} {
		_, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr(sku), Name: ptr("Item " + sku), Price: ptr(int64(500)), Currency: ptr("EUR"), Stock: ptr(int64(100))})
		must(t, err)
	}
	// Two months ago: A+B twice, C, then a customer who bought A (and
	// B and C yesterday: the evaluation's later purchases) and one who
	// bought A only, whose next best product is B.
	now := time.Now()
	defer func() { db.Now = time.Now }()
	var last int64
	for i, basket := range [][]string{{"RC-A", "RC-B"}, {"RC-A", "RC-B"}, {"RC-C"}, {"RC-A"}, {"RC-B"}, {"RC-C"}, {"RC-A"}} {
		ago := 60 * 24 * time.Hour
		if i == 4 || i == 5 {
			ago = 24 * time.Hour
		}
		db.Now = func() time.Time { return now.Add(-ago + time.Duration(i)*time.Minute) }
		if i != 4 && i != 5 {
			c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Rec"), Email: ptr(fmt.Sprintf("rec%d@example.com", i))})
			must(t, err)
			last = c.ID
		}
		in := crm.OrderInput{ContactID: &last, Currency: ptr("EUR"), Status: ptr(crm.OrderPaid)}
		for _, s := range basket {
			in.Lines = append(in.Lines, crm.OrderLineInput{SKU: s, Quantity: 1})
		}
		_, err := db.CreateOrder(ctx, in)
		must(t, err)
	}
	return last
}

// TestRecommendationsAPI: before a build the lists are empty and the
// evaluation null; a rebuild makes RC-B the next best product of the
// customer who bought RC-A, with the reason; bad input is a 422 naming
// the parameter.
func TestRecommendationsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key, reader := e.key("*"), e.key("analytics:read")
		c := fmt.Sprint(recsShop(t, db))
		e.run(t, []scenario{
			{name: "no build yet", method: "GET", url: "/api/v1/recommendations/evaluation", key: reader, wantStatus: 200, wantContains: []string{`{}`}},
			{name: "empty before a build", method: "GET", url: "/api/v1/recommendations?contact_id=" + c, key: reader, wantStatus: 200, wantContains: []string{`"items":[]`, `"built_at":null`}},
			{name: "reader cannot rebuild", method: "POST", url: "/api/v1/recommendations/rebuild", key: reader, wantStatus: 403},
			{name: "rebuild", method: "POST", url: "/api/v1/recommendations/rebuild", key: key, wantStatus: 200, wantContains: []string{`"status":"ok"`, `"trigger":"manual"`, `"products":3`}},
			{name: "next best", method: "GET", url: "/api/v1/recommendations?contact_id=" + c + "&limit=2", key: reader, wantStatus: 200,
				wantContains: []string{`{"product_id":2,"sku":"RC-B","name":"Item RC-B"`, `"source":"similar","co_count":3`, `"reasons":[{"kind":"bought","product_id":1,"sku":"RC-A"`, `"sku":"RC-C"`, `"fallback":false`},
				wantAbsent:   []string{`"sku":"RC-A","name":"Item RC-A","category"`}},
			{name: "similar items", method: "GET", url: "/api/v1/recommendations?sku=RC-B&limit=1", key: reader, wantStatus: 200, wantContains: []string{`"sku":"RC-A","name":"Item RC-A"`, `"co_count":3`}},
			{name: "evaluation", method: "GET", url: "/api/v1/recommendations/evaluation", key: reader, wantStatus: 200, wantContains: []string{`"build":{"id":`, `"similar_rows":6`, `"evaluation":{"cutoff":`, `"customers":1`}},
			{name: "no target", method: "GET", url: "/api/v1/recommendations", key: reader, wantStatus: 422, wantContains: []string{`query.contact_id`}},
			{name: "two targets", method: "GET", url: "/api/v1/recommendations?sku=RC-A&contact_id=" + c, key: reader, wantStatus: 422, wantContains: []string{`query.sku`}},
			{name: "limit too high", method: "GET", url: "/api/v1/recommendations?sku=RC-A&limit=51", key: reader, wantStatus: 422, wantContains: []string{`limit`}},
			{name: "unknown parameter", method: "GET", url: "/api/v1/recommendations?sku=RC-A&contact=1", key: reader, wantStatus: 422, wantContains: []string{`query.contact`}},
			{name: "unknown contact", method: "GET", url: "/api/v1/recommendations?contact_id=999999", key: reader, wantStatus: 422, wantContains: []string{`query.contact_id`}},
			{name: "unknown sku", method: "GET", url: "/api/v1/recommendations?sku=NOPE", key: reader, wantStatus: 422, wantContains: []string{`query.sku`}},
			{name: "other scope", method: "GET", url: "/api/v1/recommendations?sku=RC-A", key: e.key("contacts:read"), wantStatus: 403},
		})
		_ = recs.New
	})
}
