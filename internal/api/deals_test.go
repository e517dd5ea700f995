package api

import (
	"fmt"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, dealMatrix) }

// dealMatrix adds the pipeline and deal operations to the authorisation
// matrix. Accepting a quote needs a product in stock and a deal with a
// contact; each allowed caller gets a fresh deal to accept, so the first
// does not leave the others a conflict that hides a wrong permission.
func dealMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	sku := "MTX-1"
	_, err := db.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr("Matrix chair"), Price: ptr(int64(1000)), Currency: ptr("EUR"), Stock: ptr(int64(1000))})
	must(t, err)
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Quinn"), Email: ptr("quinn@example.com")})
	must(t, err)
	d, err := db.CreateDeal(ctx, crm.DealInput{Title: ptr("Matrix deal"), Currency: ptr("EUR"), ContactID: &c.ID,
		Lines: &[]crm.DealLineInput{{SKU: sku, Quantity: 1}}})
	must(t, err)
	doomed, err := db.CreateDeal(ctx, crm.DealInput{Title: ptr("Doomed"), Currency: ptr("EUR")})
	must(t, err)
	p, err := db.CreatePipeline(ctx, crm.PipelineInput{Name: ptr("Matrix")})
	must(t, err)
	spare, err := db.CreatePipeline(ctx, crm.PipelineInput{Name: ptr("Spare")})
	must(t, err)
	stage := p.Stages[0].ID
	dp := func(s string, args ...any) string { return fmt.Sprintf(s, args...) }
	routes := []matrixRoute{
		{"GET", "/pipelines", nil, ps(crm.P(crm.ResPipelines, crm.Read))},
		{"POST", "/pipelines", map[string]any{"name": "New"}, ps(crm.P(crm.ResPipelines, crm.Write))},
		{"GET", dp("/pipelines/%d", p.ID), nil, ps(crm.P(crm.ResPipelines, crm.Read))},
		{"PATCH", dp("/pipelines/%d", p.ID), map[string]any{"name": "Renamed"}, ps(crm.P(crm.ResPipelines, crm.Write))},
		{"POST", dp("/pipelines/%d/stages", p.ID), map[string]any{"name": "Extra", "probability": 5}, ps(crm.P(crm.ResPipelines, crm.Write))},
		{"PATCH", dp("/pipelines/%d/stages/%d", p.ID, stage), map[string]any{"probability": 15}, ps(crm.P(crm.ResPipelines, crm.Write))},
		{"GET", "/deals", nil, ps(crm.P(crm.ResDeals, crm.Read))},
		{"POST", "/deals", map[string]any{"title": "New deal", "currency": "EUR"}, ps(crm.P(crm.ResDeals, crm.Write))},
		{"GET", "/deals/forecast", nil, ps(crm.P(crm.ResDeals, crm.Read))},
		{"GET", dp("/deals/%d", d.ID), nil, ps(crm.P(crm.ResDeals, crm.Read))},
		{"PATCH", dp("/deals/%d", d.ID), map[string]any{"expected_close": "2027-01-31"}, ps(crm.P(crm.ResDeals, crm.Write))},
		{"POST", dp("/deals/%d/stage", d.ID), map[string]any{"stage_id": d.StageID}, ps(crm.P(crm.ResDeals, crm.Write))},
		{"POST", dp("/deals/%d/accept-quote", d.ID), nil, ps(crm.P(crm.ResDeals, crm.Write), crm.P(crm.ResOrders, crm.Write))},
		{"DELETE", dp("/pipelines/%d/stages/%d", p.ID, p.Stages[1].ID), nil, ps(crm.P(crm.ResPipelines, crm.Write))},
		{"DELETE", dp("/deals/%d", doomed.ID), nil, ps(crm.P(crm.ResDeals, crm.Write))},
		{"DELETE", dp("/pipelines/%d", spare.ID), nil, ps(crm.P(crm.ResPipelines, crm.Write))},
	}
	snap := func() any {
		ps, err := db.FindPipelines(ctx)
		must(t, err)
		deals, err := db.FindDeals(ctx, crm.DealFilter{Limit: 500})
		must(t, err)
		orders, err := db.FindOrders(ctx, crm.OrderFilter{Limit: 500})
		must(t, err)
		return []any{ps, deals.Items, len(orders.Items)}
	}
	return routes, snap
}

func TestDealAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		all := e.key("*")
		ctx := storetest.System()
		for _, p := range []struct {
			sku   string
			stock int64
		}{{"CHAIR", 10}, {"LAMP", 1}} {
			sku := p.sku
			_, err := db.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr(sku), Price: ptr(int64(12500)), Currency: ptr("EUR"),
				Stock: &p.stock, TaxRateBP: ptr(2000)})
			must(t, err)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		must(t, err)
		var pl struct {
			ID     int64
			Stages []struct{ ID int64 }
		}
		r := e.do("POST", "/api/v1/pipelines", map[string]any{"name": "Partners", "stages": []map[string]any{
			{"name": "Intro", "probability": 20}, {"name": "Signed", "probability": 100, "kind": "won"}}}, all)
		if r.status != 201 {
			t.Fatalf("create pipeline: %d %s", r.status, r.body)
		}
		r.decode(t, &pl)
		var deal struct {
			ID      int64
			StageID int64 `json:"stage_id"`
		}
		r = e.do("POST", "/api/v1/deals", map[string]any{"title": "Office chairs", "currency": "eur", "contact_id": c.ID,
			"expected_close": "2026-09-30", "lines": []map[string]any{{"sku": "CHAIR", "quantity": 2, "discount": 500}}}, all)
		if r.status != 201 {
			t.Fatalf("create deal: %d %s", r.status, r.body)
		}
		r.decode(t, &deal)
		id := fmt.Sprint(deal.ID)
		r = e.do("POST", "/api/v1/deals", map[string]any{"title": "Lamps", "currency": "EUR", "contact_id": c.ID,
			"lines": []map[string]any{{"sku": "LAMP", "quantity": 5}}}, all)
		var lamps struct{ ID int64 }
		r.decode(t, &lamps)
		other := fmt.Sprint(pl.Stages[0].ID)
		e.run(t, []scenario{
			{name: "pipelines", method: "GET", url: "/api/v1/pipelines", key: all, wantStatus: 200, wantContains: []string{`"name":"Sales"`, `"name":"Partners"`, `"deal_count":2`}},
			{name: "deal amount from lines", method: "GET", url: "/api/v1/deals/" + id, key: all, wantStatus: 200, wantContains: []string{`"amount":24500`, `"currency":"EUR"`, `"stage_name":"Qualified"`, `"to_name":"Qualified"`}},
			{name: "list filters", method: "GET", url: "/api/v1/deals?status=open&q=chair&close_from=2026-09-01&close_to=2026-09-30&total=true", key: all, wantStatus: 200, wantContains: []string{`"total":1`, `"Office chairs"`}},
			{name: "list bad sort", method: "GET", url: "/api/v1/deals?sort=owner", key: all, wantStatus: 422, wantContains: []string{`query.sort`}},
			{name: "list unknown param", method: "GET", url: "/api/v1/deals?stage=1", key: all, wantStatus: 422},
			{name: "negative amount", method: "POST", url: "/api/v1/deals", key: all, body: map[string]any{"title": "x", "currency": "EUR", "amount": -1}, wantStatus: 422, wantContains: []string{`body.amount`}},
			{name: "bad currency", method: "POST", url: "/api/v1/deals", key: all, body: map[string]any{"title": "x", "currency": "EURO"}, wantStatus: 422, wantContains: []string{`body.currency`}},
			{name: "bad date", method: "POST", url: "/api/v1/deals", key: all, body: map[string]any{"title": "x", "currency": "EUR", "expected_close": "31/12/2026"}, wantStatus: 422, wantContains: []string{`body.expected_close`}},
			{name: "stage of another pipeline", method: "POST", url: "/api/v1/deals/" + id + "/stage", key: all, body: map[string]any{"stage_id": pl.Stages[0].ID}, wantStatus: 422, wantContains: []string{`body.stage_id`, `pipeline`}},
			{name: "stage of another pipeline on create", method: "POST", url: "/api/v1/deals", key: all, body: map[string]any{"title": "x", "currency": "EUR", "pipeline_id": 1, "stage_id": pl.Stages[0].ID}, wantStatus: 422, wantContains: []string{`body.stage_id`}},
			{name: "delete stage with deals", method: "DELETE", url: fmt.Sprintf("/api/v1/pipelines/1/stages/%d", deal.StageID), key: all, wantStatus: 409, wantContains: []string{`stage_id`}},
			{name: "rename stage", method: "PATCH", url: fmt.Sprintf("/api/v1/pipelines/%d/stages/%s", pl.ID, other), key: all, body: map[string]any{"name": "First call", "position": 1}, wantStatus: 200, wantContains: []string{`"name":"First call","position":1`}},
			{name: "forecast", method: "GET", url: "/api/v1/deals/forecast?from=2026-09&to=2026-09", key: all, wantStatus: 200, wantContains: []string{`"month":"2026-09"`, `"weighted":2450`}},
			{name: "forecast bad month", method: "GET", url: "/api/v1/deals/forecast?from=2026-9", key: all, wantStatus: 422},
			{name: "accept out of stock", method: "POST", url: fmt.Sprintf("/api/v1/deals/%d/accept-quote", lamps.ID), key: all, wantStatus: 409, wantContains: []string{`lines[0].quantity`, `available`}},
			{name: "still open", method: "GET", url: fmt.Sprintf("/api/v1/deals/%d", lamps.ID), key: all, wantStatus: 200, wantContains: []string{`"status":"open"`}},
			{name: "accept", method: "POST", url: "/api/v1/deals/" + id + "/accept-quote", key: all, wantStatus: 201, wantContains: []string{`"deal_id":` + id, `"sku":"CHAIR"`, `"discount":500`}},
			{name: "won", method: "GET", url: "/api/v1/deals/" + id, key: all, wantStatus: 200, wantContains: []string{`"status":"won"`, `"stage_name":"Won"`}},
			{name: "accept again", method: "POST", url: "/api/v1/deals/" + id + "/accept-quote", key: all, wantStatus: 409},
			{name: "deals key cannot accept without orders scope", method: "POST", url: fmt.Sprintf("/api/v1/deals/%d/accept-quote", lamps.ID), key: e.key("deals:write"), wantStatus: 403},
		})
	})
}
