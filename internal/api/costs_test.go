package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, costMatrix) }

// costMatrix adds the cost routes and the cohort and economics reports;
// its snapshot is every cost.
func costMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	svc := economics.New(db)
	c, err := svc.CreateCost(ctx, crm.CostInput{Kind: ptr("product"), Key: ptr("M-1"), Date: ptr("2025-01-01"), Amount: ptr(int64(300))})
	must(t, err)
	gone, err := svc.CreateCost(ctx, crm.CostInput{Kind: ptr("message"), Key: ptr("email"), Date: ptr("2025-01-01"), Amount: ptr(int64(1))})
	must(t, err)
	id := fmt.Sprint(c.ID)
	routes := []matrixRoute{
		{"GET", "/costs", nil, ps(costsR)},
		{"POST", "/costs", map[string]any{"kind": "acquisition", "key": "ads", "date": "2025-02", "amount": 1000}, ps(costsW)},
		{"GET", "/costs/" + id, nil, ps(costsR)},
		{"PATCH", "/costs/" + id, map[string]any{"amount": 350}, ps(costsW)},
		{"POST", "/costs/import?dry_run=true", "kind,key,date,amount\nstaff,call,2025-01-01,0.50\n", ps(costsW, crm.P(crm.ResImport, crm.Write))},
		{"GET", "/reports/cohorts", nil, ps(analyticsR)},
		{"GET", "/reports/economics", nil, ps(analyticsR)},
		{"DELETE", "/costs/" + fmt.Sprint(gone.ID), nil, ps(costsW)},
	}
	snap := func() any {
		p, err := svc.FindCosts(ctx, crm.CostFilter{Limit: 500})
		must(t, err)
		return p.Items
	}
	return routes, snap
}

func TestCostsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		e.run(t, []scenario{
			{name: "create", method: "POST", url: "/api/v1/costs", key: key, body: map[string]any{"kind": "acquisition", "key": " Ads ", "date": "2025-03-17", "amount": 125000},
				wantStatus: 201, wantContains: []string{`"key":"ads"`, `"date":"2025-03-01"`, `"currency":"USD"`, `"per":1`}},
			{name: "duplicate", method: "POST", url: "/api/v1/costs", key: key, body: map[string]any{"kind": "acquisition", "key": "ads", "date": "2025-03", "amount": 1},
				wantStatus: 409},
			{name: "invalid fields", method: "POST", url: "/api/v1/costs", key: key, body: map[string]any{"kind": "staff", "key": "lunch", "date": "2025-13-01", "amount": -1, "per": 0, "currency": "XX"},
				wantStatus: 422, wantContains: []string{"body.key", "body.date", "body.amount", "body.per", "body.currency"}},
			{name: "unknown kind", method: "POST", url: "/api/v1/costs", key: key, body: map[string]any{"kind": "rent", "key": "x", "date": "2025-01-01", "amount": 1},
				wantStatus: 422, wantContains: []string{"body.kind"}},
			{name: "list filtered", method: "GET", url: "/api/v1/costs?kind=acquisition&from=2025-03-01&to=2025-03-31&total=true", key: key,
				wantStatus: 200, wantContains: []string{`"total":1`, `"key":"ads"`}},
			{name: "unknown filter", method: "GET", url: "/api/v1/costs?channel=ads", key: key, wantStatus: 422, wantContains: []string{"query.channel"}},
			{name: "bad cursor", method: "GET", url: "/api/v1/costs?after=!!", key: key, wantStatus: 422, wantContains: []string{"after"}},
			{name: "bad days", method: "GET", url: "/api/v1/reports/cohorts?days=90,x", key: key, wantStatus: 422, wantContains: []string{"days"}},
			{name: "days out of range", method: "GET", url: "/api/v1/reports/cohorts?days=0", key: key, wantStatus: 422, wantContains: []string{"days"}},
			{name: "reversed range", method: "GET", url: "/api/v1/reports/economics?from=2025-05-01&to=2025-01-01", key: key, wantStatus: 422, wantContains: []string{"to"}},
			{name: "bad sort", method: "GET", url: "/api/v1/reports/economics?sort=name", key: key, wantStatus: 422},
			{name: "cohorts", method: "GET", url: "/api/v1/reports/cohorts?from=2025-01-01&to=2025-06-30", key: key, wantStatus: 200,
				wantContains: []string{`"cohorts":[`, `"never_returned":[`, `"last_day":"2025-06-30"`}},
			{name: "economics", method: "GET", url: "/api/v1/reports/economics?from=2025-01-01&to=2025-06-30&sort=profit&limit=5", key: key, wantStatus: 200,
				wantContains: []string{`"retention_vs_acquisition":`, `"acquisition_spend":125000`, `"customers":[]`}},
		})
	})
}

func TestCostImportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		bad := "kind,key,date,amount,currency,per,note\n" +
			"acquisition,ads,2025-01,1200.00,,,\n" +
			"product,SKU-1,2025-01-01,abc,,,\n" +
			"staff,lunch,2025-01-01,0.50,,,\n" +
			"message,email,2025-1-1,0.01,,,\n" +
			"acquisition,ADS,2025-01-20,5,,,\n"
		r := e.do("POST", "/api/v1/costs/import", bad, key, "Content-Type", "text/csv")
		if r.status != 200 {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		var rep crm.CostImportReport
		must(t, json.Unmarshal(r.body, &rep))
		got := map[string]bool{}
		for _, x := range rep.Rejected {
			got[fmt.Sprintf("%d:%s", x.Line, x.Field)] = true
		}
		for _, want := range []string{"3:amount", "4:key", "5:date", "6:date"} {
			if !got[want] {
				t.Errorf("rejected %v, want line:field %s", rep.Rejected, want)
			}
		}
		if rep.Created != 0 || len(got) != 4 {
			t.Errorf("a file with rejected lines stores nothing: %+v", rep)
		}
		good := "kind,key,date,amount,per,note\nacquisition,ads,2025-01,1200.00,,January ads\nproduct,SKU-1,2025-01-01,4.25,,\nmessage,email,2025-01-01,0.08,100,8 cents per 100\n"
		r = e.do("POST", "/api/v1/costs/import?dry_run=true", good, key, "Content-Type", "text/csv")
		must(t, json.Unmarshal(r.body, &rep))
		if rep.Created != 3 || !rep.DryRun {
			t.Errorf("dry run: %+v", rep)
		}
		if r := e.do("GET", "/api/v1/costs?total=true", nil, key); !json.Valid(r.body) || string(r.body) == "" || !containsTotal(r.body, 0) {
			t.Errorf("the dry run stored: %s", r.body)
		}
		for i, want := range []crm.CostImportReport{{Created: 3}, {Unchanged: 3}} {
			r = e.do("POST", "/api/v1/costs/import", good, key, "Content-Type", "text/csv")
			rep = crm.CostImportReport{}
			must(t, json.Unmarshal(r.body, &rep))
			if rep.Created != want.Created || rep.Unchanged != want.Unchanged || rep.Updated != 0 {
				t.Errorf("import %d: %+v", i+1, rep)
			}
		}
		r = e.do("POST", "/api/v1/costs/import", "kind,key,date,amount\nproduct,SKU-1,2025-01-01,4.50\n", key, "Content-Type", "text/csv")
		must(t, json.Unmarshal(r.body, &rep))
		if rep.Updated != 1 {
			t.Errorf("changed amount: %+v", rep)
		}
		if r := e.do("POST", "/api/v1/costs/import", "kind,key,amount\nproduct,SKU-1,4\n", key, "Content-Type", "text/csv"); r.status != 422 {
			t.Errorf("missing date column: %d %s", r.status, r.body)
		}
	})
}

func containsTotal(body []byte, n int) bool {
	var p struct {
		Total *int `json:"total"`
	}
	return json.Unmarshal(body, &p) == nil && p.Total != nil && *p.Total == n
}
