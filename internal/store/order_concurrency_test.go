package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestConcurrentOrdersNeverOversell races 100 orders for 10 units: exactly
// 10 succeed, the rest get the out-of-stock conflict, stock is never
// negative and the ledger adds up to the levels. Then every order is
// cancelled twice at once: each reservation is released exactly once.
func TestConcurrentOrdersNeverOversell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		p := mustProduct(t, db, "LAST-10", 1000, 10)
		// Customers exist first, so the race is on stock alone.
		ids := make([]int64, 100)
		for i := range ids {
			c := mustContact(t, ctx, db, crm.ContactInput{Email: ptr(fmt.Sprintf("buyer%d@example.com", i))})
			ids[i] = c.ID
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var placed []int64
		conflicts, others := 0, []error{}
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: &ids[i], Currency: ptr("EUR"), Lines: []crm.OrderLineInput{line("LAST-10", 1)}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					placed = append(placed, o.ID)
				case crm.ErrorCode(err) == crm.ECONFLICT:
					conflicts++
				default:
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		if len(others) > 0 {
			t.Fatalf("unexpected errors: %v", others[0])
		}
		if len(placed) != 10 || conflicts != 90 {
			t.Fatalf("%d orders placed, %d refused; want 10 and 90", len(placed), conflicts)
		}
		if on, res := stock(t, db, p.ID); on != 10 || res != 10 {
			t.Fatalf("stock %d on hand, %d reserved; want 10/10", on, res)
		}
		cancelled := 0
		for _, id := range placed {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := db.SetOrderStatus(ctx, id, crm.OrderStatusInput{Status: crm.OrderCancelled})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						cancelled++
					case crm.ErrorCode(err) != crm.ECONFLICT:
						others = append(others, err)
					}
				}()
			}
		}
		wg.Wait()
		if len(others) > 0 {
			t.Fatalf("unexpected errors cancelling: %v", others[0])
		}
		if cancelled != 10 {
			t.Fatalf("%d cancellations succeeded, want 10 (one per order)", cancelled)
		}
		if on, res := stock(t, db, p.ID); on != 10 || res != 0 {
			t.Fatalf("after cancelling: %d on hand, %d reserved; want 10/0", on, res)
		}
	})
}
