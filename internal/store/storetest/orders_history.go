package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// OrderHistory imports two years of paid orders (in the shop currency)
// up to end for n
// customers (c0@example.com …), deterministically: customer i buys every
// 10+i%9·7.5 to 30+i%9·22.5 days (pseudo-random) from day i%50, a third
// of them once only, a quarter lapsed a year ago, with spends varying
// around a customer's own level: a score fit has repeat and one-time
// buyers, recent and lapsed ones.
func OrderHistory(t testing.TB, db *store.DB, n int, end time.Time) {
	t.Helper()
	var b strings.Builder
	b.WriteString("order_id,email,date,sku,name,quantity,unit_price,status\n")
	start := end.AddDate(-2, 0, 0)
	k := 0
	h := uint32(2463534242) // xorshift: spends and gaps vary like a shop's
	rnd := func(n int) int {
		h ^= h << 13
		h ^= h >> 17
		h ^= h << 5
		return int(h % uint32(n))
	}
	for i := 0; i < n; i++ {
		gap := 20 + (i%9)*15
		stop := 730
		if i%3 == 0 {
			stop = i%50 + 1 // one purchase only
		}
		if i%4 == 1 {
			stop = 400 // lapsed a year ago
		}
		base := 1000 + rnd(8000)
		for d := i % 50; d < stop && d <= 730; d += gap/2 + rnd(gap) {
			k++
			cents := base/2 + rnd(base)
			fmt.Fprintf(&b, "H%d,c%d@example.com,%s,SKU-%d,Item,1,%d.%02d,paid\n", k, i,
				start.AddDate(0, 0, d).Format("2006-01-02"), i%7, cents/100, cents%100)
		}
	}
	rep, err := db.ImportOrders(System(), strings.NewReader(b.String()), crm.OrderFileOptions{DateFormat: "iso"})
	if err != nil {
		t.Fatalf("import order history: %v", err)
	}
	if len(rep.Rejected) > 0 {
		t.Fatalf("order history: rejected %+v", rep.Rejected[0])
	}
}
