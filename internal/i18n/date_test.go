package i18n

import (
	"testing"
	"time"
)

func TestDateAndDateTime(t *testing.T) {
	tehran := time.FixedZone("IRST", 3*3600+1800)
	tests := []struct {
		t                    time.Time
		lang, date, datetime string
	}{
		{time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC), "en", "22 Nov 2026", "22 Nov 2026 14:05"},
		{time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC), "fa", "۱ آذر ۱۴۰۵", "۱ آذر ۱۴۰۵، ۱۴:۰۵"},
		{time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC), "ja", "2026年11月22日", "2026年11月22日 14:05"},
		{time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC), "fa", "۱ فروردین ۱۴۰۳", "۱ فروردین ۱۴۰۳، ۰۰:۰۰"},
		{time.Date(2025, 3, 20, 23, 59, 0, 0, time.UTC), "fa", "۳۰ اسفند ۱۴۰۳", "۳۰ اسفند ۱۴۰۳، ۲۳:۵۹"},
		{time.Date(1979, 2, 11, 9, 30, 0, 0, time.UTC), "fa", "۲۲ بهمن ۱۳۵۷", "۲۲ بهمن ۱۳۵۷، ۰۹:۳۰"},
		{time.Date(2000, 1, 1, 9, 3, 0, 0, time.UTC), "en", "1 Jan 2000", "1 Jan 2000 09:03"},
		{time.Date(2000, 1, 1, 9, 3, 0, 0, time.UTC), "ja", "2000年1月1日", "2000年1月1日 09:03"},
		// The date is the day in t's own location: 22:00 UTC on 19 March
		// is already 1 Farvardin in Tehran.
		{time.Date(2024, 3, 19, 22, 0, 0, 0, time.UTC).In(tehran), "fa", "۱ فروردین ۱۴۰۳", "۱ فروردین ۱۴۰۳، ۰۱:۳۰"},
		{time.Date(2024, 3, 19, 22, 0, 0, 0, time.UTC), "fa", "۲۹ اسفند ۱۴۰۲", "۲۹ اسفند ۱۴۰۲، ۲۲:۰۰"},
	}
	for _, tt := range tests {
		l := Get(tt.lang)
		if got := l.Date(tt.t); got != tt.date {
			t.Errorf("%s Date(%v) = %q, want %q", tt.lang, tt.t, got, tt.date)
		}
		if got := l.DateTime(tt.t); got != tt.datetime {
			t.Errorf("%s DateTime(%v) = %q, want %q", tt.lang, tt.t, got, tt.datetime)
		}
	}
}
