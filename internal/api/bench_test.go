package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkGetContact measures the handler path of GET /api/v1/contacts/{id}
// without the network: authentication, one store read, JSON. Run with
// -cpuprofile to see where a request's time goes.
func BenchmarkGetContact(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	ctx := storetest.System()
	var ids []int64
	for i := range 200 {
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), LastName: ptr(fmt.Sprint("Ahmadi", i)),
			Email: ptr(fmt.Sprintf("s%d@example.com", i)), Phone: ptr("+989123456789"), Tags: &[]string{"vip"}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	_, secret, err := db.CreateAPIKey(ctx, "bench", []string{"*"})
	if err != nil {
		b.Fatal(err)
	}
	h := New(db.Services(), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := httptest.NewRequestWithContext(context.Background(), "GET", fmt.Sprintf("/api/v1/contacts/%d", ids[i%len(ids)]), nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
			i++
		}
	})
}
