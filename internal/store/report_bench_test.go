package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// GenerateSales writes n orders for n/10 customers through the bulk import
// path: each customer's first purchase falls in 2023–2025, and each next
// one follows after an exponential gap (mean 60 days), with 1–3 lines of
// 200 SKUs. Deterministic for a seed.
func GenerateSales(ctx context.Context, db *store.DB, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 1))
	imp, err := db.BeginOrderImport(ctx, store.OrderImportOptions{})
	if err != nil {
		return err
	}
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]crm.HistoricalOrder, 0, 8192)
	customers := max(1, n/10)
	made := 0
	for c := 0; c < customers && made < n; c++ {
		k := 1 + rng.IntN(19) // 1–19 orders, 10 on average
		if c >= customers-1 {
			customers++ // until n orders are made
		}
		at := start.Add(time.Duration(rng.IntN(3*365*24)) * time.Hour)
		cust := strconv.Itoa(c + 1)
		for j := 0; j < k && made < n && (j == 0 || at.Before(end)); j++ {
			lines := make([]crm.HistoricalLine, 1+rng.IntN(3))
			for i := range lines {
				sku := "SKU-" + strconv.Itoa(rng.IntN(200))
				q := int64(1 + rng.IntN(3))
				price := int64(500 + rng.IntN(20000))
				lines[i] = crm.HistoricalLine{SKU: sku, Name: "Product " + sku, Quantity: q, UnitPrice: price, Total: q * price}
			}
			status := crm.OrderDelivered
			if rng.IntN(20) == 0 {
				status = crm.OrderCancelled
			}
			batch = append(batch, crm.HistoricalOrder{ExternalID: "gen:" + cust + ":" + strconv.Itoa(j), CustomerSource: "gen",
				CustomerID: cust, CustomerName: "Customer", Status: status, Currency: "USD", PlacedAt: at, Lines: lines})
			made++
			at = at.Add(time.Duration(rng.ExpFloat64()*60*24) * time.Hour)
			if len(batch) == cap(batch) {
				if err := imp.Write(ctx, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
	}
	if err := imp.Write(ctx, batch); err != nil {
		return err
	}
	_, err = imp.Finish(ctx)
	return err
}

// TestSalesReportMeasure measures the dashboard's queries on a generated
// shop: ECRM_SALES_ORDERS=1000000 go test ./internal/store -run
// SalesReportMeasure -v -timeout 30m (ECRM_TEST_POSTGRES for PostgreSQL too).
func TestSalesReportMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ECRM_SALES_ORDERS"))
	if n == 0 {
		t.Skip("set ECRM_SALES_ORDERS to measure")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		start := time.Now()
		if err := GenerateSales(ctx, db, n, 42); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: generated %d orders in %v", db.Engine(), n, time.Since(start))
		for i := range 4 {
			start = time.Now()
			rep, err := db.SalesReport(ctx, crm.SalesReportFilter{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: report %d: %v (%s – %s: %d orders, %d customers by its end, %d bought again)", db.Engine(), i, time.Since(start),
				rep.From.Format(time.DateOnly), rep.To.Format(time.DateOnly), rep.Orders, rep.Customers, rep.Repeat)
		}
		if keep := os.Getenv("ECRM_SALES_KEEP"); keep != "" && db.Engine() == "sqlite" {
			if err := db.Backup(ctx, keep); err != nil {
				t.Fatal(err)
			}
		}
	})
}
