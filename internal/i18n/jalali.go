package i18n

import "time"

// The Jalali (Solar Hijri) calendar is Iran's official calendar: the year
// starts at Nowruz, the March equinox; months 1–6 have 31 days, 7–11 have 30
// and Esfand 29, or 30 in a leap year. Leap years follow the astronomy, not
// a simple rule, so the year a Nowruz falls on is computed with Borkowski's
// algorithm (as in jalaali-js and most Jalali libraries): known irregular
// "breaks" in the 33-year cycle, which match the official calendar for
// Jalali years -61 to 3177. Outside that range the 33-year cycle is simply
// continued.

// jalaliBreaks are the Jalali years where the 33-year leap cycle restarts.
var jalaliBreaks = [...]int{
	-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178,
}

// nowruzMarch returns the day in March of the Gregorian year jy+621 on
// which Jalali year jy begins.
func nowruzMarch(jy int) int {
	gy := jy + 621
	leapJ := -14 // Jalali leap days before the first break
	jp := jalaliBreaks[0]
	jump := 0
	for _, jm := range jalaliBreaks[1:] {
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += floorDiv(n, 33)*8 + floorDiv(floorMod(n, 33)+3, 4)
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	// Gregorian leap days since the same origin.
	leapG := floorDiv(gy, 4) - floorDiv((floorDiv(gy, 100)+1)*3, 4) - 150
	return 20 + leapJ - leapG
}

// nowruz returns 1 Farvardin of Jalali year jy as a UTC midnight.
func nowruz(jy int) time.Time {
	return time.Date(jy+621, time.March, nowruzMarch(jy), 0, 0, 0, 0, time.UTC)
}

// ToJalali returns the Jalali date of t's calendar day in t's location;
// convert t to the reader's time zone first.
func ToJalali(t time.Time) (year, month, day int) {
	y, m, d := t.Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	year = y - 621
	start := nowruz(year)
	if date.Before(start) {
		year--
		start = nowruz(year)
	}
	k := int(date.Sub(start) / (24 * time.Hour)) // 0 on 1 Farvardin
	if k < 186 {
		return year, 1 + k/31, 1 + k%31
	}
	k -= 186
	return year, 7 + k/30, 1 + k%30
}

// FromJalali returns midnight UTC of the given Jalali date. Like time.Date
// it normalises values out of range, so 30 Esfand of a common year is
// 1 Farvardin of the next; compare with ToJalali to validate user input.
func FromJalali(year, month, day int) time.Time {
	// Month offsets: 31 days for months 1–6, 30 after. Months are
	// normalised first so that month 13 or 0 moves the year.
	year += floorDiv(month-1, 12)
	month = floorMod(month-1, 12) + 1
	days := (month-1)*31 - max(month-7, 0) + day - 1
	return time.Date(year+621, time.March, nowruzMarch(year)+days, 0, 0, 0, 0, time.UTC)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
