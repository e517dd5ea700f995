package store_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// cdnowPath is where CI finds the CDNOW data set: ../shared beside the repository.
const cdnowPath = "../../../shared/data/cdnow/CDNOW_master.txt"

func count(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	n, err := store.QueryInt(storetest.System(), db, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// cdnowSubset writes the CDNOW master's header and the purchases of
// customers 00001–03000 and 23001–23570 (about 11,000 of its 69,659
// lines; the file is sorted by customer) to a temporary file: the same
// format, both ends of the id range and several import batches, at a
// sixth of the cost of the whole file under the race detector. The whole
// file's import is timed by the benchmarks.
func cdnowSubset(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(cdnowPath)
	if err != nil {
		t.Skipf("CDNOW data set not found at %s (CI clones ../shared beside the repository): %v", cdnowPath, err)
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(string(data), "\n") {
		f := strings.Fields(line)
		if i == 0 || (len(f) == 4 && (f[0] <= "03000" || f[0] > "23000")) {
			b.WriteString(line)
		}
	}
	path := filepath.Join(t.TempDir(), "cdnow.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cdnowTotals reads the file independently of the importer: purchases and
// cents per customer.
func cdnowTotals(t *testing.T, path string) (orders, cents map[string]int64, first, last map[string]string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	orders, cents, first, last = map[string]int64{}, map[string]int64{}, map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		whole, frac, _ := strings.Cut(f[3], ".")
		var c int64
		for _, d := range whole + (frac + "00")[:2] {
			c = c*10 + int64(d-'0')
		}
		orders[f[0]]++
		cents[f[0]] += c
		if first[f[0]] == "" || f[1] < first[f[0]] {
			first[f[0]] = f[1]
		}
		if f[1] > last[f[0]] {
			last[f[0]] = f[1]
		}
	}
	return
}

func TestOrderImportCDNOW(t *testing.T) {
	path := cdnowSubset(t)
	orders, cents, first, last := cdnowTotals(t, path)
	var lines int64
	for _, n := range orders {
		lines += n
	}
	customers := int64(len(orders))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		f, _ := os.Open(path)
		start := time.Now()
		rep, err := db.ImportOrders(ctx, f, crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
		f.Close()
		t.Logf("%s: CDNOW import took %v", db.Engine(), time.Since(start))
		if err != nil {
			t.Fatal(err)
		}
		if int64(rep.Orders) != lines || int64(rep.ContactsCreated) != customers || rep.ContactsMatched != 0 || len(rep.Rejected) != 0 || int64(rep.FactsUpdated) != customers {
			t.Fatalf("report = %+v", rep)
		}
		for q, want := range map[string]int64{
			`SELECT COUNT(*) FROM contacts`:                                                  customers,
			`SELECT COUNT(*) FROM contacts WHERE source = 'import'`:                          customers,
			`SELECT COUNT(*) FROM orders WHERE status = 'delivered' AND currency = 'USD'`:    lines,
			`SELECT COUNT(*) FROM order_lines WHERE product_id IS NULL AND sku = 'CDNOW-CD'`: lines,
			`SELECT COUNT(*) FROM contact_external_ids WHERE source = 'cdnow'`:               customers,
			`SELECT COUNT(*) FROM customer_facts`:                                            customers,
			`SELECT COUNT(*) FROM stock_movements`:                                           0,
			`SELECT COUNT(*) FROM activities`:                                                0, // off by default (OrderFileOptions.Timeline)
			`SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND entity = 'order'`:    1,
		} {
			if got := count(t, db, q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		var all int64
		for _, c := range cents {
			all += c
		}
		if got := count(t, db, `SELECT SUM(total) FROM orders`); got != all {
			t.Errorf("sum of totals = %d, want %d", got, all)
		}
		for _, cust := range []string{"00001", "00002", "23570", "00075"} {
			q := `SELECT %s FROM customer_facts f JOIN contact_external_ids x ON x.contact_id = f.contact_id WHERE x.source = 'cdnow' AND x.external_id = $1`
			if got := count(t, db, strings.Replace(q, "%s", "f.orders", 1), cust); got != orders[cust] {
				t.Errorf("customer %s: %d orders, want %d", cust, got, orders[cust])
			}
			if got := count(t, db, strings.Replace(q, "%s", "f.total_spent", 1), cust); got != cents[cust] {
				t.Errorf("customer %s: spent %d, want %d", cust, got, cents[cust])
			}
			d, _ := time.Parse("20060102", first[cust])
			if got := count(t, db, strings.Replace(q, "%s", "f.first_order_at", 1), cust); got != d.UnixMilli() {
				t.Errorf("customer %s: first order %v, want %v", cust, time.UnixMilli(got).UTC(), d)
			}
			d, _ = time.Parse("20060102", last[cust])
			if got := count(t, db, strings.Replace(q, "%s", "f.last_order_at", 1), cust); got != d.UnixMilli() {
				t.Errorf("customer %s: last order %v, want %v", cust, time.UnixMilli(got).UTC(), d)
			}
		}
		if got := count(t, db, `SELECT COUNT(*) FROM contacts c JOIN contact_external_ids x ON x.contact_id = c.id
WHERE x.external_id = '00001' AND c.first_name = 'CDNOW customer' AND c.last_name = '00001'`); got != 1 {
			t.Errorf("customer 00001 is not named CDNOW customer 00001")
		}
		// 00001 bought 1 CD for $11.77 on 1 January 1997.
		if got := count(t, db, `SELECT total FROM orders WHERE external_id = 'cdnow:00001:19970101#1'`); got != 1177 {
			t.Errorf("order of 00001 = %d cents, want 1177", got)
		}

		// The dashboard over the whole file agrees with the file (the
		// rollups come from Go sums on SQLite and from SQL on PostgreSQL).
		from, to := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1998, 7, 1, 0, 0, 0, 0, time.UTC)
		sr, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &from, To: &to})
		if err != nil {
			t.Fatal(err)
		}
		var repeat int
		for _, n := range orders {
			if n >= 2 {
				repeat++
			}
		}
		var newRevenue int64
		for _, m := range sr.Months() {
			newRevenue += m.NewRevenue
		}
		if int64(sr.Orders) != lines || sr.Revenue != all || int64(sr.Customers) != customers || sr.Repeat != repeat || len(sr.TopProducts) != 1 ||
			int64(sr.TopProducts[0].Lines) != lines || sr.TopProducts[0].Revenue != all || newRevenue <= 0 || newRevenue >= all {
			t.Errorf("report over the file: %d orders, %d revenue (want %d), %d customers, %d repeat (want %d), new %d, products %+v",
				sr.Orders, sr.Revenue, all, sr.Customers, sr.Repeat, repeat, newRevenue, sr.TopProducts)
		}

		f, _ = os.Open(path)
		rep, err = db.ImportOrders(ctx, f, crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rep.Orders != 0 || rep.ContactsCreated != 0 || int64(rep.Skipped) != lines {
			t.Errorf("re-import = %+v, want everything skipped", rep)
		}
		for q, want := range map[string]int64{`SELECT COUNT(*) FROM contacts`: customers, `SELECT COUNT(*) FROM orders`: lines,
			`SELECT COUNT(*) FROM order_lines`: lines, `SELECT COUNT(*) FROM activities`: 0, `SELECT COUNT(*) FROM contact_external_ids`: customers} {
			if got := count(t, db, q); got != want {
				t.Errorf("after re-import %s = %d, want %d", q, got, want)
			}
		}
	})
}

// BenchmarkOrderImportCDNOWMaster imports the whole CDNOW master file
// (69,659 purchases of 23,570 customers) into a fresh database per
// iteration: go test -run - -bench CDNOWMaster ./internal/store
// (PostgreSQL too when ECRM_TEST_POSTGRES is set).
func BenchmarkOrderImportCDNOWMaster(b *testing.B) {
	if _, err := os.Stat(cdnowPath); err != nil {
		b.Skipf("CDNOW data set not found at %s: %v", cdnowPath, err)
	}
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := storetest.Open(b, engine)
				f, err := os.Open(cdnowPath)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := db.ImportOrders(storetest.System(), f, crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
				b.StopTimer()
				f.Close()
				if err != nil || rep.Orders != 69659 {
					b.Fatalf("import: %+v, %v", rep, err)
				}
				b.StartTimer()
			}
		})
	}
}
