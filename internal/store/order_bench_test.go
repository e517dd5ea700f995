package store_test

import (
	"fmt"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkCreateOrder is the store's share of placing an order: a known
// customer, two lines, stock reserved. go test ./internal/store -run X -bench CreateOrder
func BenchmarkCreateOrder(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := storetest.System()
			for i := range 50 {
				sku := fmt.Sprintf("B-%02d", i)
				if _, err := db.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr("P"), Price: ptr(int64(100 + i)), Currency: ptr("EUR"), Stock: ptr(int64(1_000_000))}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				in := crm.OrderInput{Email: ptr(fmt.Sprintf("c%d@example.com", i%1000)), Currency: ptr("EUR"), Status: ptr("paid"),
					Lines: []crm.OrderLineInput{{SKU: fmt.Sprintf("B-%02d", i%50), Quantity: 1}, {SKU: fmt.Sprintf("B-%02d", (i+7)%50), Quantity: 2}}}
				if _, err := db.CreateOrder(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
