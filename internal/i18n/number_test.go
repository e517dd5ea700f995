package i18n

import (
	"math"
	"testing"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		n          int64
		en, fa, ja string
	}{
		{0, "0", "۰", "0"},
		{7, "7", "۷", "7"},
		{999, "999", "۹۹۹", "999"},
		{1000, "1,000", "۱٬۰۰۰", "1,000"},
		{1234567, "1,234,567", "۱٬۲۳۴٬۵۶۷", "1,234,567"},
		{-1234, "-1,234", "\u200e−۱٬۲۳۴", "-1,234"},
		{math.MaxInt64, "9,223,372,036,854,775,807", "۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۷", "9,223,372,036,854,775,807"},
		{math.MinInt64, "-9,223,372,036,854,775,808", "\u200e−۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۸", "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		for lang, want := range map[string]string{"en": tt.en, "fa": tt.fa, "ja": tt.ja} {
			if got := Get(lang).Number(tt.n); got != want {
				t.Errorf("%s Number(%d) = %q, want %q", lang, tt.n, got, want)
			}
		}
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		f          float64
		places     int
		en, fa, ja string
	}{
		{1234.5, 2, "1,234.50", "۱٬۲۳۴٫۵۰", "1,234.50"},
		{0.125, 1, "0.1", "۰٫۱", "0.1"},    // 0.125 is exact; round half to even
		{2.675, 2, "2.67", "۲٫۶۷", "2.67"}, // stored just below 2.675
		{999999.999, 2, "1,000,000.00", "۱٬۰۰۰٬۰۰۰٫۰۰", "1,000,000.00"},
		{-1234.567, 1, "-1,234.6", "\u200e−۱٬۲۳۴٫۶", "-1,234.6"},
		{-0.001, 2, "0.00", "۰٫۰۰", "0.00"},
		{42, 0, "42", "۴۲", "42"},
		{42.7, -1, "43", "۴۳", "43"},
		{math.Inf(1), 2, "+Inf", "+Inf", "+Inf"},
		{math.NaN(), 2, "NaN", "NaN", "NaN"},
	}
	for _, tt := range tests {
		for lang, want := range map[string]string{"en": tt.en, "fa": tt.fa, "ja": tt.ja} {
			if got := Get(lang).Decimal(tt.f, tt.places); got != want {
				t.Errorf("%s Decimal(%v, %d) = %q, want %q", lang, tt.f, tt.places, got, want)
			}
		}
	}
}

func TestDigits(t *testing.T) {
	tests := []struct{ lang, in, want string }{
		{"fa", "0123456789", "۰۱۲۳۴۵۶۷۸۹"},
		{"fa", "+98 21 1234-5678", "+۹۸ ۲۱ ۱۲۳۴-۵۶۷۸"},
		{"fa", "ساعت 14:05", "ساعت ۱۴:۰۵"},
		{"fa", "۱۲ already", "۱۲ already"},
		{"fa", "", ""},
		{"en", "0123456789", "0123456789"},
		{"ja", "2026年", "2026年"},
	}
	for _, tt := range tests {
		if got := Get(tt.lang).Digits(tt.in); got != tt.want {
			t.Errorf("%s Digits(%q) = %q, want %q", tt.lang, tt.in, got, tt.want)
		}
	}
}
