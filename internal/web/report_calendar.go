package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// jalaliCalendar makes Persian readers' months Jalali months: the report
// folds its daily figures into them, so a bar is a whole Jalali month
// rather than a Gregorian month with a Persian name.
type jalaliCalendar struct{}

func (jalaliCalendar) MonthStart(t time.Time) time.Time {
	y, m, _ := i18n.ToJalali(t.UTC())
	return i18n.FromJalali(y, m, 1)
}

func (jalaliCalendar) AddMonths(t time.Time, n int) time.Time {
	y, m, _ := i18n.ToJalali(t.UTC())
	return i18n.FromJalali(y, m+n, 1)
}

// calendarFor is the reader's calendar.
func calendarFor(l *i18n.Locale) crm.Calendar {
	if l.Lang() == "fa" {
		return jalaliCalendar{}
	}
	return crm.Gregorian{}
}

// reportMonth names a month that starts at t in the reader's calendar:
// "Jan 1998", "دی ۱۳۷۶", "1998年1月".
func reportMonth(l *i18n.Locale, t time.Time) string {
	switch l.Lang() {
	case "fa":
		y, m, _ := i18n.ToJalali(t)
		return l.T("month.jalali."+strconv.Itoa(m)) + " " + l.Digits(strconv.Itoa(y))
	case "ja":
		return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
	}
	return t.Format("Jan 2006")
}

// reportMonthShort is reportMonth for chart axes, where twelve labels
// share 700 pixels: "Jan 98", "دی ۷۶", "98年1月".
func reportMonthShort(l *i18n.Locale, t time.Time) string {
	switch l.Lang() {
	case "fa":
		y, m, _ := i18n.ToJalali(t)
		return l.T("month.jalali."+strconv.Itoa(m)) + " " + l.Digits(fmt.Sprintf("%02d", y%100))
	case "ja":
		return fmt.Sprintf("%02d年%d月", t.Year()%100, int(t.Month()))
	}
	return t.Format("Jan 06")
}
