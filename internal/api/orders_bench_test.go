package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkCreateOrderAPI is POST /api/v1/orders without the network, as
// shops send it: an Idempotency-Key, two lines, stock reserved, customers
// from 20,000 emails (so early orders mostly create the customer). Run with
// -cpu and -cpuprofile to see where an order's time goes.
func BenchmarkCreateOrderAPI(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	ctx := storetest.System()
	for i := range 50 {
		sku := fmt.Sprintf("B-%02d", i)
		if _, err := db.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr("P"), Price: ptr(int64(100 + i)), Currency: ptr("EUR"), Stock: ptr(int64(1_000_000))}); err != nil {
			b.Fatal(err)
		}
	}
	_, secret, err := db.CreateAPIKey(ctx, "bench", []string{"*"})
	if err != nil {
		b.Fatal(err)
	}
	h := New(db.Services(), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"email":"c%d@example.com","currency":"EUR","status":"paid","lines":[{"sku":"B-%02d","quantity":1},{"sku":"B-%02d","quantity":2}]}`, i%20000, i%50, (i+7)%50)
			req := httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/orders", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d", i))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatalf("status %d %s", rec.Code, rec.Body)
			}
		}
	})
}
