package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// The dashboard in the every-page, every-locale test, on a few
// historical orders.
func init() {
	pageParts = append(pageParts, func(t *testing.T, e *env, fx fixture) []pageCase {
		// Orders of the fixture's Ada, so no contact is added to the
		// other pages' counts.
		at := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
		imp, err := e.db.BeginOrderImport(sys(), store.OrderImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := imp.Write(sys(), []crm.HistoricalOrder{{ExternalID: "page:1", Email: "ada@example.com", Currency: "USD", PlacedAt: at,
			Lines: []crm.HistoricalLine{{SKU: "CD-1", Name: "Album", Quantity: 1, UnitPrice: 1999, Total: 1999}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := imp.Finish(sys()); err != nil {
			t.Fatal(err)
		}
		return []pageCase{{"report_sales", "/reports/sales", "figure.chart svg rect", 200},
			{"report_import", "/import/orders", "form[action='/import/orders'] select[name=format]", 200}}
	})
	// The matrix's allowed POST imports one CDNOW line (a form field, so
	// no multipart upload is needed).
	targetParts = append(targetParts, func(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
		if pattern != "POST /import/orders" {
			return nil, false
		}
		return url.Values{"format": {"cdnow"}, "encoding": {""}, "content": {" 90001 19970101 1 9.99\n"}}, true
	})
}

func TestOrderImportPage(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	file := "Order,E-mail,Date,SKU,Qty,Price\nA1,sara@example.com,2024-01-05,TEA,2,4.50\nA2,sara@example.com,2024-13-05,TEA,1,4.50\n"
	for i, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleManager)
		c.lang = lang
		rec := e.upload(c, "/import/orders", url.Values{"format": {"csv"}, "encoding": {""}, "currency": {"USD"}}, strings.ReplaceAll(file, "A", string(rune('K'+i))))
		if rec.Code != 200 {
			t.Fatalf("%s: %d\n%s", lang, rec.Code, rec.Body)
		}
		d := doc(t, rec)
		stats, reason := d.Find("#order-import-report").Text(), d.Find("table tbody td").Eq(2).Text()
		want := map[string][]string{"en": {"1 orders imported", "“2024-13-05” is not a date in an accepted format"}, "fa": {"۱ سفارش وارد شد", "تاریخ"}, "ja": {"1 件の注文", "日付"}}[lang]
		if !strings.Contains(stats, want[0]) || !strings.Contains(reason, want[1]) {
			t.Errorf("%s: report %q, reason %q", lang, stats, reason)
		}
		if got := d.Find("table tbody td").First().Text(); lang == "fa" && got != "۳" {
			t.Errorf("fa: line %q, want ۳", got)
		}
	}
	if rec := e.do(e.session(crm.RoleManager), http.MethodPost, "/import/orders", url.Values{"format": {"xml"}, "encoding": {""}, "content": {"x"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad format = %d", rec.Code)
	}
	// A shop's export: the date format chosen in the form, a cancellation,
	// a guest order and an order in another currency, each said.
	shop := "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Currency\n" +
		"S1,TEA,2,1/2/2011 8:26,4.50,17850.0,USD\nS2,TEA,1,1/3/2011 9:00,4.50,,USD\nCS3,TEA,-1,2/3/2011 10:00,4.50,17850,USD\nS4,TEA,1,3/3/2011,4.50,17850,EUR\n"
	c := e.session(crm.RoleManager)
	if rec := e.upload(c, "/import/orders", url.Values{"format": {"csv"}, "encoding": {""}, "date_format": {""}}, shop); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), "could be month/day or day/month") {
		t.Errorf("ambiguous dates: %d\n%s", rec.Code, rec.Body)
	}
	rec := e.upload(c, "/import/orders", url.Values{"format": {"csv"}, "encoding": {""}, "date_format": {"dmy"}, "tz": {"Europe/London"}, "max_rejects": {"0"}}, shop)
	if rec.Code != 200 {
		t.Fatalf("shop export: %d\n%s", rec.Code, rec.Body)
	}
	d := doc(t, rec)
	stats := d.Find("#order-import-report").Text()
	for _, want := range []string{"4 orders imported", "1 of them credit notes", "1 linked", "1 of them guest orders", "Rejected: 0 of 4 lines", "Dates read as: dmy"} {
		if !strings.Contains(stats, want) {
			t.Errorf("report %q lacks %q", stats, want)
		}
	}
	if w := d.Find("p.notice").Text(); !strings.Contains(w, "1 orders are in EUR, not in the shop currency USD") {
		t.Errorf("currency warning = %q", w)
	}
	if rec := e.upload(c, "/import/orders", url.Values{"format": {"csv"}, "encoding": {""}, "date_format": {"ydm"}}, shop); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown date format: %d", rec.Code)
	}
}

// seedSales imports a few historical orders, 1997–98 like CDNOW's.
func seedSales(t *testing.T, db *store.DB) {
	t.Helper()
	o := func(cust, date string, cents int64) crm.HistoricalOrder {
		at, _ := time.Parse(time.DateOnly, date)
		return crm.HistoricalOrder{ExternalID: "t:" + cust + ":" + date, CustomerSource: "t", CustomerID: cust, CustomerName: "Customer",
			Currency: "USD", PlacedAt: at, Lines: []crm.HistoricalLine{{SKU: "CD-1", Name: "آلبوم <b>", Quantity: 1, UnitPrice: cents, Total: cents}}}
	}
	imp, err := db.BeginOrderImport(sys(), store.OrderImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Write(sys(), []crm.HistoricalOrder{o("1", "1997-01-01", 1177), o("1", "1997-03-02", 2000),
		o("2", "1997-01-12", 123456), o("3", "1998-06-30", 999)}); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Finish(sys()); err != nil {
		t.Fatal(err)
	}
}

func TestSalesDashboardRenders(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	seedSales(t, e.db)
	for _, lang := range []string{"en", "fa", "ja"} {
		t.Run(lang, func(t *testing.T) {
			c := e.session(crm.RoleManager)
			c.lang = lang
			rec := e.do(c, http.MethodGet, "/reports/sales", nil)
			if rec.Code != 200 {
				t.Fatalf("status %d\n%s", rec.Code, rec.Body)
			}
			d := doc(t, rec)
			if n := d.Find("figure.chart svg").Length(); n != 4 {
				t.Errorf("%d charts, want 4", n)
			}
			if n := d.Find("table.report-table").Length(); n != 5 {
				t.Errorf("%d tables, want 5 (one under each chart and the products)", n)
			}
			// The default range is the 12 months up to June 1998, the last with sales.
			months := d.Find("#revenue table tbody tr")
			if months.Length() != 12 && !(lang == "fa" && months.Length() == 13) {
				t.Errorf("%d months in the table", months.Length())
			}
			svg := d.Find("#chart-revenue-title").Parent()
			text := svg.Find("text").Text()
			switch lang {
			case "fa":
				if !persianDigit.MatchString(text) || strings.ContainsAny(text, "0123456789") {
					t.Errorf("Persian chart text is not in Persian digits: %q", text)
				}
				// Jalali months: Tir 1376 began on 22 June 1997.
				if !strings.Contains(text, "تیر") || !strings.Contains(d.Find("#revenue tbody").Text(), "۱۳۷۷") {
					t.Errorf("no Jalali month names in %q", text)
				}
			case "ja":
				if !strings.Contains(d.Find("#revenue tbody").Text(), "1998年6月") {
					t.Errorf("no Japanese month in %q", d.Find("#revenue tbody").Text())
				}
			case "en":
				if !strings.Contains(d.Find("#revenue tbody").Text(), "Jun 1998") || !strings.Contains(text, "USD") {
					t.Errorf("revenue table/chart = %q / %q", d.Find("#revenue tbody").Text(), text)
				}
			}
			if got := d.Find("#top-products tbody td").Eq(1).Text(); got != "آلبوم <b>" {
				t.Errorf("product name = %q (escaped as text?)", got)
			}
			if strings.Contains(rec.Body.String(), "reports.") {
				t.Errorf("an untranslated key shows on the page")
			}
		})
	}
	c := e.session(crm.RoleManager)
	rec := e.do(c, http.MethodGet, "/reports/sales?from=1997-01-01&to=1997-03-31", nil)
	d := doc(t, rec)
	if rec.Code != 200 || d.Find("#revenue table tbody tr").Length() != 3 || !strings.Contains(d.Find("#revenue tbody").Text(), "1,246.33 USD") {
		t.Errorf("chosen range = %d\n%s", rec.Code, d.Find("#revenue tbody").Text())
	}
	// Two of the two first-time customers in Q1 1997: customer 1 came back.
	if got := d.Find("#repeat tbody td").Eq(2).Text(); got != "50.0 %" {
		t.Errorf("repeat rate = %q, want 50.0 %%", got)
	}
	// Both definitions of a repeat customer, each with its median: customer
	// 1 bought on 1 January and on 2 March, 60 days later.
	repeat := d.Find("#repeat tbody td")
	if got := []string{repeat.Eq(3).Text(), repeat.Eq(4).Text(), repeat.Eq(5).Text(), repeat.Eq(6).Text()}; !slices.Equal(got, []string{"60 days", "1", "50.0 %", "60 days"}) {
		t.Errorf("median by orders, repeat by days, its rate, median by days = %q", got)
	}
	// March: one returning purchase (customer 1's second), from one returning customer.
	march := d.Find("#new-returning tbody tr").Eq(2).Find("td")
	if got := []string{march.Eq(2).Text(), march.Eq(3).Text(), march.Eq(4).Text(), march.Eq(5).Text()}; !slices.Equal(got, []string{"1", "20.00 USD", "1", "0"}) {
		t.Errorf("March returning orders, revenue, customers, without customer = %q", got)
	}
	if rec := e.do(c, http.MethodGet, "/reports/sales?from=yesterday", nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad date = %d, want 422", rec.Code)
	}
	if rec := e.do(e.session(crm.RoleSupport), http.MethodGet, "/reports/sales", nil); rec.Code != http.StatusForbidden {
		t.Errorf("support = %d, want 403", rec.Code)
	}
}

func TestJalaliCalendar(t *testing.T) {
	cal := jalaliCalendar{}
	d := time.Date(1998, 1, 5, 0, 0, 0, 0, time.UTC) // 15 Dey 1376
	if got := cal.MonthStart(d); !got.Equal(time.Date(1997, 12, 22, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("month start = %v", got)
	}
	if got := cal.AddMonths(d, 3); !got.Equal(time.Date(1998, 3, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("three months on = %v, want 1 Farvardin 1377", got)
	}
}
