package web

import (
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// salesPage is the sales dashboard: charts drawn here and, under each, the
// same numbers as a table for screen readers and for copying.
type salesPage struct {
	From, To string // the form's dates; To is the last day shown
	Currency string
	Empty    bool

	Revenue, Orders, Customers, Repeat, RepeatRate, Reference string
	// Repeat customers by purchase days (same-day orders collapsed) and
	// the medians of days to the second order and second purchase day.
	RepeatDays, RepeatDaysRate, MedianOrder, MedianDay string

	RevenueChart, NewChart, RepeatChart, GapChart template.HTML
	Months                                        []salesMonthRow
	Gaps                                          []salesGapRow
	Top                                           []salesProductRow
}

type salesMonthRow struct {
	Month, Orders, Revenue, New, Returning, NewOrders string
	ReturningOrders, ReturningCustomers, GuestOrders  string
}

type salesGapRow struct{ Range, Customers, CustomersByDay string }

type salesProductRow struct{ SKU, Name, Lines, Quantity, Revenue string }

// Chart colours: new customers stand out, returning ones recede.
const (
	fillRevenue   = "#2563eb"
	fillNew       = "#0d9488"
	fillReturning = "#94a3b8"
	fillGuest     = "#e2e8f0"
)

// salesReport renders /reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD, both
// days included; without dates the store picks the last 12 months that
// have purchases, so an old data set (CDNOW's 1997–98) shows at once.
func (s *server) salesReport(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "reports")
	l := v.L
	f := crm.SalesReportFilter{Calendar: calendarFor(l)}
	var bad crm.Validation
	for _, p := range []struct {
		name string
		dst  **time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		val := r.URL.Query().Get(p.name)
		if val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, val)
		if err != nil {
			bad.Add(p.name, "invalid_date")
			continue
		}
		t = t.AddDate(0, 0, p.add)
		*p.dst = &t
	}
	if err := bad.Err(); err != nil {
		return err
	}
	rep, err := s.svc.Reports.SalesReport(r.Context(), f)
	if err != nil {
		return err
	}
	v.Title = l.T("reports.sales.title")
	v.Data = buildSalesPage(l, rep)
	return s.ok(w, r, "report_sales", v)
}

func buildSalesPage(l *i18n.Locale, rep *crm.SalesReport) salesPage {
	money := func(v int64) string { return reportMoney(l, v, rep.Currency) }
	// Axis ticks in whole units: "124,201 USD".
	pow := int64(math.Pow10(crm.CurrencyDigits(rep.Currency)))
	wholeMoney := func(v int64) string { return l.T("reports.money", l.Number((v+pow/2)/pow), rep.Currency) }
	count := func(v int64) string { return l.Number(v) }
	pct := func(f float64) string { return l.T("reports.percent", l.Decimal(math.Round(f*1000)/10, 1)) }
	p := salesPage{
		From: rep.From.Format(time.DateOnly), To: rep.To.AddDate(0, 0, -1).Format(time.DateOnly),
		Currency: rep.Currency, Empty: rep.Orders == 0,
		Revenue: money(rep.Revenue), Orders: l.Number(int64(rep.Orders)), Customers: l.Number(int64(rep.Customers)),
		Repeat: l.Number(int64(rep.Repeat)), RepeatRate: pct(rep.RepeatRate()), Reference: pct(crm.ReferenceRepeatRate),
		RepeatDays: l.Number(int64(rep.RepeatDays)), RepeatDaysRate: pct(rep.RepeatDaysRate()),
		MedianOrder: medianText(l, rep.MedianDaysToSecond), MedianDay: medianText(l, rep.MedianDaysToSecondDay),
	}
	months := rep.Months()
	labels := make([]string, len(months))
	revenue, fresh, back, guest := make([]int64, len(months)), make([]int64, len(months)), make([]int64, len(months)), make([]int64, len(months))
	anyGuest := false
	for i, m := range months {
		labels[i] = reportMonthShort(l, m.Start)
		revenue[i], fresh[i], back[i], guest[i] = m.Revenue, m.NewRevenue, m.ReturningRevenue, m.GuestRevenue
		anyGuest = anyGuest || m.GuestRevenue != 0
		p.Months = append(p.Months, salesMonthRow{Month: reportMonth(l, m.Start), Orders: l.Number(int64(m.Orders)),
			Revenue: money(m.Revenue), New: money(m.NewRevenue), Returning: money(m.ReturningRevenue), NewOrders: l.Number(int64(m.NewOrders)),
			ReturningOrders: l.Number(int64(m.ReturningOrders)), ReturningCustomers: l.Number(int64(m.ReturningCustomers)),
			GuestOrders: l.Number(int64(m.GuestOrders))})
	}
	p.RevenueChart = barChart{ID: "chart-revenue", Title: l.T("reports.sales.revenue_chart", rep.Currency), Labels: labels,
		Series: []barSeries{{Name: l.T("reports.sales.revenue"), Fill: fillRevenue, Values: revenue}}, Value: money, Axis: wholeMoney}.svg(l)
	series := []barSeries{{Name: l.T("reports.sales.new"), Fill: fillNew, Values: fresh},
		{Name: l.T("reports.sales.returning"), Fill: fillReturning, Values: back}}
	if anyGuest {
		// Revenue without a customer stacks on top, so the bars still add
		// up to the month's revenue.
		series = append(series, barSeries{Name: l.T("reports.sales.guest"), Fill: fillGuest, Values: guest})
	}
	p.NewChart = barChart{ID: "chart-new", Title: l.T("reports.sales.new_chart", rep.Currency), Labels: labels,
		Series: series, Value: money, Axis: wholeMoney}.svg(l)
	// The rates in tenths of a percent, so the axis and the reference
	// line share one integer scale: one bar per definition.
	permille := func(v int64) string { return l.T("reports.percent", l.Decimal(float64(v)/10, 0)) }
	p.RepeatChart = barChart{ID: "chart-repeat", Title: l.T("reports.sales.repeat_chart"),
		Labels: []string{l.T("reports.sales.by_orders"), l.T("reports.sales.by_days")},
		Series: []barSeries{{Name: l.T("reports.sales.repeat_rate"), Fill: fillNew,
			Values: []int64{int64(math.Round(rep.RepeatRate() * 1000)), int64(math.Round(rep.RepeatDaysRate() * 1000))}}},
		Value: permille, Max: 1000, Ref: int64(crm.ReferenceRepeatRate * 1000), RefLabel: l.T("reports.sales.reference")}.svg(l)
	var gapLabels []string
	var gapValues []int64
	for _, g := range rep.Gaps {
		label := l.T("reports.sales.gap_range", l.Number(int64(g.MinDays)), l.Number(int64(g.MaxDays)))
		if g.MaxDays < 0 {
			label = l.T("reports.sales.gap_over", l.Number(int64(g.MinDays-1)))
		}
		gapLabels, gapValues = append(gapLabels, label), append(gapValues, int64(g.Customers))
		p.Gaps = append(p.Gaps, salesGapRow{Range: label, Customers: l.Number(int64(g.Customers)), CustomersByDay: l.Number(int64(g.CustomersByDay))})
	}
	p.GapChart = barChart{ID: "chart-gaps", Title: l.T("reports.sales.gap_chart") + " (" + l.T("reports.sales.gap_by_orders") + ")", Labels: gapLabels,
		Series: []barSeries{{Name: l.T("reports.sales.customers"), Fill: fillRevenue, Values: gapValues}}, Value: count}.svg(l)
	for _, t := range rep.TopProducts {
		p.Top = append(p.Top, salesProductRow{SKU: t.SKU, Name: t.Name, Lines: l.Number(int64(t.Lines)),
			Quantity: l.Number(t.Quantity), Revenue: money(t.Revenue)})
	}
	return p
}

// reportMoney writes minor units as an amount of the currency in the
// reader's digits: "1,234.56 USD", "۱٬۲۳۴٫۵۶ USD".
func reportMoney(l *i18n.Locale, amount int64, currency string) string {
	digits := crm.CurrencyDigits(currency)
	pow := int64(math.Pow10(digits))
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := l.Number(amount / pow)
	if digits > 0 {
		sep := "."
		if l.Lang() == "fa" {
			sep = "\u066b" // Arabic decimal separator
		}
		s += sep + l.Digits(strconv.FormatInt(amount%pow+pow, 10)[1:])
	}
	if neg {
		s = "−" + s
	}
	return l.T("reports.money", s, currency)
}

// medianText writes a median of days: whole days without decimals, a
// half day (the mean of two middle values) with one.
func medianText(l *i18n.Locale, m *float64) string {
	if m == nil {
		return l.T("reports.sales.median_none")
	}
	if *m == math.Trunc(*m) {
		return l.T("reports.sales.median_value", l.Number(int64(*m)))
	}
	return l.T("reports.sales.median_value", l.Decimal(*m, 1))
}
