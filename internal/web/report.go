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

	RevenueChart, NewChart, RepeatChart, GapChart template.HTML
	Months                                        []salesMonthRow
	Gaps                                          []salesGapRow
	Top                                           []salesProductRow
}

type salesMonthRow struct{ Month, Orders, Revenue, New, Returning, NewOrders string }

type salesGapRow struct{ Range, Customers string }

type salesProductRow struct{ SKU, Name, Lines, Quantity, Revenue string }

// Chart colours: new customers stand out, returning ones recede.
const (
	fillRevenue   = "#2563eb"
	fillNew       = "#0d9488"
	fillReturning = "#94a3b8"
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
	v.Data = buildSalesPage(l, rep, f.Calendar)
	return s.ok(w, r, "report_sales", v)
}

func buildSalesPage(l *i18n.Locale, rep *crm.SalesReport, cal crm.Calendar) salesPage {
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
	}
	months := rep.Months()
	labels := make([]string, len(months))
	revenue, fresh, back := make([]int64, len(months)), make([]int64, len(months)), make([]int64, len(months))
	for i, m := range months {
		labels[i] = reportMonthShort(l, m.Start)
		revenue[i], fresh[i], back[i] = m.Revenue, m.NewRevenue, m.ReturningRevenue
		p.Months = append(p.Months, salesMonthRow{Month: reportMonth(l, m.Start), Orders: l.Number(int64(m.Orders)),
			Revenue: money(m.Revenue), New: money(m.NewRevenue), Returning: money(m.ReturningRevenue), NewOrders: l.Number(int64(m.NewOrders))})
	}
	p.RevenueChart = barChart{ID: "chart-revenue", Title: l.T("reports.sales.revenue_chart", rep.Currency), Labels: labels,
		Series: []barSeries{{Name: l.T("reports.sales.revenue"), Fill: fillRevenue, Values: revenue}}, Value: money, Axis: wholeMoney}.svg(l)
	p.NewChart = barChart{ID: "chart-new", Title: l.T("reports.sales.new_chart", rep.Currency), Labels: labels,
		Series: []barSeries{{Name: l.T("reports.sales.new"), Fill: fillNew, Values: fresh},
			{Name: l.T("reports.sales.returning"), Fill: fillReturning, Values: back}}, Value: money, Axis: wholeMoney}.svg(l)
	// The rate in tenths of a percent, so the axis and the reference line
	// share one integer scale.
	rate := int64(math.Round(rep.RepeatRate() * 1000))
	permille := func(v int64) string { return l.T("reports.percent", l.Decimal(float64(v)/10, 0)) }
	p.RepeatChart = barChart{ID: "chart-repeat", Title: l.T("reports.sales.repeat_chart"),
		Labels: []string{l.T("reports.sales.this_shop")},
		Series: []barSeries{{Name: l.T("reports.sales.repeat_rate"), Fill: fillNew, Values: []int64{rate}}},
		Value:  permille, Max: 1000, Ref: int64(crm.ReferenceRepeatRate * 1000), RefLabel: l.T("reports.sales.reference")}.svg(l)
	var gapLabels []string
	var gapValues []int64
	for _, g := range rep.Gaps {
		label := l.T("reports.sales.gap_range", l.Number(int64(g.MinDays)), l.Number(int64(g.MaxDays)))
		if g.MaxDays < 0 {
			label = l.T("reports.sales.gap_over", l.Number(int64(g.MinDays-1)))
		}
		gapLabels, gapValues = append(gapLabels, label), append(gapValues, int64(g.Customers))
		p.Gaps = append(p.Gaps, salesGapRow{Range: label, Customers: l.Number(int64(g.Customers))})
	}
	p.GapChart = barChart{ID: "chart-gaps", Title: l.T("reports.sales.gap_chart"), Labels: gapLabels,
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
