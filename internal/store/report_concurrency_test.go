package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestSalesRollupsUnderConcurrentServers runs two stores on one database
// (two servers sharing a PostgreSQL, or two processes on one SQLite
// file), each with several workers placing orders for a few customers,
// changing their status, merging customers and importing history at
// once. No write may fail other than by the conflicts the services
// document, and afterwards the report equals the direct aggregate: no
// sum lost between transactions racing on a day's row or a customer.
func TestSalesRollupsUnderConcurrentServers(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			ctx := storetest.System()
			for _, sku := range []string{"TEA", "MUG"} {
				mustProduct(t, dbs[0], sku, 700, 1_000_000, func(in *crm.ProductInput) { in.Currency = ptr("USD") })
			}
			var contacts []int64
			for i := range 8 {
				c := mustContact(t, ctx, dbs[0], crm.ContactInput{Email: ptr(fmt.Sprintf("race%d@example.com", i))})
				contacts = append(contacts, c.ID)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 1000)
			for w := range 6 {
				db := dbs[w%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 3))
					var mine []int64
					for i := range 40 {
						var err error
						switch op := rng.IntN(10); {
						case op < 5:
							in := crm.OrderInput{ContactID: &contacts[rng.IntN(len(contacts))], Currency: ptr("USD"),
								Status: ptr([]string{crm.OrderPaid, crm.OrderPending}[rng.IntN(2)]), Lines: []crm.OrderLineInput{line("TEA", 1), line("MUG", 2)}}
							var o *crm.Order
							if o, err = db.CreateOrder(ctx, in); err == nil {
								mine = append(mine, o.ID)
							}
						case op < 8 && len(mine) > 0:
							id := mine[rng.IntN(len(mine))]
							next := []string{crm.OrderPaid, crm.OrderCancelled, crm.OrderShipped, crm.OrderRefunded}[rng.IntN(4)]
							_, err = db.SetOrderStatus(ctx, id, crm.OrderStatusInput{Status: next})
						case op == 8 && w == 0 && i%10 == 9:
							// Rarely: two customers become one.
							a, b := contacts[rng.IntN(len(contacts))], contacts[rng.IntN(len(contacts))]
							if a != b {
								_, err = db.MergeContacts(ctx, a, b)
							}
						default:
							imp, e := db.BeginOrderImport(ctx, store.OrderImportOptions{})
							if e != nil {
								err = e
								break
							}
							h := crm.HistoricalOrder{ExternalID: fmt.Sprintf("race-%d-%d", w, i), CustomerSource: "race", CustomerID: strconv.Itoa(rng.IntN(4)),
								Status: crm.OrderDelivered, Currency: "USD", PlacedAt: time.Now().UTC().Add(-time.Duration(rng.IntN(48)) * time.Hour),
								Lines: []crm.HistoricalLine{{SKU: "TEA", Name: "Product TEA", Quantity: 1, UnitPrice: 300, Total: 300}}}
							if err = imp.Write(ctx, []crm.HistoricalOrder{h}); err == nil {
								_, err = imp.Finish(ctx)
							}
						}
						switch crm.ErrorCode(err) {
						case "", crm.ECONFLICT, crm.ENOTFOUND, crm.EINVALID:
							// Refused transitions, an order or customer
							// merged away meanwhile: the documented answers.
						default:
							errs <- fmt.Errorf("worker %d, step %d: %w", w, i, err)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			from, to := time.Now().UTC().AddDate(0, -1, 0), time.Now().UTC().AddDate(0, 1, 0)
			for _, db := range dbs {
				got, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &from, To: &to})
				if err != nil {
					t.Fatal(err)
				}
				compareReports(t, 0, got, directReport(loadOrders(t, db), from, to, "USD"))
				if got.Orders == 0 {
					t.Error("no purchases made")
				}
			}
		})
	}
}
