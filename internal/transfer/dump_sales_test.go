package transfer_test

import (
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillDeals, fillWebhooks) }

// fillDeals makes a deal with a product line and moves it once, so deals,
// deal_lines and deal_stage_history have rows (pipelines are seeded).
func fillDeals(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	d, err := db.CreateDeal(ctx, crm.DealInput{Title: ptr("Renewal 2027"), Currency: ptr("EUR"), ContactID: &contactID,
		ExpectedClose: ptr("2027-01-31"), Lines: &[]crm.DealLineInput{{SKU: "TEE-1", Quantity: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.FindPipelineByID(ctx, d.PipelineID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MoveDeal(ctx, d.ID, crm.DealStageInput{StageID: p.Stages[1].ID}); err != nil {
		t.Fatal(err)
	}
}

// fillWebhooks makes an endpoint, queues a test delivery and records one
// failed attempt at it. The secret itself is not exported (the test of
// the export format checks that).
func fillWebhooks(t *testing.T, db *store.DB, _ int64) {
	t.Helper()
	ctx := storetest.System()
	ep, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://shop.example/hooks"), Events: &[]string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.TestWebhook(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.ClaimWebhookJobs(ctx, time.Minute, 10)
	if err != nil || len(jobs) == 0 {
		t.Fatalf("claim: %d jobs, %v", len(jobs), err)
	}
	for _, j := range jobs {
		if err := db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: j.DeliveryID, Attempt: 1, At: time.Now(), ResponseCode: 503, ResponseBody: "busy", Duration: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
}
