package cli

import (
	"context"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDemoCosts checks that the demo's costs give non-trivial economics:
// margin below revenue, acquisition and retention spend, and a cost per
// returning purchase below the cost per new customer.
func TestDemoCosts(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if _, err := seedDemo(context.Background(), db, 300, 1); err != nil {
		t.Fatal(err)
	}
	rep, err := economics.New(db).EconomicsReport(storetest.System(), crm.EconomicsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	tot, r := rep.Totals, rep.Retention
	if tot.Revenue <= 0 || tot.COGS <= 0 || tot.COGS >= tot.Revenue || tot.StaffCost <= 0 || tot.Acquisition <= 0 || tot.UncostedUnits != 0 {
		t.Errorf("totals: %+v", tot)
	}
	if r.CostPerReturning == nil || r.CostPerNew == nil || *r.CostPerReturning <= 0 || *r.CostPerReturning >= *r.CostPerNew {
		t.Errorf("retention vs acquisition: %+v", r)
	}
	t.Logf("demo: revenue %d, cogs %d, staff %d, acquisition %d; returning %.0f vs new %.0f", tot.Revenue, tot.COGS, tot.StaffCost, tot.Acquisition, *r.CostPerReturning, *r.CostPerNew)
}
