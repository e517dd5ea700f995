package cli

import (
	"context"
	"testing"

	"github.com/ecrm/ecrm/internal/store/scores"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDemoScores: the demo's order history is scored, with customers in
// several RFM groups and some to call.
func TestDemoScores(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if _, err := seedDemo(context.Background(), db, 300, 1); err != nil {
		t.Fatal(err)
	}
	ctx := storetest.System()
	run, err := scores.New(db).LatestScoreRun(ctx)
	if err != nil || run.Status != "ok" || run.Customers < 50 {
		t.Fatalf("demo score run: %+v, %v", run, err)
	}
	rep, err := scores.New(db).ValueReport(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	groups := 0
	for _, g := range rep.Groups {
		if g.Customers > 0 {
			groups++
		}
	}
	if groups < 5 || rep.TotalCLV <= 0 {
		t.Errorf("demo value report: %d groups, total CLV %d", groups, rep.TotalCLV)
	}
	t.Logf("demo: %d customers, r=%.3f α=%.2f a=%.3f b=%.3f, p=%.2f q=%.2f γ=%.0f, %d groups, %d at risk",
		run.Customers, run.BGNBD.R, run.BGNBD.Alpha, run.BGNBD.A, run.BGNBD.B, run.GammaGamma.P, run.GammaGamma.Q, run.GammaGamma.Gamma, groups, len(rep.AtRisk))
}
