package i18n

import (
	"math"
	"strconv"
	"strings"
)

// numberFormat holds the symbols CLDR gives each language. Persian uses its
// own digits, the Arabic thousands separator U+066C and decimal separator
// U+066B, and a left-to-right mark before the minus sign so "−۵" does not
// flip to "۵−" inside right-to-left text.
type numberFormat struct {
	zero    rune // the digit zero; the other nine follow it in Unicode
	group   string
	decimal string
	minus   string
}

var numberFormats = map[string]numberFormat{
	"en": {zero: '0', group: ",", decimal: ".", minus: "-"},
	"fa": {zero: '۰', group: "\u066c", decimal: "\u066b", minus: "\u200e\u2212"},
	"ja": {zero: '0', group: ",", decimal: ".", minus: "-"},
}

// Number writes n with thousands grouping in the locale's digits:
// 1,234,567 or ۱٬۲۳۴٬۵۶۷.
func (l *Locale) Number(n int64) string {
	neg := n < 0
	// FormatUint of the magnitude avoids overflow for math.MinInt64.
	u := uint64(n)
	if neg {
		u = -u
	}
	return l.compose(neg, strconv.FormatUint(u, 10), "")
}

// Decimal writes f rounded to places decimals (places < 0 is 0), grouped
// and in the locale's digits: 1,234.50 or ۱٬۲۳۴٫۵۰. NaN and infinities are
// written as Go writes them; they only appear through bugs.
func (l *Locale) Decimal(f float64, places int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	places = max(places, 0)
	s := strconv.FormatFloat(math.Abs(f), 'f', places, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	// -0.001 rounded to two places is "0.00": no minus sign for a zero.
	neg := f < 0 && strings.Trim(s, "0.") != ""
	return l.compose(neg, intPart, frac)
}

// compose joins sign, grouped integer digits and fraction digits.
func (l *Locale) compose(neg bool, intDigits, frac string) string {
	var b strings.Builder
	if neg {
		b.WriteString(l.num.minus)
	}
	for i, d := range intDigits {
		if i > 0 && (len(intDigits)-i)%3 == 0 {
			b.WriteString(l.num.group)
		}
		b.WriteRune(l.digit(d))
	}
	if frac != "" {
		b.WriteString(l.num.decimal)
		for _, d := range frac {
			b.WriteRune(l.digit(d))
		}
	}
	return b.String()
}

func (l *Locale) digit(d rune) rune {
	return l.num.zero + (d - '0')
}

// Digits replaces ASCII digits with the locale's digits and leaves every
// other character alone, for text that is already formatted (a time, a
// phone number shown in a sentence).
func (l *Locale) Digits(s string) string {
	if l.num.zero == '0' {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return l.digit(r)
		}
		return r
	}, s)
}
