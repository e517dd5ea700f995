package web

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// The cohort and economics pages (analytics): a heat map of acquisition
// cohorts by month, repeat purchase and never-returned shares, and money
// per customer, segment and account manager with retention set against
// acquisition. Months are the reader's calendar (Jalali in Persian).

// reportDates reads from= and to= (both days included) from the query.
func reportDates(r *http.Request) (from, to *time.Time, err error) {
	var bad crm.Validation
	for _, p := range []struct {
		name string
		dst  **time.Time
		add  int
	}{{"from", &from, 0}, {"to", &to, 1}} {
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
	return from, to, bad.Err()
}

type cohortPage struct {
	From, To, Currency string
	Show               string // share or revenue
	Empty              bool
	Customers          string
	Months             []string // column heads: 0, 1, 2…
	Rows               []cohortRow
	TrendChart         template.HTML
	GapChart           template.HTML
	Trend              []trendRow
	Gaps               []salesGapRow
	Median             string
	Windows            []neverRow
	DaysHead           []string
	Channels           []neverGroupRow
	Products           []neverGroupRow
	Reference          string
}

type cohortRow struct {
	Month, Customers string
	Cells            []heatCell
}

type heatCell struct {
	Text, Title string
	Level       int // 0–9, the colour class
}

type trendRow struct{ Month, Customers, Repeat, Rate string }

type neverRow struct{ Days, Eligible, Never, Share string }

type neverGroupRow struct {
	Key, Name, Customers string
	Shares               []string
}

func (s *server) cohortReport(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "analytics")
	l := v.L
	from, to, err := reportDates(r)
	if err != nil {
		return err
	}
	f := crm.CohortFilter{From: from, To: to, Calendar: calendarFor(l)}
	for _, d := range strings.Split(r.URL.Query().Get("days"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(normalizeDigits(d))); err == nil {
			f.Days = append(f.Days, n)
		}
	}
	rep, err := s.svc.Costs.CohortReport(r.Context(), f)
	if err != nil {
		return err
	}
	v.Title = l.T("economics.cohorts.title")
	show := r.URL.Query().Get("show")
	if show != "revenue" {
		show = "share"
	}
	v.Data = buildCohortPage(l, rep, show)
	return s.ok(w, r, "analytics_cohorts", v)
}

func pctText(l *i18n.Locale, f float64) string {
	return l.T("reports.percent", l.Decimal(math.Round(f*1000)/10, 1))
}

func buildCohortPage(l *i18n.Locale, rep *crm.CohortReport, show string) cohortPage {
	money := func(v float64) string { return reportMoney(l, int64(math.Round(v)), rep.Currency) }
	p := cohortPage{From: rep.From.Format(time.DateOnly), To: rep.To.AddDate(0, 0, -1).Format(time.DateOnly), Currency: rep.Currency,
		Show: show, Empty: rep.Customers == 0, Customers: l.Number(int64(rep.Customers)), Reference: pctText(l, 1-crm.ReferenceRepeatRate)}
	var top float64
	for _, co := range rep.Cohorts {
		for _, c := range co.Cells {
			if show == "share" && c.Month > 0 {
				top = math.Max(top, c.Share)
			} else if show == "revenue" {
				top = math.Max(top, c.PerCust)
			}
		}
	}
	for k := range rep.Cohorts {
		p.Months = append(p.Months, l.Number(int64(k)))
	}
	for _, co := range rep.Cohorts {
		row := cohortRow{Month: reportMonth(l, co.Start), Customers: l.Number(int64(co.Customers))}
		for _, c := range co.Cells {
			cell := heatCell{Title: l.T("economics.cohorts.cell", l.Number(int64(c.Returning)), money(c.PerCust), money(c.Cumulative))}
			val := c.Share
			cell.Text = pctText(l, c.Share)
			if show == "revenue" {
				val = c.PerCust
				cell.Text = money(c.PerCust)
			}
			if co.Customers == 0 {
				cell.Text = "–"
			} else if top > 0 {
				cell.Level = int(math.Min(9, math.Round(val/top*9)))
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
	labels := make([]string, len(rep.RepeatTrend))
	rates := make([]int64, len(rep.RepeatTrend))
	for i, t := range rep.RepeatTrend {
		labels[i] = reportMonthShort(l, t.Start)
		rates[i] = int64(math.Round(t.Rate * 1000))
		p.Trend = append(p.Trend, trendRow{Month: reportMonth(l, t.Start), Customers: l.Number(int64(t.Customers)), Repeat: l.Number(int64(t.Repeat)), Rate: pctText(l, t.Rate)})
	}
	permille := func(v int64) string { return l.T("reports.percent", l.Decimal(float64(v)/10, 0)) }
	p.TrendChart = barChart{ID: "chart-repeat-trend", Title: l.T("economics.cohorts.trend"), Labels: labels,
		Series: []barSeries{{Name: l.T("economics.cohorts.repeat_rate"), Fill: fillNew, Values: rates}}, Value: permille,
		Ref: int64(crm.ReferenceRepeatRate * 1000), RefLabel: l.T("reports.sales.reference")}.svg(l)
	var gapLabels []string
	var gapValues []int64
	for _, g := range rep.Gaps {
		label := l.T("reports.sales.gap_range", l.Number(int64(g.MinDays)), l.Number(int64(g.MaxDays)))
		if g.MaxDays < 0 {
			label = l.T("reports.sales.gap_over", l.Number(int64(g.MinDays-1)))
		}
		gapLabels, gapValues = append(gapLabels, label), append(gapValues, int64(g.CustomersByDay))
		p.Gaps = append(p.Gaps, salesGapRow{Range: label, Customers: l.Number(int64(g.CustomersByDay))})
	}
	p.GapChart = barChart{ID: "chart-second", Title: l.T("economics.cohorts.second"), Labels: gapLabels,
		Series: []barSeries{{Name: l.T("reports.sales.customers"), Fill: fillRevenue, Values: gapValues}}, Value: func(v int64) string { return l.Number(v) }}.svg(l)
	p.Median = medianText(l, rep.MedianDaysToTwo)
	for _, w := range rep.NeverReturned {
		p.DaysHead = append(p.DaysHead, l.T("economics.cohorts.within", l.Number(int64(w.Days))))
		p.Windows = append(p.Windows, neverRow{Days: l.Number(int64(w.Days)), Eligible: l.Number(int64(w.Eligible)), Never: l.Number(int64(w.Never)), Share: pctText(l, w.Share)})
	}
	group := func(gs []crm.NeverReturnedGroup) []neverGroupRow {
		var out []neverGroupRow
		for _, g := range gs {
			row := neverGroupRow{Key: g.Key, Name: g.Name, Customers: l.Number(int64(g.Customers))}
			if row.Key == "" {
				row.Key = l.T("economics.none")
			}
			for _, w := range g.Windows {
				if w.Eligible == 0 {
					row.Shares = append(row.Shares, "–")
				} else {
					row.Shares = append(row.Shares, l.T("economics.cohorts.share_of", pctText(l, w.Share), l.Number(int64(w.Eligible))))
				}
			}
			out = append(out, row)
		}
		return out
	}
	p.Channels, p.Products = group(rep.ByChannel), group(rep.ByProduct)
	return p
}

type economicsPage struct {
	From, To, Currency, Sort string
	Restricted, Empty        bool
	Totals, Guests           econRow
	ShowGuests               bool
	Customers                []econRow
	Count                    string
	Prev, Next               string
	Managers, Segments       []econRow
	Channels                 []channelRow
	Unallocated              string
	OtherCurrency            string
	Retention                retentionView
}

type econRow struct {
	ID                                              int64
	Name, Channel, Customers, Orders, Revenue, COGS string
	Margin, Messages, StaffMinutes, CostToServe     string
	Acquisition, Profit                             string
	Loss                                            bool
}

type channelRow struct{ Channel, Month, Spend, New, CAC string }

// retentionView is the retention-vs-acquisition comparison, shared by the
// economics page and the analytics-home tile.
type retentionView struct {
	Returning, New, Ratio          string // cost of one returning purchase, of one new customer
	RetentionSpend, Purchases      string
	AcquisitionSpend, NewCustomers string
	RefReturning, RefNew, RefRatio string
	Chart                          template.HTML
	Known                          bool
}

func econRowOf(l *i18n.Locale, cur string, name string, e crm.Economics) econRow {
	money := func(v int64) string { return reportMoney(l, v, cur) }
	return econRow{Name: name, Customers: l.Number(int64(e.Customers)), Orders: l.Number(int64(e.Orders)), Revenue: money(e.Revenue), COGS: money(e.COGS),
		Margin: money(e.Margin), Messages: l.Number(int64(e.Messages)), StaffMinutes: l.Number(e.StaffMinutes), CostToServe: money(e.CostToServe),
		Acquisition: money(e.Acquisition), Profit: money(e.Profit), Loss: e.Profit < 0}
}

func (s *server) economicsReport(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "analytics")
	l := v.L
	from, to, err := reportDates(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	sort := q.Get("sort")
	if !crm.ValidEconomicsSort(sort) {
		sort = ""
	}
	const limit = 20
	rep, err := s.svc.Costs.EconomicsReport(r.Context(), crm.EconomicsFilter{From: from, To: to, Calendar: calendarFor(l), Sort: sort, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	v.Title = l.T("economics.report.title")
	p := economicsPage{From: rep.From.Format(time.DateOnly), To: rep.To.AddDate(0, 0, -1).Format(time.DateOnly), Currency: rep.Currency, Sort: sort,
		Restricted: rep.Restricted, Empty: rep.CustomerCount == 0, Totals: econRowOf(l, rep.Currency, l.T("economics.report.all"), rep.Totals),
		Guests: econRowOf(l, rep.Currency, l.T("economics.report.guests"), rep.Guests), ShowGuests: !rep.Restricted && rep.Guests.Orders != 0,
		Count: l.Number(int64(rep.CustomerCount)), Unallocated: reportMoney(l, rep.Unallocated, rep.Currency), Retention: retentionOf(l, rep)}
	if rep.OtherCurrency > 0 {
		p.OtherCurrency = l.Number(int64(rep.OtherCurrency))
	}
	for _, c := range rep.Customers {
		row := econRowOf(l, rep.Currency, c.Name, c.Economics)
		row.ID, row.Channel = c.ContactID, c.Channel
		p.Customers = append(p.Customers, row)
	}
	page := func(off int) string {
		u := url.Values{"offset": {strconv.Itoa(off)}, "from": {p.From}, "to": {p.To}}
		if sort != "" {
			u.Set("sort", sort)
		}
		return "/analytics/economics?" + u.Encode()
	}
	if offset > 0 {
		p.Prev = page(max(offset-limit, 0))
	}
	if offset+limit < rep.CustomerCount {
		p.Next = page(offset + limit)
	}
	for _, g := range rep.Managers {
		name := g.Name
		if g.ID == 0 {
			name = l.T("economics.report.no_manager")
		}
		p.Managers = append(p.Managers, econRowOf(l, rep.Currency, name, g.Economics))
	}
	for _, g := range rep.Segments {
		row := econRowOf(l, rep.Currency, g.Name, g.Economics)
		row.ID = g.ID
		p.Segments = append(p.Segments, row)
	}
	for _, c := range rep.Channels {
		row := channelRow{Channel: c.Channel, Month: reportMonth(l, c.Start), Spend: reportMoney(l, c.Spend, rep.Currency), New: l.Number(int64(c.NewCustomers)), CAC: "–"}
		if row.Channel == "" {
			row.Channel = l.T("economics.none")
		}
		if c.CAC != nil {
			row.CAC = reportMoney(l, int64(math.Round(*c.CAC)), rep.Currency)
		}
		p.Channels = append(p.Channels, row)
	}
	v.Data = p
	return s.ok(w, r, "analytics_economics", v)
}

// retentionOf words the comparison, with a two-bar chart of the two costs
// and the documents' reference figures beside them.
func retentionOf(l *i18n.Locale, rep *crm.EconomicsReport) retentionView {
	rv := rep.Retention
	money := func(v float64) string { return reportMoney(l, int64(math.Round(v)), rep.Currency) }
	out := retentionView{RetentionSpend: money(float64(rv.RetentionSpend)), Purchases: l.Number(int64(rv.ReturningPurchases)),
		AcquisitionSpend: money(float64(rv.AcquisitionSpend)), NewCustomers: l.Number(int64(rv.NewCustomers)), Returning: "–", New: "–", Ratio: "–",
		RefReturning: l.T("economics.usd", l.Decimal(crm.ReferenceRetention.Returning, 2)), RefNew: l.T("economics.usd", l.Decimal(crm.ReferenceRetention.New, 2)),
		RefRatio: l.Decimal(crm.ReferenceRetention.New/crm.ReferenceRetention.Returning, 1)}
	var vals []int64
	if rv.CostPerReturning != nil {
		out.Returning = money(*rv.CostPerReturning)
		vals = append(vals, int64(math.Round(*rv.CostPerReturning)))
	} else {
		vals = append(vals, 0)
	}
	if rv.CostPerNew != nil {
		out.New = money(*rv.CostPerNew)
		vals = append(vals, int64(math.Round(*rv.CostPerNew)))
	} else {
		vals = append(vals, 0)
	}
	if rv.Ratio != nil {
		out.Ratio = l.Decimal(math.Round(*rv.Ratio*10)/10, 1)
	}
	out.Known = rv.CostPerReturning != nil || rv.CostPerNew != nil
	out.Chart = barChart{ID: "chart-retention", Title: l.T("economics.retention.chart", rep.Currency),
		Labels: []string{l.T("economics.retention.returning"), l.T("economics.retention.new")},
		Series: []barSeries{{Name: l.T("economics.retention.cost"), Fill: fillRevenue, Values: vals}},
		Value:  func(v int64) string { return reportMoney(l, v, rep.Currency) }}.svg(l)
	return out
}

// economicsTiles is what the analytics home shows of this area: the repeat
// rate trend and retention vs acquisition, for the default periods.
type economicsTiles struct {
	Trend      template.HTML
	Rate       string // the latest month's repeat rate
	Retention  retentionView
	Restricted bool
}

// loadEconomicsTiles computes the tiles' data for the analytics home
// (partial "analytics_home_economics_tiles"); nil when the reader may not
// see analytics.
func loadEconomicsTiles(ctx context.Context, svc *crm.Services, l *i18n.Locale) (any, error) {
	if svc.Costs == nil || !crm.ActorFrom(ctx).Can(crm.P(crm.ResAnalytics, crm.Read)) {
		return nil, nil
	}
	cal := calendarFor(l)
	co, err := svc.Costs.CohortReport(ctx, crm.CohortFilter{Calendar: cal, TrendOnly: true})
	if err != nil {
		return nil, err
	}
	ec, err := svc.Costs.EconomicsReport(ctx, crm.EconomicsFilter{Calendar: cal, RetentionOnly: true})
	if err != nil {
		return nil, err
	}
	t := economicsTiles{Retention: retentionOf(l, ec), Restricted: ec.Restricted, Rate: "–"}
	trend := co.RepeatTrend
	if len(trend) > 12 {
		trend = trend[len(trend)-12:]
	}
	labels := make([]string, len(trend))
	rates := make([]int64, len(trend))
	for i, p := range trend {
		labels[i] = reportMonthShort(l, p.Start)
		rates[i] = int64(math.Round(p.Rate * 1000))
	}
	if len(trend) > 0 {
		t.Rate = pctText(l, trend[len(trend)-1].Rate)
	}
	permille := func(v int64) string { return l.T("reports.percent", l.Decimal(float64(v)/10, 0)) }
	t.Trend = barChart{ID: "tile-repeat-trend", Title: l.T("economics.cohorts.trend"), Labels: labels,
		Series: []barSeries{{Name: l.T("economics.cohorts.repeat_rate"), Fill: fillNew, Values: rates}}, Value: permille,
		Ref: int64(crm.ReferenceRepeatRate * 1000), RefLabel: l.T("reports.sales.reference")}.svg(l)
	return t, nil
}
