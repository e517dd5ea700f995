package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/scores"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, scoresMatrix) }

// scoredContact imports an order history, runs the score job and returns
// a scored contact.
func scoredContact(t *testing.T, db *store.DB) int64 {
	t.Helper()
	storetest.OrderHistory(t, db, 40, time.Now().UTC())
	run, err := scores.New(db).RecomputeScores(storetest.System(), crm.ScoreOptions{})
	must(t, err)
	if run.Status != "ok" {
		t.Fatalf("score run: %+v", run)
	}
	var id int64
	must(t, db.Read().QueryRowContext(context.Background(), `SELECT contact_id FROM contact_scores ORDER BY contact_id LIMIT 1`).Scan(&id))
	return id
}

// scoresMatrix adds the customer value operations; the snapshot is the
// runs and the value report.
func scoresMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	id := scoredContact(t, db)
	routes := []matrixRoute{
		{"GET", fmt.Sprintf("/contacts/%d/scores", id), nil, ps(analyticsR, contactsR)},
		{"GET", "/scores/runs/latest", nil, ps(analyticsR)},
		{"GET", "/scores/runs", nil, ps(analyticsR)},
		{"POST", "/scores/runs", map[string]any{}, ps(analyticsW)},
		{"GET", "/reports/value", nil, ps(analyticsR)},
	}
	snap := func() any {
		svc := scores.New(db)
		runs, err := svc.FindScoreRuns(storetest.System(), 200)
		must(t, err)
		rep, err := svc.ValueReport(storetest.System(), 200)
		must(t, err)
		return []any{runs, rep}
	}
	return routes, snap
}

// TestScoresAPI: the run record has the keys, bad options are a
// 422 naming the field, the contact's scores and the value report come
// back, and a contact without orders has no scores (404).
func TestScoresAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		reader := e.key("analytics:read")
		id := scoredContact(t, db)
		c, err := db.CreateContact(storetest.System(), crm.ContactInput{FirstName: ptr("No"), Email: ptr("no-orders@example.com")})
		must(t, err)
		e.run(t, []scenario{
			{name: "latest", method: "GET", url: "/api/v1/scores/runs/latest", key: reader, wantStatus: 200,
				wantContains: []string{`"customers":40`, `"bgnbd":{"r":`, `"log_likelihood"`, `"gamma_gamma":{"p":`, `"fit_ms"`, `"status":"ok"`, `"holdout":{`}},
			{name: "list", method: "GET", url: "/api/v1/scores/runs?limit=5", key: reader, wantStatus: 200, wantContains: []string{`"items":[{"id"`}},
			{name: "contact", method: "GET", url: fmt.Sprintf("/api/v1/contacts/%d/scores", id), key: key, wantStatus: 200,
				wantContains: []string{`"rfm_group"`, `"p_alive"`, `"clv_12m"`, `"churn_band"`, `"currency":"USD"`}},
			{name: "no orders", method: "GET", url: fmt.Sprintf("/api/v1/contacts/%d/scores", c.ID), key: key, wantStatus: 404},
			{name: "value report", method: "GET", url: "/api/v1/reports/value?at_risk=5", key: reader, wantStatus: 200,
				wantContains: []string{`"groups":[{"group":"champions"`, `"grid":[[`, `"clv_buckets":[{`, `"customers":40`}},
			{name: "bad as_of", method: "POST", url: "/api/v1/scores/runs", key: key, body: map[string]any{"as_of": "2024-02-30"}, wantStatus: 422, wantContains: []string{"body.as_of"}},
			{name: "bad rate", method: "POST", url: "/api/v1/scores/runs", key: key, body: map[string]any{"discount_rate": 2}, wantStatus: 422, wantContains: []string{"discount_rate"}},
			{name: "reader cannot recompute", method: "POST", url: "/api/v1/scores/runs", key: reader, body: map[string]any{}, wantStatus: 403},
			{name: "recompute with rate", method: "POST", url: "/api/v1/scores/runs", key: key, body: map[string]any{"discount_rate": 0.2}, wantStatus: 201,
				wantContains: []string{`"discount_rate":0.2`, `"status":"ok"`}},
			{name: "failing fit", method: "POST", url: "/api/v1/scores/runs", key: key, body: map[string]any{"as_of": "1990-01-01"}, wantStatus: 201,
				wantContains: []string{`"status":"failed"`, `"error":`}},
		})
	})
}
