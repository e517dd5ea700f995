package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// monthLabel names a YYYY-MM bucket in the reader's language. Buckets are
// Gregorian months, so Persian readers get the Gregorian month in Persian
// digits rather than a Jalali month that would straddle two buckets.
func monthLabel(l *i18n.Locale, month string) string {
	if month == "" {
		return l.T("deals.forecast.undated")
	}
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	switch l.Lang() {
	case "ja":
		return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
	case "fa":
		return l.Digits(t.Format("2006/01"))
	}
	return t.Format("Jan 2006")
}

// forecastChart draws the weighted and won amounts of one currency by
// month as a grouped bar chart in SVG, written here so it needs no script
// and its text is the reader's language and digits. Right-to-left readers
// get the months running right to left.
func forecastChart(l *i18n.Locale, rows []crm.ForecastRow, currency, from, to string) template.HTML {
	// Every month of the range gets a slot, empty or not, so the chart
	// reads as a time line.
	byMonth := map[string]crm.ForecastRow{}
	var top int64
	for _, r := range rows {
		if r.Currency != currency || r.Month == "" {
			continue
		}
		byMonth[r.Month] = r
		top = max(top, r.Weighted, r.Won)
	}
	start, err1 := time.Parse("2006-01", from)
	end, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil || len(byMonth) == 0 {
		return ""
	}
	var months []crm.ForecastRow
	for m := start; !m.After(end) && len(months) < 36; m = m.AddDate(0, 1, 0) {
		r := byMonth[m.Format("2006-01")]
		r.Month = m.Format("2006-01")
		months = append(months, r)
	}
	const (
		height, plotTop, plotBottom = 250, 24, 200
		margin, slot, bar           = 130, 56, 20
	)
	width := margin + slot*len(months) + 16
	rtl := l.Dir() == "rtl"
	// The value axis stands on the reader's starting side. The drawing is
	// left to right (direction="ltr"), so anchors mean the same in both.
	axisX, anchor := margin-6, "end"
	plotLeft := margin
	if rtl {
		plotLeft, axisX, anchor = 16, 16+slot*len(months)+6, "start"
	}
	scale := func(v int64) int {
		if top == 0 {
			return 0
		}
		return int(float64(v) / float64(top) * (plotBottom - plotTop))
	}
	esc := template.HTMLEscapeString
	id := "chart-" + esc(currency)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" direction="ltr" role="img" aria-labelledby="%s-title">`,
		width, height, width, height, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, esc(l.T("deals.forecast.chart", currency)))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, plotLeft, plotBottom, plotLeft+slot*len(months), plotBottom)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, axisX, plotTop, axisX, plotBottom)
	labelX := axisX - 4
	if rtl {
		labelX = axisX + 4
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s">%s</text>`, labelX, plotTop+4, anchor, esc(moneyText(l, top, currency)))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s">%s</text>`, labelX, plotBottom, anchor, esc(l.Number(0)))
	for i, r := range months {
		pos := i
		if rtl {
			pos = len(months) - 1 - i
		}
		x := plotLeft + pos*slot + (slot-2*bar)/2
		label := monthLabel(l, r.Month)
		for j, v := range []struct {
			class, name string
			amount      int64
		}{{"bar-weighted", l.T("deals.forecast.weighted"), r.Weighted}, {"bar-won", l.T("deals.forecast.won"), r.Won}} {
			h := scale(v.amount)
			fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"><title>%s</title></rect>`,
				v.class, x+j*bar, plotBottom-h, bar-2, h, esc(label+" · "+v.name+": "+moneyText(l, v.amount, currency)))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, x+bar, plotBottom+18, esc(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
