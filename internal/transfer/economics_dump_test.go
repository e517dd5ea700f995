package transfer_test

import (
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillCosts) }

// fillCosts records one cost of every kind through the cost service,
// one of them in another currency.
func fillCosts(t *testing.T, db *store.DB, _ int64) {
	t.Helper()
	svc := economics.New(db)
	for _, in := range []crm.CostInput{
		{Kind: ptr("acquisition"), Key: ptr("ads"), Date: ptr("2025-01"), Amount: ptr(int64(125000)), Note: ptr("=cmd|' /C calc'!A0")},
		{Kind: ptr("product"), Key: ptr("MUG-1"), Date: ptr("2025-01-01"), Amount: ptr(int64(420))},
		{Kind: ptr("message"), Key: ptr("email"), Date: ptr("2025-01-01"), Amount: ptr(int64(8)), Per: ptr(int64(100)), Currency: ptr("EUR")},
		{Kind: ptr("staff"), Key: ptr("*"), Date: ptr("2025-01-01"), Amount: ptr(int64(50)), Note: ptr("هزینهٔ زمان")},
	} {
		if _, err := svc.CreateCost(storetest.System(), in); err != nil {
			t.Fatal(err)
		}
	}
}
