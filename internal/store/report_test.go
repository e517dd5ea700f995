package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// salesFixture is a small hand-made shop: see TestSalesReport for what
// each customer stands for.
func salesFixture(t *testing.T, db *store.DB) {
	t.Helper()
	o := func(cust, date, sku string, cents int64, status, currency string) crm.HistoricalOrder {
		return crm.HistoricalOrder{ExternalID: cust + date + sku + status, CustomerSource: "test", CustomerID: cust, CustomerName: "Customer",
			Status: status, Currency: currency, PlacedAt: day(date),
			Lines: []crm.HistoricalLine{{SKU: sku, Name: sku + " name", Quantity: 1, UnitPrice: cents, Total: cents}}}
	}
	orders := []crm.HistoricalOrder{
		o("A", "2024-01-10", "TEA", 10000, "paid", "USD"),      // A: first in January…
		o("A", "2024-01-12", "TEA", 5000, "delivered", "USD"),  // …again 2 days later
		o("A", "2024-03-01", "TEA", 3000, "shipped", "USD"),    // …and in March
		o("B", "2024-02-01", "KETTLE", 20000, "paid", "USD"),   // B: first in February…
		o("B", "2024-04-15", "TEA", 2000, "paid", "USD"),       // …again 74 days later
		o("C", "2024-02-15", "TEA", 1000, "paid", "USD"),       // C: first in February…
		o("C", "2024-02-20", "TEA", 7000, "paid", "EUR"),       // …again in euros: an order, no revenue
		o("D", "2023-12-20", "TEA", 4000, "paid", "USD"),       // D: first before the range…
		o("D", "2024-01-20", "TEA", 6000, "paid", "USD"),       // …returning in January
		o("E", "2024-01-05", "TEA", 99900, "cancelled", "USD"), // E: a cancelled order is no purchase…
		o("E", "2024-03-10", "TEA", 500, "paid", "USD"),        // …so this is E's first
		o("F", "2024-05-01", "CUP", 8000, "paid", "USD"),       // F: first in May…
		o("F", "2025-01-01", "TEA", 1000, "paid", "USD"),       // …second after the range
		o("G", "2024-06-03", "TEA", 1000, "paid", "USD"),       // G: two orders on one day: a repeat
		o("G", "2024-06-03", "CUP", 2000, "paid", "USD"),       // …by orders, not by purchase days
	}
	imp, err := db.BeginOrderImport(storetest.System(), store.OrderImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Write(storetest.System(), orders); err != nil {
		t.Fatal(err)
	}
	if res, err := imp.Finish(storetest.System()); err != nil || res.Orders != len(orders) {
		t.Fatalf("fixture: %+v %v", res, err)
	}
}

func TestSalesReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		salesFixture(t, db)
		ctx := storetest.System()
		from, to := day("2024-01-01"), day("2024-07-01")
		rep, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &from, To: &to})
		if err != nil {
			t.Fatal(err)
		}
		month := func(d string, orders int, revenue int64, newOrders int, newRevenue int64, retOrders, retCustomers int) crm.SalesMonth {
			return crm.SalesMonth{Start: day(d), Orders: orders, Revenue: revenue, NewOrders: newOrders, NewRevenue: newRevenue,
				ReturningOrders: retOrders, ReturningRevenue: revenue - newRevenue, ReturningCustomers: retCustomers}
		}
		wantMonths := []crm.SalesMonth{
			month("2024-01-01", 3, 21000, 1, 10000, 2, 2), // A's second, D's second
			month("2024-02-01", 3, 21000, 2, 21000, 1, 1), // C's second, in euros: no revenue
			month("2024-03-01", 2, 3500, 1, 500, 1, 1),    // A's third
			month("2024-04-01", 1, 2000, 0, 0, 1, 1),      // B's second
			month("2024-05-01", 1, 8000, 1, 8000, 0, 0),
			month("2024-06-01", 2, 3000, 1, 1000, 1, 1), // G's second order of its first day
		}
		if got := rep.Months(); !reflect.DeepEqual(wantMonths, got) {
			t.Errorf("months = %+v\nwant %+v", got, wantMonths)
		}
		if rep.Orders != 12 || rep.Revenue != 58500 || rep.Currency != "USD" {
			t.Errorf("totals: %d orders, %d revenue %s", rep.Orders, rep.Revenue, rep.Currency)
		}
		// Customers who first bought before the end of the range: A–G; of
		// them A, B, C, D and G placed a second order before it (F only in
		// 2025), and A, B, C and D bought on a second day (G's orders
		// were of one day).
		if rep.Customers != 7 || rep.Repeat != 5 || rep.RepeatDays != 4 {
			t.Errorf("repeat: %d customers, %d repeat by orders, %d by days; want 7, 5, 4", rep.Customers, rep.Repeat, rep.RepeatDays)
		}
		// A 2 days, C 5 days, G 0 days, B 74 days, D 31 days (20 Dec – 20 Jan).
		wantGaps := []crm.GapBucket{{MinDays: 0, MaxDays: 7, Customers: 3, CustomersByDay: 2}, {MinDays: 8, MaxDays: 30},
			{MinDays: 31, MaxDays: 90, Customers: 2, CustomersByDay: 2}, {MinDays: 91, MaxDays: 180}, {MinDays: 181, MaxDays: 365}, {MinDays: 366, MaxDays: -1}}
		if got := rep.Gaps; !reflect.DeepEqual(wantGaps, got) {
			t.Errorf("gaps = %+v\nwant %+v", got, wantGaps)
		}
		// Medians of 0, 2, 5, 31, 74 and of 2, 5, 31, 74 days.
		if m := rep.MedianDaysToSecond; m == nil || *m != 5 {
			t.Errorf("median days to the second order = %v, want 5", m)
		}
		if m := rep.MedianDaysToSecondDay; m == nil || *m != 18 {
			t.Errorf("median days to the second purchase day = %v, want 18", m)
		}
		wantTop := []crm.ProductSales{{SKU: "TEA", Name: "TEA name", Lines: 8, Quantity: 8, Revenue: 28500},
			{SKU: "KETTLE", Name: "KETTLE name", Lines: 1, Quantity: 1, Revenue: 20000},
			{SKU: "CUP", Name: "CUP name", Lines: 2, Quantity: 2, Revenue: 10000}}
		if got := rep.TopProducts; !reflect.DeepEqual(wantTop, got) {
			t.Errorf("top products = %+v\nwant %+v", got, wantTop)
		}

		// Without dates: the 12 months up to the last month with a purchase.
		rep, err = db.SalesReport(ctx, crm.SalesReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.From.Equal(day("2024-02-01")) || !rep.To.Equal(day("2025-02-01")) || len(rep.Months()) != 12 {
			t.Errorf("default range %v – %v, %d months", rep.From, rep.To, len(rep.Months()))
		}
		if _, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &to, To: &from}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("reversed range: %v", err)
		}
		support, _ := storetest.User(t, db, crm.RoleSupport, "support@example.com")
		if _, err := db.SalesReport(support, crm.SalesReportFilter{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("support reading reports: %v", err)
		}
	})
}

// Live orders reach the report through the rollup refresh: placing one,
// paying it and cancelling it each show on the next report.
func TestSalesReportFollowsLiveOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		mustProduct(t, db, "MUG", 1250, 10, func(in *crm.ProductInput) { in.Currency = ptr("USD") })
		report := func() *crm.SalesReport {
			t.Helper()
			rep, err := db.SalesReport(ctx, crm.SalesReportFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		if rep := report(); rep.Orders != 0 {
			t.Fatalf("empty shop: %d orders", rep.Orders)
		}
		in := order("ana@example.com", crm.OrderLineInput{SKU: "MUG", Quantity: 2})
		in.Currency = ptr("USD")
		o, err := db.CreateOrder(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if rep := report(); rep.Orders != 0 {
			t.Errorf("a pending order is no purchase: %d orders", rep.Orders)
		}
		if _, err := db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: crm.OrderPaid}); err != nil {
			t.Fatal(err)
		}
		rep := report()
		if rep.Orders != 1 || rep.Revenue != o.Total || rep.Customers != 1 || len(rep.TopProducts) != 1 || rep.TopProducts[0].Quantity != 2 {
			t.Errorf("after payment: %d orders, %d revenue (want %d), %d customers, products %+v", rep.Orders, rep.Revenue, o.Total, rep.Customers, rep.TopProducts)
		}
		if m := rep.Months(); m[len(m)-1].NewRevenue != o.Total {
			t.Errorf("the first purchase is new revenue: %+v", m[len(m)-1])
		}
		if _, err := db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: crm.OrderCancelled}); err != nil {
			t.Fatal(err)
		}
		if rep := report(); rep.Orders != 0 || rep.Revenue != 0 || rep.Customers != 0 || len(rep.TopProducts) != 0 {
			t.Errorf("after cancelling: %d orders, %d revenue, %d customers, %+v", rep.Orders, rep.Revenue, rep.Customers, rep.TopProducts)
		}
	})
}

// TestSalesReportCountsOrdersWrittenBeforeFirstRead is the demo's case:
// orders placed at past times (the demo moves the store's clock back for
// each, as a shop's history would be), paid and shipped, and only then
// the first report. Every purchase is counted.
func TestSalesReportCountsOrdersWrittenBeforeFirstRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		mustProduct(t, db, "MUG", 1250, 100, func(in *crm.ProductInput) { in.Currency = ptr("USD") })
		clock := db.Now
		now := clock()
		var want int64
		for i, ago := range []int{90, 60, 40, 40, 10} {
			when := now.AddDate(0, 0, -ago)
			db.Now = func() time.Time { return when }
			in := order(fmt.Sprintf("c%d@example.com", i%3), line("MUG", int64(1+i)))
			in.Currency, in.Status = ptr("USD"), ptr(crm.OrderPaid)
			o, err := db.CreateOrder(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			when = when.Add(20 * time.Hour)
			if _, err := db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: crm.OrderShipped}); err != nil {
				t.Fatal(err)
			}
			want += o.Total
		}
		db.Now = clock
		rep, err := db.SalesReport(ctx, crm.SalesReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Orders != 5 || rep.Revenue != want || rep.Customers != 3 || rep.Repeat != 2 {
			t.Errorf("first report: %d orders, revenue %d, %d customers, %d repeat; want 5, %d, 3, 2", rep.Orders, rep.Revenue, rep.Customers, rep.Repeat, want)
		}
	})
}
