package i18n

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Known pairs from the Iranian calendar, not from this code.
var jalaliPairs = []struct {
	g          time.Time
	jy, jm, jd int
}{
	{date(2026, 3, 21), 1405, 1, 1},
	{date(2026, 11, 22), 1405, 9, 1},
	{date(2025, 3, 21), 1404, 1, 1},
	{date(2025, 3, 20), 1403, 12, 30}, // 1403 is a leap year
	{date(2024, 3, 20), 1403, 1, 1},
	{date(2024, 9, 22), 1403, 7, 1},
	{date(2023, 3, 21), 1402, 1, 1},
	{date(2021, 3, 21), 1400, 1, 1},
	{date(2021, 3, 20), 1399, 12, 30},
	{date(2017, 3, 20), 1395, 12, 30},
	{date(2000, 1, 1), 1378, 10, 11},
	{date(1989, 6, 4), 1368, 3, 14},
	{date(1980, 9, 22), 1359, 6, 31},
	{date(1979, 2, 11), 1357, 11, 22},
}

func TestToJalaliKnownDates(t *testing.T) {
	for _, p := range jalaliPairs {
		// Any time of the day, in any zone, converts by its own calendar day.
		for _, tm := range []time.Time{p.g, p.g.Add(23*time.Hour + 59*time.Minute)} {
			if y, m, d := ToJalali(tm); y != p.jy || m != p.jm || d != p.jd {
				t.Errorf("ToJalali(%v) = %d-%02d-%02d, want %d-%02d-%02d", tm, y, m, d, p.jy, p.jm, p.jd)
			}
		}
		if got := FromJalali(p.jy, p.jm, p.jd); !got.Equal(p.g) {
			t.Errorf("FromJalali(%d, %d, %d) = %v, want %v", p.jy, p.jm, p.jd, got, p.g)
		}
	}
	// 23:30 on 20 March 2024 in Tokyo is still 20 March there.
	tokyo := time.FixedZone("JST", 9*3600)
	if y, m, d := ToJalali(time.Date(2024, 3, 19, 23, 30, 0, 0, tokyo)); y != 1402 || m != 12 || d != 29 {
		t.Errorf("ToJalali(19 Mar 2024 JST) = %d-%d-%d, want 1402-12-29", y, m, d)
	}
}

// jalaliLeap reports whether Esfand of Jalali year jy has 30 days.
func jalaliLeap(jy int) bool {
	y, m, d := ToJalali(FromJalali(jy, 12, 30))
	return y == jy && m == 12 && d == 30
}

func TestJalaliLeapYears(t *testing.T) {
	for _, jy := range []int{1370, 1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403, 1408} {
		if !jalaliLeap(jy) {
			t.Errorf("%d: want a leap year", jy)
		}
	}
	for _, jy := range []int{1396, 1400, 1401, 1402, 1404, 1405, 1406, 1407} {
		if jalaliLeap(jy) {
			t.Errorf("%d: want a common year", jy)
		}
	}
}

func TestFromJalaliNormalises(t *testing.T) {
	tests := []struct{ y, m, d, wy, wm, wd int }{
		{1404, 12, 30, 1405, 1, 1}, // 1404 has no 30 Esfand
		{1403, 13, 1, 1404, 1, 1},
		{1403, 0, 1, 1402, 12, 1},
		{1403, 6, 32, 1403, 7, 1},
		{1403, 7, 31, 1403, 8, 1},
		{1403, 1, 0, 1402, 12, 29},
	}
	for _, tt := range tests {
		got, want := FromJalali(tt.y, tt.m, tt.d), FromJalali(tt.wy, tt.wm, tt.wd)
		if !got.Equal(want) {
			t.Errorf("FromJalali(%d, %d, %d) = %v, want %v", tt.y, tt.m, tt.d, got, want)
		}
	}
}

// monthLen is the length of Jalali month m of year y.
func monthLen(y, m int) int {
	switch {
	case m <= 6:
		return 31
	case m <= 11:
		return 30
	case jalaliLeap(y):
		return 30
	}
	return 29
}

// checkNext fails unless b is the Jalali day after a.
func checkNext(t *testing.T, g time.Time, a, b [3]int) {
	t.Helper()
	want := [3]int{a[0], a[1], a[2] + 1}
	if a[2] == monthLen(a[0], a[1]) {
		want = [3]int{a[0], a[1] + 1, 1}
		if a[1] == 12 {
			want = [3]int{a[0] + 1, 1, 1}
		}
	}
	if b != want {
		t.Fatalf("ToJalali(%v) = %v, the day after %v; want %v", g, b, a, want)
	}
}

// TestJalaliEveryDay walks every day from 1900 to 2100: each maps to the
// Jalali day after the previous one and converts back to itself.
func TestJalaliEveryDay(t *testing.T) {
	g, end := date(1900, 1, 1), date(2101, 1, 1)
	y, m, d := ToJalali(g)
	prev := [3]int{y, m, d}
	for g = g.AddDate(0, 0, 1); g.Before(end); g = g.AddDate(0, 0, 1) {
		y, m, d := ToJalali(g)
		cur := [3]int{y, m, d}
		checkNext(t, g, prev, cur)
		if back := FromJalali(y, m, d); !back.Equal(g) {
			t.Fatalf("FromJalali(ToJalali(%v)) = %v", g, back)
		}
		prev = cur
	}
}

// TestJalaliYearBoundaries checks the turn of every Jalali year over a wide
// range, including the extrapolated years outside the table of breaks:
// every year has 365 or 366 days and Nowruz stays near the equinox.
func TestJalaliYearBoundaries(t *testing.T) {
	for jy := -600; jy <= 9000; jy++ {
		start := FromJalali(jy, 1, 1)
		if start.Month() != time.March || start.Day() < 18 || start.Day() > 23 {
			t.Fatalf("1 Farvardin %d = %v, far from the March equinox", jy, start)
		}
		if y, m, d := ToJalali(start); y != jy || m != 1 || d != 1 {
			t.Fatalf("ToJalali(%v) = %d-%d-%d, want %d-1-1", start, y, m, d, jy)
		}
		last := start.AddDate(0, 0, -1)
		y, m, d := ToJalali(last)
		if y != jy-1 || m != 12 || (d != 29 && d != 30) {
			t.Fatalf("ToJalali(%v) = %d-%d-%d, want the last day of %d", last, y, m, d, jy-1)
		}
	}
}
