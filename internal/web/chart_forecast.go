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
func forecastChart(l *i18n.Locale, rows []crm.ForecastRow, currency string) template.HTML {
	var months []crm.ForecastRow
	var top int64
	for _, r := range rows {
		if r.Currency != currency || r.Month == "" {
			continue
		}
		months = append(months, r)
		top = max(top, r.Weighted, r.Won)
	}
	if len(months) == 0 {
		return ""
	}
	const (
		height, plotTop, plotBottom = 260, 20, 200
		left, slot, bar             = 90, 64, 22
	)
	width := left + slot*len(months) + 20
	if top == 0 {
		top = 1
	}
	scale := func(v int64) int { return int(float64(v) / float64(top) * (plotBottom - plotTop)) }
	esc := template.HTMLEscapeString
	title := l.T("deals.forecast.chart", currency)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="chart-%s-title">`,
		width, height, width, height, esc(currency))
	fmt.Fprintf(&b, `<title id="chart-%s-title">%s</title>`, esc(currency), esc(title))
	// Axis and the top value, so bar heights can be read.
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left-4, plotBottom, width-10, plotBottom)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left-4, plotTop, left-4, plotBottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, plotTop+4, esc(moneyText(l, top, currency)))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, plotBottom, esc(l.Number(0)))
	for i, r := range months {
		pos := i
		if l.Dir() == "rtl" {
			pos = len(months) - 1 - i
		}
		x := left + pos*slot + (slot-2*bar)/2
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
