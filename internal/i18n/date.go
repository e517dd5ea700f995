package i18n

import (
	"fmt"
	"strconv"
	"time"
)

// Date writes t's calendar day the way each language writes dates in prose:
// "22 Nov 2026" (day first, unambiguous across the English-speaking world),
// "۱ آذر ۱۴۰۵" (Jalali, Persian digits, year not grouped) and
// "2026年11月22日". t is used in its own location; convert it to the reader's
// time zone first.
func (l *Locale) Date(t time.Time) string {
	switch l.lang {
	case "fa":
		y, m, d := ToJalali(t)
		return l.Digits(strconv.Itoa(d)) + " " + l.T("month.jalali."+strconv.Itoa(m)) + " " + l.Digits(strconv.Itoa(y))
	case "ja":
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("2 Jan 2006")
}

// DateTime is Date followed by the 24-hour time, HH:MM.
func (l *Locale) DateTime(t time.Time) string {
	hm := l.Digits(t.Format("15:04"))
	if l.lang == "fa" {
		// Persian separates the date and the time with the Arabic comma.
		return l.Date(t) + "، " + hm
	}
	return l.Date(t) + " " + hm
}
