package web

import (
	"html"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// dealFmt formats amounts and percentages for the deal pages in the
// reader's language. Page data embeds it, so templates write
// {{$.Data.Money .Amount .Currency}} without a shared template function.
type dealFmt struct {
	L *i18n.Locale
	A *crm.Actor
}

func (s *server) dealFmt(r *http.Request) dealFmt {
	st := stateOf(r)
	return dealFmt{L: st.locale, A: st.actor}
}

// Statuses lists deal statuses for filters.
func (f dealFmt) Statuses() []string { return crm.DealStatuses }

// Kinds lists stage kinds for the pipeline editor.
func (f dealFmt) Kinds() []string { return crm.StageKinds }

// Nav is the sub-navigation of the deal pages, current marked for
// assistive technology.
func (f dealFmt) Nav(current string) template.HTML {
	var b strings.Builder
	b.WriteString(`<nav class="subnav deals-nav" aria-label="` + html.EscapeString(f.L.T("deals.title")) + `"><ul>`)
	for _, t := range []struct{ name, href, key string }{
		{"list", "/deals", "deals.list"}, {"board", "/deals/board", "deals.board"},
		{"forecast", "/deals/forecast", "deals.forecast"}, {"pipelines", "/pipelines", "deals.pipelines"},
	} {
		if t.name == "pipelines" && !f.A.Can(crm.P(crm.ResPipelines, crm.Read)) {
			continue
		}
		cur := ""
		if t.name == current {
			cur = ` aria-current="page"`
		}
		b.WriteString(`<li><a href="` + t.href + `"` + cur + `>` + html.EscapeString(f.L.T(t.key)) + `</a></li>`)
	}
	b.WriteString(`</ul></nav>`)
	return template.HTML(b.String())
}

// Money writes integer minor units as the currency's major units with its
// own number of decimals, in the reader's digits: "1,234.50 EUR",
// "۱٬۲۳۴ IRR", "12,000 JPY".
func (f dealFmt) Money(amount int64, currency string) string {
	return moneyText(f.L, amount, currency)
}

// Pct writes a probability: "60%" or "۶۰٪".
func (f dealFmt) Pct(p int) string {
	if f.L.Lang() == "fa" {
		return f.L.Number(int64(p)) + "٪"
	}
	return f.L.Number(int64(p)) + "%"
}

// Major writes minor units as a plain major-unit number for a form field
// (ASCII digits, no grouping), so it reads back exactly.
func (f dealFmt) Major(amount int64, currency string) string { return majorText(amount, currency) }

// Label translates a deal status or stage kind.
func (f dealFmt) Label(prefix, value string) string { return f.L.T(prefix + value) }

func moneyText(l *i18n.Locale, amount int64, currency string) string {
	digits := crm.CurrencyDigits(currency)
	pow := int64(math.Pow10(digits))
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := l.Number(amount / pow)
	if digits > 0 {
		frac := strconv.FormatInt(amount%pow+pow, 10)[1:]
		sep := "."
		if l.Lang() == "fa" {
			sep = "\u066b"
		}
		s += sep + l.Digits(frac)
	}
	if neg {
		s = "-" + s
	}
	return s + "\u00a0" + currency
}

func majorText(amount int64, currency string) string {
	digits := crm.CurrencyDigits(currency)
	if digits == 0 {
		return strconv.FormatInt(amount, 10)
	}
	pow := int64(math.Pow10(digits))
	return strconv.FormatInt(amount/pow, 10) + "." + strconv.FormatInt(amount%pow+pow, 10)[1:]
}

// asciiDigits reads Persian and Arabic-Indic digits and separators as
// ASCII, so "۱۲٫۵۰" and "12.50" are the same amount.
var asciiDigits = strings.NewReplacer(
	"۰", "0", "۱", "1", "۲", "2", "۳", "3", "۴", "4", "۵", "5", "۶", "6", "۷", "7", "۸", "8", "۹", "9",
	"٠", "0", "١", "1", "٢", "2", "٣", "3", "٤", "4", "٥", "5", "٦", "6", "٧", "7", "٨", "8", "٩", "9",
	"\u066b", ".", "\u066c", "", ",", "", " ", "", "\u00a0", "")

// parseMajor reads an amount typed in major units ("1,234.5") as minor
// units of the currency; false when it is not a number or has more
// decimals than the currency.
func parseMajor(s, currency string) (int64, bool) {
	s = asciiDigits.Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	digits := crm.CurrencyDigits(currency)
	if whole == "" && frac == "" || len(frac) > digits || len(whole) > 15 {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	n, err := strconv.ParseInt("0"+whole+frac, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseInt reads a whole number typed in any of the reader's digits.
func parseInt(s string) (int64, error) {
	return strconv.ParseInt(asciiDigits.Replace(strings.TrimSpace(s)), 10, 64)
}

// Inc is n+1, for positions counted from one.
func (f dealFmt) Inc(n int) int { return n + 1 }
