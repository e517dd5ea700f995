package store_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// retailRow is one line of testdata/online_retail*.csv (made by
// testdata/gen_online_retail.go in the shape of the UCI Online Retail
// export), read by the test itself, independently of the importer.
type retailRow struct {
	invoice, sku, date, cust string
	qty, cents               int64
	ok                       bool // a row a shop's order can hold (a price ≥ 0)
}

func readRetail(t *testing.T, name string) (header []string, lines [][]string, rows []retailRow) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		q, _ := strconv.ParseInt(r[3], 10, 64)
		price, _ := strconv.ParseFloat(r[5], 64)
		cust, _, _ := strings.Cut(r[6], ".") // "17850.0" is customer 17850
		rows = append(rows, retailRow{invoice: r[0], sku: r[1], date: r[4], cust: cust, qty: q,
			cents: int64(price*100 + 0.5), ok: price >= 0})
	}
	return recs[0], recs[1:], rows
}

func csvText(header []string, lines [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(lines)
	return b.String()
}

// A real shop's invoice-line export imports as it is: ISO dates with a
// space or US dates (detected), cancellations as credit notes netted
// against revenue and the customer's facts and linked to their sale,
// rows without a customer as guest orders, "17850.0" as customer 17850;
// re-importing it shifted, reordered or in the other date format adds
// nothing. Every expectation is computed from the file here.
func TestOrderImportOnlineRetail(t *testing.T) {
	header, lines, rows := readRetail(t, "online_retail.csv")
	_, usLines, _ := readRetail(t, "online_retail_us.csv")

	// What the file says, read here.
	var net int64
	sales, credits, guests, rejected := map[string]bool{}, map[string]bool{}, map[string]bool{}, 0
	custOrders, custSpent := map[string]map[string]bool{}, map[string]int64{}
	placed := map[string]string{} // invoice → ISO date
	for _, r := range rows {
		if !r.ok {
			rejected++
			continue
		}
		net += r.qty * r.cents
		placed[r.invoice] = r.date
		if strings.HasPrefix(r.invoice, "C") {
			credits[r.invoice] = true
		} else {
			sales[r.invoice] = true
		}
		if r.cust == "" {
			guests[r.invoice] = true
			continue
		}
		if custOrders[r.cust] == nil {
			custOrders[r.cust] = map[string]bool{}
		}
		if !strings.HasPrefix(r.invoice, "C") {
			custOrders[r.cust][r.invoice] = true
		}
		custSpent[r.cust] += r.qty * r.cents
	}
	// A cancellation links to the customer's latest earlier sale of its SKU.
	linked := 0
	for _, c := range rows {
		if !strings.HasPrefix(c.invoice, "C") || c.cust == "" {
			continue
		}
		if slices.ContainsFunc(rows, func(s retailRow) bool {
			return s.cust == c.cust && s.sku == c.sku && s.ok && !strings.HasPrefix(s.invoice, "C") && s.date <= c.date
		}) {
			linked++
		}
	}
	if len(credits) < 5 || len(guests) < 5 || rejected != 1 || linked < 3 || linked == len(credits) {
		t.Fatalf("the fixture lacks its quirks: %d credits (%d linkable), %d guest orders, %d bad rows", len(credits), linked, len(guests), rejected)
	}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "GBP"}); err != nil {
			t.Fatal(err)
		}
		// The US file first: its dates are detected as month/day.
		rep, err := db.ImportOrders(ctx, strings.NewReader(csvText(header, usLines)), crm.OrderFileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.DateFormat != "mdy" || rep.Orders != len(sales)+len(credits) || rep.Credits != len(credits) || rep.Guests != len(guests) ||
			rep.CreditsLinked != linked || rep.RejectedLines != rejected || rep.FileLines != len(rows) || len(rep.Warnings) != 0 {
			t.Fatalf("report = %+v\nwant mdy, %d orders of which %d credit notes (%d linked) and %d guest orders, %d of %d lines rejected",
				rep, len(sales)+len(credits), len(credits), linked, len(guests), rejected, len(rows))
		}
		// Every order is placed at the time the ISO file gives.
		for inv, iso := range placed {
			want, _ := time.Parse(time.DateTime, iso)
			if got := count(t, db, `SELECT placed_at FROM orders WHERE external_id = $1`, inv); got != want.UnixMilli() {
				t.Errorf("invoice %s placed at %v, want %v", inv, time.UnixMilli(got).UTC(), want)
			}
		}
		checkRetail := func(when string) {
			t.Helper()
			for q, want := range map[string]int64{
				`SELECT COUNT(*) FROM orders`: int64(len(sales) + len(credits)),
				`SELECT COUNT(*) FROM orders WHERE kind = 'credit' AND status = 'refunded' AND total < 0`:                                                                 int64(len(credits)),
				`SELECT COUNT(*) FROM orders WHERE contact_id IS NULL`:                                                                                                    int64(len(guests)),
				`SELECT COUNT(*) FROM orders WHERE credit_for IS NOT NULL`:                                                                                                int64(linked),
				`SELECT COUNT(*) FROM orders o JOIN orders s ON s.id = o.credit_for WHERE s.contact_id <> o.contact_id OR s.placed_at > o.placed_at OR s.kind <> 'order'`: 0,
				`SELECT COUNT(*) FROM contact_external_ids WHERE external_id LIKE '%.%'`:                                                                                  0,
				`SELECT COUNT(*) FROM contacts`: int64(len(custSpent)),
				`SELECT COALESCE(SUM(total), 0) FROM orders WHERE status IN ('paid', 'shipped', 'delivered') OR kind = 'credit'`: net,
			} {
				if got := count(t, db, q); got != want {
					t.Errorf("%s: %s = %d, want %d", when, q, got, want)
				}
			}
			// Facts are net of returns and count sales only.
			for cust, spent := range custSpent {
				q := `SELECT %s FROM customer_facts f JOIN contact_external_ids x ON x.contact_id = f.contact_id WHERE x.source = 'csv' AND x.external_id = $1`
				if got := count(t, db, strings.Replace(q, "%s", "f.total_spent", 1), cust); got != spent {
					t.Errorf("%s: customer %s spent %d, want %d", when, cust, got, spent)
				}
				if got := count(t, db, strings.Replace(q, "%s", "f.orders", 1), cust); got != int64(len(custOrders[cust])) {
					t.Errorf("%s: customer %s has %d orders, want %d", when, cust, got, len(custOrders[cust]))
				}
			}
			// The sales report: revenue net of returns, guests included;
			// orders are sales.
			from, to := time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC)
			sr, err := db.SalesReport(ctx, crm.SalesReportFilter{From: &from, To: &to})
			if err != nil {
				t.Fatal(err)
			}
			var buyers int
			for _, o := range custOrders {
				if len(o) > 0 {
					buyers++
				}
			}
			if sr.Revenue != net || sr.Orders != len(sales) || sr.Customers != buyers {
				t.Errorf("%s: report revenue %d, %d orders, %d customers; want %d, %d, %d", when, sr.Revenue, sr.Orders, sr.Customers, net, len(sales), buyers)
			}
		}
		checkRetail("US file")

		// The same orders in ISO, shifted by a line, reordered: nothing new.
		shuffled := slices.Clone(lines[1:])
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for name, file := range map[string]string{"ISO": csvText(header, lines), "shifted and reordered": csvText(header, shuffled)} {
			rep, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Orders != 0 || rep.ContactsCreated != 0 || rep.Skipped == 0 || rep.DateFormat != "iso" {
				t.Errorf("re-import of the %s file: %+v, want nothing new", name, rep)
			}
			checkRetail(name)
		}

		// A live order of a customer with a return keeps the facts net.
		cust := ""
		for _, r := range rows {
			if strings.HasPrefix(r.invoice, "C") && r.cust != "" {
				cust = r.cust
				break
			}
		}
		contact := count(t, db, `SELECT contact_id FROM contact_external_ids WHERE external_id = $1`, cust)
		mustProduct(t, db, "LIVE-1", 1000, 5, func(in *crm.ProductInput) { in.Currency = ptr("GBP") })
		if _, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: &contact, Currency: ptr("GBP"), Status: ptr(crm.OrderPaid),
			Lines: []crm.OrderLineInput{line("LIVE-1", 1)}}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, db, `SELECT total_spent FROM customer_facts WHERE contact_id = $1`, contact); got != custSpent[cust]+1000 {
			t.Errorf("after a live order customer %s spent %d, want %d", cust, got, custSpent[cust]+1000)
		}
	})
}

// Dates as shops write them, the format detected or named, in a time zone.
func TestOrderImportDateFormats(t *testing.T) {
	file := func(prefix string, dates ...string) string {
		var b strings.Builder
		b.WriteString("Order,Email,Date,SKU,Qty,Price\n")
		for i, d := range dates {
			fmt.Fprintf(&b, "%sD%d,ana@example.com,%s,TEA-1,1,2.50\n", prefix, i+1, d)
		}
		return b.String()
	}
	utc := func(s string) int64 {
		t, err := time.Parse("2006-01-02 15:04:05.999", s+map[bool]string{true: ":00"}[len(s) == 16])
		if err != nil {
			panic(err)
		}
		return t.UnixMilli()
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for i, c := range []struct {
			name   string
			opts   crm.OrderFileOptions
			dates  []string
			format string
			want   []string // UTC
		}{
			{"ISO with a space, T, seconds, zones", crm.OrderFileOptions{}, []string{"2010-12-01 08:26:00", "2010-12-01 08:26", "2010-12-01T08:26", "2010-12-01T08:26:00+01:00", "2010-12-01T08:26:00.5Z", "2010-12-01"},
				"iso", []string{"2010-12-01 08:26", "2010-12-01 08:26", "2010-12-01 08:26", "2010-12-01 07:26", "2010-12-01 08:26:00.5", "2010-12-01 00:00"}},
			{"US detected", crm.OrderFileOptions{}, []string{"12/1/2010 8:26", "12/13/2010 18:05", "1/2/2011", "1/2/2011 8:26 PM"},
				"mdy", []string{"2010-12-01 08:26", "2010-12-13 18:05", "2011-01-02 00:00", "2011-01-02 20:26"}},
			{"European detected", crm.OrderFileOptions{}, []string{"01/12/2010 08:26", "13/12/2010", "02.01.2011 09:00:30"},
				"dmy", []string{"2010-12-01 08:26", "2010-12-13 00:00", "2011-01-02 09:00:30"}},
			{"ambiguous, named", crm.OrderFileOptions{DateFormat: "dmy"}, []string{"1/2/2011", "3/4/2011 10:00"},
				"dmy", []string{"2011-02-01 00:00", "2011-04-03 10:00"}},
			{"time zone", crm.OrderFileOptions{TimeZone: "America/New_York"}, []string{"2010-12-01 08:26", "2010-07-01 08:26", "2010-12-01T08:26:00Z"},
				"iso", []string{"2010-12-01 13:26", "2010-07-01 12:26", "2010-12-01 08:26"}},
			{"Go layout", crm.OrderFileOptions{DateFormat: "02.01.2006 15:04"}, []string{"01.12.2010 08:26"},
				"02.01.2006 15:04", []string{"2010-12-01 08:26"}},
			{"Go layout with a month name, in a zone", crm.OrderFileOptions{DateFormat: "Jan 2 2006 3:04 PM", TimeZone: "Asia/Tehran"}, []string{"Dec 1 2010 8:26 PM"},
				"Jan 2 2006 3:04 PM", []string{"2010-12-01 16:56"}},
		} {
			src := fmt.Sprintf("t%d", i)
			c.opts.CustomerSource = src
			rep, err := db.ImportOrders(ctx, strings.NewReader(file(src+"-", c.dates...)), c.opts)
			if err != nil || rep.Orders != len(c.dates) || rep.DateFormat != c.format {
				t.Errorf("%s: %+v %v", c.name, rep, err)
				continue
			}
			for j, w := range c.want {
				if got := count(t, db, `SELECT placed_at FROM orders WHERE external_id = $1`, fmt.Sprintf("%s-D%d", src, j+1)); got != utc(w) {
					t.Errorf("%s: %q placed at %v, want %s", c.name, c.dates[j], time.UnixMilli(got).UTC(), w)
				}
			}
		}
		before := count(t, db, `SELECT COUNT(*) FROM orders`)
		// Refused rather than guessed: nothing is stored.
		for _, c := range []struct {
			name       string
			opts       crm.OrderFileOptions
			dates      []string
			field, key string
		}{
			{"every day ≤ 12", crm.OrderFileOptions{}, []string{"1/2/2011", "3/4/2011 10:00", "12/12/2010"}, "date_format", "ambiguous_dates"},
			{"both orders", crm.OrderFileOptions{}, []string{"13/1/2011", "1/13/2011"}, "date_format", "mixed_dates"},
			{"unknown zone", crm.OrderFileOptions{TimeZone: "Mars/Olympus"}, []string{"2011-01-01"}, "tz", "invalid_time_zone"},
			{"bad format", crm.OrderFileOptions{DateFormat: "ymd"}, []string{"2011-01-01"}, "date_format", "invalid_date_format"},
			{"layout without a day", crm.OrderFileOptions{DateFormat: "01/2006"}, []string{"2011-01-01"}, "date_format", "invalid_date_format"},
		} {
			_, err := db.ImportOrders(ctx, strings.NewReader(file("x", c.dates...)), c.opts)
			fe := crm.FieldErrors(err)
			if crm.ErrorCode(err) != crm.EINVALID || len(fe) != 1 || fe[0].Field != c.field || fe[0].Key != c.key {
				t.Errorf("%s: %v %+v, want %s %s", c.name, err, fe, c.field, c.key)
			}
		}
		// A date that fits no format is rejected on its line, with the formats.
		rep, err := db.ImportOrders(ctx, strings.NewReader(file("y", "2010-12-01", "2010-02-30 10:00", "12/1/2010 8:26", "yesterday")),
			crm.OrderFileOptions{DateFormat: "mdy", MaxRejects: "2"})
		if err != nil || rep.Orders != 2 || rep.RejectedLines != 2 || rep.Rejected[0].Line != 3 || rep.Rejected[0].Field != "date" ||
			!strings.Contains(rep.Rejected[0].Reason, "12/1/2010") || !strings.Contains(rep.Rejected[0].Reason, "mdy") {
			t.Errorf("bad dates: %+v %v", rep, err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders`); got != before+2 {
			t.Errorf("orders = %d, want %d", got, before+2)
		}
	})
}

// The identity of a CDNOW purchase is the customer, the day and its rank
// among the customer's purchases of that day: a file with a line less, or
// in another order, adds nothing. Before, the line number was in the id
// and such a file was imported again.
func TestOrderImportCDNOWPositionIndependent(t *testing.T) {
	var lines []string
	r := rand.New(rand.NewPCG(7, 7))
	for c := 1; c <= 60; c++ {
		day := time.Date(1997, 1, 1+r.IntN(60), 0, 0, 0, 0, time.UTC)
		for range 1 + r.IntN(4) {
			// Some customers buy twice on a day, the same or not.
			lines = append(lines, fmt.Sprintf(" %05d %s %3d %8.2f", c, day.Format("20060102"), 1+r.IntN(3), float64(1+r.IntN(4000))/100))
			if r.IntN(3) == 0 {
				day = day.AddDate(0, 0, r.IntN(20))
			}
		}
	}
	head := " customer_id  date number_of_cds  dollar_value\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		rep, err := db.ImportOrders(ctx, strings.NewReader(head+strings.Join(lines, "\n")), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
		if err != nil || rep.Orders != len(lines) {
			t.Fatalf("import: %+v %v", rep, err)
		}
		reversed := slices.Clone(lines)
		slices.Reverse(reversed)
		for name, file := range map[string]string{
			"without its first line": head + strings.Join(lines[1:], "\n"),
			"without its header":     strings.Join(lines, "\n"),
			"reversed":               head + strings.Join(reversed, "\n"),
		} {
			rep, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
			if err != nil || rep.Orders != 0 || rep.Skipped == 0 {
				t.Errorf("file %s: %+v %v, want nothing new", name, rep, err)
			}
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders`); got != int64(len(lines)) {
			t.Errorf("orders = %d, want %d", got, len(lines))
		}
	})
}

// Migration 0013 renames the CDNOW ids of a database imported before it
// ("…:<line>") to the ranks the import now computes, so importing the
// same file again after the upgrade adds nothing.
func TestOrderImportCDNOWOldIDs(t *testing.T) {
	lines := []string{" 00001 19970101 1 11.77", " 00002 19970112 1 12.00", " 00002 19970112 5 77.00", " 00003 19970102 2 20.76",
		" 00002 19970112 1 6.00", " 00003 19970330 2 20.76"}
	file := " customer_id  date number_of_cds  dollar_value\n" + strings.Join(lines, "\n")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if _, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW}); err != nil {
			t.Fatal(err)
		}
		// Make them what an import before 0013 wrote: the file's line
		// number (the header is line 1), matched here by amount.
		for i, l := range lines {
			f := strings.Fields(l)
			cents := strings.ReplaceAll(f[3], ".", "")
			n, _ := strconv.ParseInt(cents, 10, 64)
			if _, err := store.Exec(ctx, db, `UPDATE orders SET external_id = $1 WHERE total = $2 AND placed_at = $3`,
				fmt.Sprintf("cdnow:%s:%s:%d", f[0], f[1], i+2), n, mustDay(f[1])); err != nil {
				t.Fatal(err)
			}
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders WHERE external_id LIKE '%#%'`); got != 0 {
			t.Fatalf("%d orders kept new ids", got)
		}
		if err := store.RunMigrationPart(ctx, db, 13, "-- rewrite:"); err != nil {
			t.Fatal(err)
		}
		for id, cents := range map[string]int64{"cdnow:00002:19970112#1": 1200, "cdnow:00002:19970112#2": 7700, "cdnow:00002:19970112#3": 600, "cdnow:00001:19970101#1": 1177} {
			if got := count(t, db, `SELECT total FROM orders WHERE external_id = $1`, id); got != cents {
				t.Errorf("%s = %d cents, want %d", id, got, cents)
			}
		}
		// The file without its header and first line: nothing new.
		rep, err := db.ImportOrders(ctx, strings.NewReader(strings.Join(lines[1:], "\n")), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
		if err != nil || rep.Orders != 0 || rep.Skipped != len(lines)-1 {
			t.Errorf("re-import after the migration: %+v %v", rep, err)
		}
	})
}

func mustDay(s string) int64 {
	d, err := time.Parse("20060102", s)
	if err != nil {
		panic(err)
	}
	return d.UnixMilli()
}

// A file in another currency than the shop's is imported with a warning
// naming the shop currency; rows without a currency are in the shop's.
func TestOrderImportCurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "GBP"}); err != nil {
			t.Fatal(err)
		}
		rep, err := db.ImportOrders(ctx, strings.NewReader("Order,Email,Date,SKU,Qty,Price\nG1,ana@example.com,2011-01-01,TEA,2,2.50\n"), crm.OrderFileOptions{})
		if err != nil || rep.Orders != 1 || len(rep.Warnings) != 0 || rep.ShopCurrency != "GBP" {
			t.Fatalf("no currency column: %+v %v", rep, err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders WHERE external_id = 'G1' AND currency = 'GBP'`); got != 1 {
			t.Errorf("an order without a currency is not in the shop currency")
		}
		rep, err = db.ImportOrders(ctx, strings.NewReader("Order,Email,Date,SKU,Qty,Price,Currency\nE1,ana@example.com,2011-01-02,TEA,2,2.50,EUR\n"+
			"E2,li@example.com,2011-01-02,TEA,1,2.50,EUR\nU1,li@example.com,2011-01-03,TEA,1,2.50,USD\n"), crm.OrderFileOptions{})
		if err != nil || rep.Orders != 3 || rep.OtherCurrencies["EUR"] != 2 || rep.OtherCurrencies["USD"] != 1 || len(rep.Warnings) != 2 ||
			!strings.Contains(rep.Warnings[0], "2 orders are in EUR, not in the shop currency GBP") {
			t.Errorf("other currencies: %+v %v", rep, err)
		}
	})
}

// More rejected lines than --max-rejects: nothing stored. The audit entry
// of an import records the lines rejected, whichever stage rejected them.
func TestOrderImportMaxRejectsAndAudit(t *testing.T) {
	file := "Order,Email,Date,SKU,Qty,Price\n" +
		"M1,ana@example.com,2011-01-01,TEA,1,2.50\n" +
		"M2,ana@example.com,2011-01-01,,x,2.5x\n" + // three problems, one line
		"M3,ana@example.com,2011-01-02,TEA,1,two\n" +
		"M4,ana@example.com,2011-01-03,TEA,1,2.50\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for _, limit := range []string{"1", "10%", "25%"} { // 2 of 4 lines
			rep, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{MaxRejects: limit})
			fe := crm.FieldErrors(err)
			if len(fe) != 1 || fe[0].Key != "too_many_rejects" || rep == nil || rep.RejectedLines != 2 || len(rep.Rejected) != 4 {
				t.Errorf("limit %q: %+v %v", limit, rep, err)
			}
		}
		if _, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{MaxRejects: "lots"}); crm.FieldErrors(err)[0].Key != "invalid_max_rejects" {
			t.Errorf("bad limit: %v", err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders`); got != 0 {
			t.Fatalf("%d orders stored past the limit", got)
		}
		// The default: 10 % of the lines, at least 10.
		many := func(n, bad int) string {
			var b strings.Builder
			b.WriteString("Order,Email,Date,SKU,Qty,Price\n")
			for i := range n {
				q := "1"
				if i < bad {
					q = "0"
				}
				fmt.Fprintf(&b, "N%d-%d,ana@example.com,2011-02-01,TEA,%s,2.50\n", n, i, q)
			}
			return b.String()
		}
		for _, c := range []struct{ lines, bad, orders int }{{12, 10, 2}, {12, 11, -1}, {150, 15, 135}, {150, 16, -1}} {
			rep, err := db.ImportOrders(ctx, strings.NewReader(many(c.lines, c.bad)), crm.OrderFileOptions{})
			if c.orders < 0 && (len(crm.FieldErrors(err)) != 1 || crm.FieldErrors(err)[0].Key != "too_many_rejects") {
				t.Errorf("default limit, %d of %d bad: %v, want refused", c.bad, c.lines, err)
			}
			if c.orders >= 0 && (err != nil || rep.Orders != c.orders) {
				t.Errorf("default limit, %d of %d bad: %+v %v, want %d orders", c.bad, c.lines, rep, err, c.orders)
			}
		}
		if got := count(t, db, `SELECT COUNT(*) FROM orders`); got != 137 {
			t.Fatalf("%d orders, want 137", got)
		}
		if _, err := store.Exec(ctx, db, `DELETE FROM orders`); err != nil {
			t.Fatal(err)
		}
		rep, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{MaxRejects: "50%"})
		if err != nil || rep.Orders != 2 || rep.RejectedLines != 2 || rep.FileLines != 4 {
			t.Fatalf("within the limit: %+v %v", rep, err)
		}
		var summary map[string]int
		raw, err := store.QueryText(ctx, db, `SELECT after FROM audit_log WHERE action = 'import' AND entity = 'order' ORDER BY id DESC LIMIT 1`)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &summary); err != nil || summary["rejected"] != 2 || summary["orders"] != 2 || summary["file_lines"] != 4 {
			t.Errorf("audit entry %s, want 2 orders, 2 of 4 lines rejected", raw)
		}
	})
}
