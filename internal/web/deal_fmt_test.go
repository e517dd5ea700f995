package web

import (
	"testing"

	"github.com/ecrm/ecrm/internal/i18n"
)

func TestMoneyText(t *testing.T) {
	for _, c := range []struct {
		lang, cur string
		amount    int64
		want      string
	}{
		{"en", "EUR", 123450, "1,234.50\u00a0EUR"},
		{"en", "EUR", 5, "0.05\u00a0EUR"},
		{"ja", "JPY", 1200000, "1,200,000\u00a0JPY"},
		{"fa", "EUR", 123450, "۱٬۲۳۴٫۵۰\u00a0EUR"},
		{"en", "BHD", 1234, "1.234\u00a0BHD"}, // three decimals
		{"en", "EUR", -250, "-2.50\u00a0EUR"},
	} {
		if got := moneyText(i18n.Get(c.lang), c.amount, c.cur); got != c.want {
			t.Errorf("%s %d %s = %q, want %q", c.lang, c.amount, c.cur, got, c.want)
		}
	}
}

func TestParseMajor(t *testing.T) {
	for _, c := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"12.50", "EUR", 1250, true},
		{"1,234.5", "EUR", 123450, true},
		{"۱۲٫۵۰", "EUR", 1250, true},
		{"1200", "JPY", 1200, true},
		{"12.5", "JPY", 0, false}, // yen have no decimals
		{"12.345", "EUR", 0, false},
		{"-3", "EUR", -300, true}, // the store refuses negatives with a field error
		{"abc", "EUR", 0, false},
		{"", "EUR", 0, true},
		{"1e3", "EUR", 0, false},
	} {
		got, ok := parseMajor(c.in, c.cur)
		if got != c.want || ok != c.ok {
			t.Errorf("parseMajor(%q, %s) = %d, %v; want %d, %v", c.in, c.cur, got, ok, c.want, c.ok)
		}
	}
	if got := majorText(1250, "EUR"); got != "12.50" {
		t.Errorf("majorText = %q", got)
	}
}
