package store

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Date formats of an order CSV (crm.OrderFileOptions.DateFormat). Shops
// export ISO dates ("2010-12-01 08:26:00"), US dates ("12/1/2010 8:26")
// or European ones ("01/12/2010 08:26", "01.12.2010"); the day-month order
// of the last two cannot be told from one date, so it is detected from the
// whole file, or named.
const (
	DateISO = "iso"
	DateMDY = "mdy"
	DateDMY = "dmy"
)

// DateFormatsHelp lists the accepted date formats, for --help, the API
// documentation and the error of a date that fits none.
const DateFormatsHelp = "2010-12-01, 2010-12-01 08:26[:00], 2010-12-01T08:26:00[Z|+01:00] (iso); " +
	"12/1/2010[ 8:26[:00][ AM]] (mdy); 1/12/2010[ 08:26[:00]] or 01.12.2010 (dmy); or a Go layout such as \"02.01.2006 15:04\""

var (
	isoDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)? ?(Z|[+-]\d{2}:?\d{2})?$`)
	numDate = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?)?$`)
)

// dateReader parses the dates of one file in one format and time zone.
type dateReader struct {
	format string // DateISO, DateMDY, DateDMY or a Go layout
	loc    *time.Location
}

// newDateReader checks the options; format "" must be resolved by
// detectDateFormat first.
func newDateReader(format, zone string) (*dateReader, error) {
	var v crm.Validation
	loc := time.UTC
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil || strings.EqualFold(zone, "local") {
			v.Add("tz", "invalid_time_zone")
		} else {
			loc = l
		}
	}
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case DateISO, DateMDY, DateDMY:
		format = f
	default:
		// A Go layout must name the year, month and day: a date written
		// with it reads back as the same day.
		probe := time.Date(2010, 12, 31, 8, 26, 0, 0, time.UTC)
		back, err := time.Parse(format, probe.Format(format))
		if err != nil || back.Year() != 2010 || back.Month() != 12 || back.Day() != 31 {
			v.Add("date_format", "invalid_date_format", DateFormatsHelp)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &dateReader{format: format, loc: loc}, nil
}

// parse reads one date; a date without a zone is in the reader's zone.
func (d *dateReader) parse(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	switch d.format {
	case DateISO, DateMDY, DateDMY:
	default:
		t, err := time.ParseInLocation(d.format, s, d.loc)
		return t.UTC(), err == nil
	}
	if m := isoDate.FindStringSubmatch(s); m != nil {
		return d.build(m[1], m[2], m[3], m[4], m[5], m[6], m[7], "", m[8])
	}
	if d.format == DateISO {
		return time.Time{}, false
	}
	m := numDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	month, day := m[1], m[2]
	if d.format == DateDMY {
		month, day = day, month
	}
	return d.build(m[3], month, day, m[4], m[5], m[6], "", m[7], "")
}

// build checks every part and makes the time; time.Date would roll
// 31 April over into May instead of refusing it.
func (d *dateReader) build(y, mo, da, h, mi, se, frac, ampm, zone string) (time.Time, bool) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	year, month, day, hour, min, sec := num(y), num(mo), num(da), num(h), num(mi), num(se)
	if ampm != "" {
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		hour %= 12
		if strings.EqualFold(ampm, "pm") {
			hour += 12
		}
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 || year < 1900 || year > 2999 {
		return time.Time{}, false
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	ns := 0
	if frac != "" {
		ns = num((frac + "000000000")[:9])
	}
	loc := d.loc
	if zone != "" {
		if zone == "Z" {
			loc = time.UTC
		} else {
			z := strings.ReplaceAll(zone[1:], ":", "")
			off := (num(z[:2])*60 + num(z[2:])) * 60
			if zone[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, ns, loc).UTC(), true
}

// detectDateFormat reads every date of a file and returns its format:
// iso when every date is ISO; for numeric dates, dmy when a first number
// is above 12 and mdy when a second one is. It refuses (ambiguous true)
// a file whose numeric dates all have both numbers at most 12, since
// guessing would put every order of the year in the wrong month, and one
// that has both (mixed true).
func detectDateFormat(dates []string) (format string, ambiguous, mixed bool) {
	dayFirst, monthFirst, numeric := false, false, false
	for _, s := range dates {
		s = strings.TrimSpace(s)
		if s == "" || isoDate.MatchString(s) {
			continue
		}
		m := numDate.FindStringSubmatch(s)
		if m == nil {
			continue // not a date at all: rejected on its line
		}
		numeric = true
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if a > 12 && b <= 12 {
			dayFirst = true
		}
		if b > 12 && a <= 12 {
			monthFirst = true
		}
	}
	switch {
	case !numeric:
		return DateISO, false, false
	case dayFirst && monthFirst:
		return "", false, true
	case dayFirst:
		return DateDMY, false, false
	case monthFirst:
		return DateMDY, false, false
	}
	return "", true, false
}
