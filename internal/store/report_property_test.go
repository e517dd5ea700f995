package store_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

const dayMS = 86400000

// propOrder is an order as the direct aggregate reads it.
type propOrder struct {
	id, contact, placed, total int64 // contact 0: none
	status, currency, kind     string
	lines                      []propLine
}

type propLine struct {
	sku, name  string
	qty, total int64
}

// loadOrders reads every order and line straight from the tables.
func loadOrders(t *testing.T, db *store.DB) []propOrder {
	t.Helper()
	rows, err := store.QueryForTest(db, `SELECT id, COALESCE(contact_id, 0), placed_at, total, status, currency, kind FROM orders ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []propOrder
	index := map[int64]int{}
	for rows.Next() {
		var o propOrder
		if err := rows.Scan(&o.id, &o.contact, &o.placed, &o.total, &o.status, &o.currency, &o.kind); err != nil {
			t.Fatal(err)
		}
		index[o.id] = len(out)
		out = append(out, o)
	}
	rows.Close()
	rows, err = store.QueryForTest(db, `SELECT order_id, sku, name, quantity, total FROM order_lines ORDER BY order_id, position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l propLine
		if err := rows.Scan(&id, &l.sku, &l.name, &l.qty, &l.total); err != nil {
			t.Fatal(err)
		}
		o := &out[index[id]]
		o.lines = append(o.lines, l)
	}
	return out
}

// directReport computes the report's figures from the orders alone, by
// the definitions crm.SalesReport documents, for [from, to) in the shop
// currency and Gregorian months.
//
// A purchase is a sale (kind order) in a purchased status; a credit note
// (kind credit) nets the day's revenue and its products' units and
// revenue, and is no order, no product line, no new or returning
// purchase (returning revenue is the later purchases of customers, not
// guests, without credit notes). A day with only credit notes is a day of
// the report; a product with only credit lines in the range is not a top
// product.
func directReport(orders []propOrder, from, to time.Time, currency string) *crm.SalesReport {
	f, tt := from.UnixMilli(), to.UnixMilli()
	rep := &crm.SalesReport{From: from, To: to, Currency: currency, Calendar: crm.Gregorian{}, ReturningCustomers: map[time.Time]int{}}
	type first struct {
		o                *propOrder
		second, secondDy *int64
	}
	var bought, credits []*propOrder
	for i := range orders {
		switch {
		case orders[i].kind == crm.OrderKindCredit:
			credits = append(credits, &orders[i])
		case crm.Purchased(orders[i].status):
			bought = append(bought, &orders[i])
		}
	}
	slices.SortFunc(bought, func(a, b *propOrder) int {
		if a.placed != b.placed {
			return int(a.placed - b.placed)
		}
		return int(a.id - b.id)
	})
	firsts := map[int64]*first{}
	isFirst := map[int64]bool{}
	for _, o := range bought {
		if o.contact == 0 {
			continue
		}
		fr := firsts[o.contact]
		switch {
		case fr == nil:
			firsts[o.contact] = &first{o: o}
			isFirst[o.id] = true
		default:
			if fr.second == nil {
				fr.second = &o.placed
			}
			if fr.secondDy == nil && o.placed/dayMS > fr.o.placed/dayMS {
				fr.secondDy = &o.placed
			}
		}
	}
	days := map[int64]*crm.SalesDay{}
	returning := map[time.Time]map[int64]bool{}
	prods := map[string]*crm.ProductSales{}
	for _, o := range bought {
		if o.placed < f || o.placed >= tt {
			continue
		}
		d := days[o.placed/dayMS]
		if d == nil {
			d = &crm.SalesDay{Day: time.UnixMilli(o.placed / dayMS * dayMS).UTC()}
			days[o.placed/dayMS] = d
		}
		usd := int64(0)
		if o.currency == currency {
			usd = o.total
		}
		d.Orders++
		d.Revenue += usd
		switch {
		case o.contact == 0:
		case isFirst[o.id]:
			d.NewOrders++
			d.NewRevenue += usd
		default:
			d.ReturningOrders++
			d.ReturningRevenue += usd
			m := crm.Gregorian{}.MonthStart(d.Day)
			if returning[m] == nil {
				returning[m] = map[int64]bool{}
			}
			returning[m][o.contact] = true
		}
		if o.currency != currency {
			continue
		}
		for _, l := range o.lines {
			p := prods[l.sku]
			if p == nil {
				p = &crm.ProductSales{SKU: l.sku}
				prods[l.sku] = p
			}
			p.Name = max(p.Name, l.name)
			p.Lines++
			p.Quantity += l.qty
			p.Revenue += l.total
		}
	}
	for _, o := range credits {
		if o.placed < f || o.placed >= tt {
			continue
		}
		d := days[o.placed/dayMS]
		if d == nil {
			d = &crm.SalesDay{Day: time.UnixMilli(o.placed / dayMS * dayMS).UTC()}
			days[o.placed/dayMS] = d
		}
		if o.currency != currency {
			continue
		}
		d.Revenue += o.total
		d.CreditRevenue += o.total
		for _, l := range o.lines {
			p := prods[l.sku]
			if p == nil {
				p = &crm.ProductSales{SKU: l.sku}
				prods[l.sku] = p
			}
			p.Name = max(p.Name, l.name)
			p.Quantity -= l.qty
			p.Revenue += l.total
		}
	}
	for _, d := range days {
		rep.Days = append(rep.Days, *d)
		rep.Orders += d.Orders
		rep.Revenue += d.Revenue
	}
	slices.SortFunc(rep.Days, func(a, b crm.SalesDay) int { return a.Day.Compare(b.Day) })
	for m, cs := range returning {
		rep.ReturningCustomers[m] = len(cs)
	}
	for _, p := range prods {
		if p.Lines > 0 {
			rep.TopProducts = append(rep.TopProducts, *p)
		}
	}
	slices.SortFunc(rep.TopProducts, func(a, b crm.ProductSales) int {
		if a.Revenue != b.Revenue {
			return int(b.Revenue - a.Revenue)
		}
		return compareStrings(a.SKU, b.SKU)
	})
	if len(rep.TopProducts) > 10 {
		rep.TopProducts = rep.TopProducts[:10]
	}
	rep.Gaps = make([]crm.GapBucket, len(crm.GapBounds))
	for i, g := range crm.GapBounds {
		rep.Gaps[i] = crm.GapBucket{MinDays: g[0], MaxDays: g[1]}
	}
	var byOrder, byDay []float64
	for _, fr := range firsts {
		if fr.o.placed >= tt {
			continue
		}
		rep.Customers++
		if fr.second != nil && *fr.second < tt {
			rep.Repeat++
			g := (*fr.second - fr.o.placed) / dayMS
			rep.Gaps[crm.GapBucketOf(int(g))].Customers++
			byOrder = append(byOrder, float64(g))
		}
		if fr.secondDy != nil && *fr.secondDy < tt {
			rep.RepeatDays++
			g := *fr.secondDy/dayMS - fr.o.placed/dayMS
			rep.Gaps[crm.GapBucketOf(int(g))].CustomersByDay++
			byDay = append(byDay, float64(g))
		}
	}
	rep.MedianDaysToSecond, rep.MedianDaysToSecondDay = median(byOrder), median(byDay)
	return rep
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	m := (v[(len(v)-1)/2] + v[len(v)/2]) / 2
	return &m
}

// compareReports reports every figure of got that differs from want.
func compareReports(t *testing.T, step int, got, want *crm.SalesReport) {
	t.Helper()
	check := func(name string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("step %d, %s – %s: %s = %+v\nwant %+v", step, want.From.Format(time.DateOnly), want.To.Format(time.DateOnly), name, g, w)
		}
	}
	check("days", got.Days, want.Days)
	check("months", got.Months(), want.Months())
	check("totals", [2]int64{int64(got.Orders), got.Revenue}, [2]int64{int64(want.Orders), want.Revenue})
	check("customers, repeat by orders, by days", [3]int{got.Customers, got.Repeat, got.RepeatDays}, [3]int{want.Customers, want.Repeat, want.RepeatDays})
	check("gaps", got.Gaps, want.Gaps)
	check("median days to the second order", fmtMedian(got.MedianDaysToSecond), fmtMedian(want.MedianDaysToSecond))
	check("median days to the second purchase day", fmtMedian(got.MedianDaysToSecondDay), fmtMedian(want.MedianDaysToSecondDay))
	if len(got.TopProducts) == 0 {
		got.TopProducts = nil
	}
	check("top products", got.TopProducts, want.TopProducts)
}

func fmtMedian(m *float64) string {
	if m == nil {
		return "none"
	}
	return strconv.FormatFloat(*m, 'f', 1, 64)
}

// TestSalesReportEqualsDirectAggregate interleaves at random what changes
// orders — live orders placed at past times (as the demo does), status
// changes into and out of a purchase, historical imports (with credit
// notes and guest orders), merges and
// deletions of contacts — with report reads, and after each read compares
// every figure of the report for a random period with the same figures
// computed directly from the orders. The rollups are then right whatever
// the order of writes and reads, including orders written before the
// first report.
func TestSalesReportEqualsDirectAggregate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for seed := range uint64(3) {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
				if seed > 0 {
					db = storetest.Open(t, db.Engine())
				}
				propertyRun(t, db, seed, 110)
			})
		}
	})
}

func propertyRun(t *testing.T, db *store.DB, seed uint64, steps int) {
	ctx := storetest.System()
	rng := rand.New(rand.NewPCG(seed, 9))
	skus := map[string][]string{"USD": {"TEA", "MUG", "POT"}, "EUR": {"KAFFEE"}}
	for cur, list := range skus {
		for i, sku := range list {
			mustProduct(t, db, sku, int64(500+250*i), 1_000_000, func(in *crm.ProductInput) { in.Currency = ptr(cur) })
		}
	}
	clock := db.Now
	defer func() { db.Now = clock }()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// Twenty days of 2024, so that customers buy twice on a day, on the
	// next day and months later.
	var dayPool []time.Time
	for range 20 {
		dayPool = append(dayPool, base.AddDate(0, 0, rng.IntN(366)))
	}
	at := func() time.Time {
		return dayPool[rng.IntN(len(dayPool))].Add(time.Duration(rng.IntN(24*3600)) * time.Second)
	}
	ids := func(q string) []int64 {
		rows, err := store.QueryForTest(db, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	currency := func() string {
		if rng.IntN(5) == 0 {
			return "EUR"
		}
		return "USD"
	}
	counts := map[string]int{}
	for step := range steps {
		switch op := rng.IntN(20); {
		case op < 6: // a live order, placed at a past time
			cur := currency()
			var lines []crm.OrderLineInput
			for range 1 + rng.IntN(2) {
				lines = append(lines, line(skus[cur][rng.IntN(len(skus[cur]))], int64(1+rng.IntN(3))))
			}
			in := crm.OrderInput{Currency: &cur, Lines: lines, Status: ptr([]string{crm.OrderPending, crm.OrderPaid, crm.OrderPaid}[rng.IntN(3)])}
			if cs := ids(`SELECT id FROM contacts ORDER BY id`); len(cs) > 0 && rng.IntN(3) > 0 {
				in.ContactID = &cs[rng.IntN(len(cs))]
			} else {
				in.Email = ptr(fmt.Sprintf("buyer%d@example.com", rng.IntN(30)))
			}
			when := at()
			db.Now = func() time.Time { return when }
			if _, err := db.CreateOrder(ctx, in); err != nil {
				t.Fatalf("step %d: create order: %v", step, err)
			}
			db.Now = clock
			counts["order"]++
		case op < 10: // a status change, into or out of a purchase
			os := ids(`SELECT id FROM orders WHERE status NOT IN ('cancelled', 'refunded') ORDER BY id`)
			if len(os) == 0 {
				continue
			}
			id := os[rng.IntN(len(os))]
			o, err := db.FindOrderByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			next := crm.NextStatuses(o.Status)
			if len(next) == 0 {
				continue
			}
			if _, err := db.SetOrderStatus(ctx, id, crm.OrderStatusInput{Status: next[rng.IntN(len(next))]}); err != nil {
				t.Fatalf("step %d: status of order %d from %s: %v", step, id, o.Status, err)
			}
			counts["status"]++
		case op < 12: // a historical import of a few orders
			var hist []crm.HistoricalOrder
			for range 1 + rng.IntN(6) {
				cur := currency()
				sku := skus[cur][rng.IntN(len(skus[cur]))]
				q, price := int64(1+rng.IntN(3)), int64(100+rng.IntN(5000))
				h := crm.HistoricalOrder{ExternalID: fmt.Sprintf("hist-%d-%d", step, len(hist)), CustomerSource: "prop",
					CustomerID: strconv.Itoa(rng.IntN(25)), CustomerName: "Imported", Currency: cur, PlacedAt: at(),
					Status: []string{crm.OrderDelivered, crm.OrderPaid, crm.OrderCancelled, crm.OrderRefunded, crm.OrderShipped}[rng.IntN(5)],
					Lines:  []crm.HistoricalLine{{SKU: sku, Name: "Product " + sku, Quantity: q, UnitPrice: price, Total: q * price}}}
				switch rng.IntN(6) {
				case 0, 1:
					h.CustomerID, h.Email = "", fmt.Sprintf("buyer%d@example.com", rng.IntN(30))
				case 2: // a guest order: no customer at all
					h.CustomerID = ""
				}
				if rng.IntN(4) == 0 {
					// A credit note: units given back, a negative total;
					// the import stores it refunded, whatever the status.
					h.Kind = crm.OrderKindCredit
					h.Lines[0].Total = -h.Lines[0].Total
					counts["credit"]++
				}
				if h.CustomerID == "" && h.Email == "" {
					counts["guest"]++
				}
				hist = append(hist, h)
			}
			imp, err := db.BeginOrderImport(ctx, store.OrderImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := imp.Write(ctx, hist); err != nil {
				t.Fatalf("step %d: import: %v", step, err)
			}
			if _, err := imp.Finish(ctx); err != nil {
				t.Fatalf("step %d: import: %v", step, err)
			}
			counts["import"]++
		case op < 14: // a merge of two contacts
			cs := ids(`SELECT id FROM contacts ORDER BY id`)
			if len(cs) < 2 {
				continue
			}
			i, j := rng.IntN(len(cs)), rng.IntN(len(cs)-1)
			if j >= i {
				j++
			}
			if _, err := db.MergeContacts(ctx, cs[i], cs[j]); err != nil {
				t.Fatalf("step %d: merge: %v", step, err)
			}
			counts["merge"]++
		case op < 15: // a contact deleted: their orders stay, without a customer
			cs := ids(`SELECT id FROM contacts ORDER BY id`)
			if len(cs) == 0 {
				continue
			}
			if err := db.DeleteContact(ctx, cs[rng.IntN(len(cs))]); err != nil {
				t.Fatalf("step %d: delete: %v", step, err)
			}
			counts["delete"]++
		default: // a report of a random period
			from := base.AddDate(0, 0, rng.IntN(400)-20)
			to := from.AddDate(0, 0, 1+rng.IntN(400))
			f := crm.SalesReportFilter{From: &from, To: &to}
			if rng.IntN(4) == 0 {
				f = crm.SalesReportFilter{} // the default range
			}
			got, err := db.SalesReport(ctx, f)
			if err != nil {
				t.Fatalf("step %d: report: %v", step, err)
			}
			want := directReport(loadOrders(t, db), got.From, got.To, "USD")
			compareReports(t, step, got, want)
			counts["read"]++
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	// And once more over the whole year, after the last write.
	from, to := base.AddDate(0, -1, 0), base.AddDate(1, 1, 0)
	got, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &from, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	compareReports(t, steps, got, directReport(loadOrders(t, db), from, to, "USD"))
	if got.Orders == 0 || got.Repeat == 0 {
		t.Errorf("the run bought too little to test anything: %+v", got)
	}
	t.Logf("operations: %v", counts)
}
