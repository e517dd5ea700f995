package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkDealReads measures the board's per-stage page, the list and the
// forecast over 5,000 deals on every engine:
// go test ./internal/store -run '^$' -bench DealReads -benchtime 20x
func BenchmarkDealReads(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			benchDeals(b, db, 5000)
			ctx := storetest.System()
			stage := int64(1)
			for _, c := range []struct {
				name string
				fn   func() error
			}{
				{"board-column", func() error {
					_, err := db.FindDeals(ctx, crm.DealFilter{StageID: &stage, Sort: "-updated_at", Limit: 200, WithoutLine: true})
					return err
				}},
				{"list-page", func() error {
					_, err := db.FindDeals(ctx, crm.DealFilter{Sort: "-amount", Limit: 50})
					return err
				}},
				{"forecast-12-months", func() error { _, err := db.Forecast(ctx, crm.ForecastFilter{}); return err }},
				{"pipelines-with-counts", func() error { _, err := db.FindPipelines(ctx); return err }},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if err := c.fn(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func benchDeals(b *testing.B, db *store.DB, n int) {
	ctx := storetest.System()
	start := time.Now()
	for i := range n {
		stage := int64(1 + i%5)
		close := time.Date(2026, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if _, err := db.CreateDeal(ctx, crm.DealInput{Title: ptr(fmt.Sprintf("Deal %05d", i)), Currency: ptr("EUR"),
			Amount: ptr(int64(1000 + i)), StageID: &stage, ExpectedClose: &close}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d deals created in %v (%.2f ms each)", db.Engine(), n, time.Since(start).Round(time.Millisecond), float64(time.Since(start).Microseconds())/1000/float64(n))
}
