package web

import (
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// formatMoney writes minor units as an amount in the reader's digits, with
// the currency's own number of decimals (JPY none, EUR two): "۱۲٫۵۰ EUR".
func formatMoney(l *i18n.Locale, minor int64, currency string) string {
	d := crm.CurrencyDigits(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	scale := int64(1)
	for range d {
		scale *= 10
	}
	s := l.Number(minor / scale)
	if d > 0 {
		frac := strconv.FormatInt(minor%scale, 10)
		frac = strings.Repeat("0", d-len(frac)) + frac
		// Decimal gives the locale's separator; take it from a known value.
		sep := strings.TrimSuffix(strings.TrimPrefix(l.Decimal(0.5, 1), l.Digits("0")), l.Digits("5"))
		s += sep + l.Digits(frac)
	}
	if neg {
		s = "−" + s
	}
	return s + "\u00a0" + currency
}

// parseMoney reads an amount typed in major units ("12.50", "۱۲٫۵۰",
// "1,200") into minor units of the currency; ok is false for anything
// that is not a plain non-negative amount with at most the currency's decimals.
func parseMoney(s, currency string) (int64, bool) {
	s = normalizeDigits(strings.TrimSpace(s))
	s = strings.NewReplacer(",", "", "٬", "", " ", "", "\u00a0", "", "٫", ".").Replace(s)
	if s == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	d := crm.CurrencyDigits(currency)
	if len(frac) > d || whole == "" {
		return 0, false
	}
	frac += strings.Repeat("0", d-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > crm.MaxAmount {
		return 0, false
	}
	v := w
	for range d {
		v *= 10
	}
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		v += f
	}
	return v, v <= crm.MaxAmount
}

// moneyInput shows minor units as a form value in major units ("12.50").
func moneyInput(minor int64, currency string) string {
	d := crm.CurrencyDigits(currency)
	s := strconv.FormatInt(minor, 10)
	if d == 0 {
		return s
	}
	for len(s) <= d {
		s = "0" + s
	}
	return s[:len(s)-d] + "." + s[len(s)-d:]
}

// normalizeDigits turns Persian and Arabic-Indic digits into ASCII, so a
// number typed on a Persian keyboard parses.
func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		}
		return r
	}, s)
}

// parseCount reads a whole number typed in any digits; ok is false when
// it is not one.
func parseCount(s string) (int64, bool) {
	n, err := strconv.ParseInt(normalizeDigits(strings.TrimSpace(s)), 10, 64)
	return n, err == nil
}

// nth is s[i], or "" past its end (form rows that were not sent).
func nth(s []string, i int) string {
	if i < 0 || i >= len(s) {
		return ""
	}
	return s[i]
}
