// Package tracking is the passive collection surface: the snippet
// (/t.js), its configuration (/t/config) and the collect endpoint
// (/t/collect), which validates every batch, answers at once and writes
// from a bounded in-memory queue in group commits.
package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecrm/ecrm/internal/crm"
)

// Bounds of a collect request. Everything in a payload is written by
// whoever calls the endpoint, so everything is bounded and checked.
const (
	MaxBody      = 32 << 10 // bytes of one request
	MaxEvents    = 50       // events per request
	MaxURL       = 2000
	MaxTitle     = 300
	MaxProps     = 20  // properties per event
	MaxPropKey   = 40  // characters of a property name
	MaxPropValue = 500 // characters of a string property
	MaxPropsJSON = 2048
	MaxSKU       = 100
	MaxAge       = 24 * time.Hour // how old an event may say it is
	MaxValue     = 1e12           // money, in major units
	maxPath      = 300            // of a cookieless count's path
)

// payload is the wire format the snippet sends (short names keep beacons
// small): v visitor, s session, e events, id a signed identify.
type payload struct {
	V  string     `json:"v"`
	S  string     `json:"s"`
	E  []wireEvt  `json:"e"`
	ID *wireIdent `json:"id"`
}

type wireEvt struct {
	N   string         `json:"n"`   // name
	U   string         `json:"u"`   // URL (before consent: the path only)
	T   string         `json:"t"`   // title
	R   string         `json:"r"`   // referrer
	A   int64          `json:"a"`   // age in ms when sent
	SKU string         `json:"sku"` // product
	PN  string         `json:"pn"`  // product name
	Val *float64       `json:"val"` // value in major units
	Cur string         `json:"cur"` // currency
	P   map[string]any `json:"p"`   // properties: a flat object
}

type wireIdent struct {
	Email string `json:"email"`
	Sig   string `json:"sig"`
}

// Batch is a parsed request: consented events (with a visitor) or, before
// consent, only the paths of page views to count.
type Batch struct {
	VisitorID string
	Events    []*crm.Event
	Paths     []string
	Identify  *wireIdent
}

// ParseError is a refused payload; its message says what is wrong.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func bad(format string, args ...any) error { return &ParseError{fmt.Sprintf(format, args...)} }

var (
	propKeyRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,39}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Parse checks a request body for site and turns it into a Batch. With
// consent false (no visitor id, or the browser sent Do Not Track / Global
// Privacy Control) everything but the paths of page views is dropped, so
// nothing that could identify the person is kept. It never panics; any
// refusal is a *ParseError.
func Parse(body []byte, siteID int64, now time.Time, consentAllowed bool) (*Batch, error) {
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, bad("body is not a collect payload: %v", trimErr(err))
	}
	if dec.More() {
		return nil, bad("body holds more than one JSON value")
	}
	if len(p.E) == 0 && p.ID == nil {
		return nil, bad("e: no events")
	}
	if len(p.E) > MaxEvents {
		return nil, bad("e: %d events, at most %d per request", len(p.E), MaxEvents)
	}
	b := &Batch{}
	consented := p.V != "" && consentAllowed
	if p.V != "" {
		if !crm.VisitorIDRe.MatchString(p.V) {
			return nil, bad("v: not a visitor id (32–64 lowercase hex digits)")
		}
		if p.S != "" && !crm.SessionIDRe.MatchString(p.S) {
			return nil, bad("s: not a session id (16–64 lowercase hex digits)")
		}
	} else if p.S != "" || p.ID != nil {
		return nil, bad("s and id need a visitor id (v)")
	}
	for i := range p.E {
		w := &p.E[i]
		if !eventName(w.N) {
			return nil, bad("e[%d].n: event names are 1–48 of a-z 0-9 _ . : - starting with a letter", i)
		}
		if len(w.U) > MaxURL {
			return nil, bad("e[%d].u: longer than %d bytes", i, MaxURL)
		}
		if !consented {
			// Before consent only page views count, by path alone.
			if w.N == crm.EventPageView {
				if path, ok := countPath(w.U); ok {
					b.Paths = append(b.Paths, path)
				}
			}
			continue
		}
		e, err := parseEvent(i, w, siteID, now)
		if err != nil {
			return nil, err
		}
		e.VisitorID, e.SessionID = p.V, p.S
		b.Events = append(b.Events, e)
	}
	if consented {
		b.VisitorID = p.V
		if p.ID != nil {
			if len(p.ID.Email) > crm.MaxEmail || len(p.ID.Sig) > 128 {
				return nil, bad("id: too long")
			}
			b.Identify = p.ID
		}
	}
	return b, nil
}

func parseEvent(i int, w *wireEvt, siteID int64, now time.Time) (*crm.Event, error) {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"u", w.U, MaxURL}, {"t", w.T, MaxTitle}, {"r", w.R, MaxURL}, {"sku", w.SKU, MaxSKU}, {"pn", w.PN, crm.MaxName}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return nil, bad("e[%d].%s: longer than %d characters", i, f.name, f.max)
		}
		if strings.ContainsRune(f.v, 0) {
			return nil, bad("e[%d].%s: holds a NUL character", i, f.name)
		}
	}
	if w.A < 0 || w.A > MaxAge.Milliseconds() {
		return nil, bad("e[%d].a: age must be 0–%d ms", i, MaxAge.Milliseconds())
	}
	e := &crm.Event{SiteID: siteID, Name: w.N, URL: w.U, Title: w.T, Referrer: w.R, ProductSKU: w.SKU, ProductName: w.PN,
		OccurredAt: now.Add(-time.Duration(w.A) * time.Millisecond), ReceivedAt: now}
	if w.U != "" {
		u, err := url.Parse(w.U)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, bad("e[%d].u: not an http(s) URL", i)
		}
		e.Path = u.EscapedPath()
		if e.Path == "" {
			e.Path = "/"
		}
		if len(e.Path) > MaxURL {
			e.Path = e.Path[:MaxURL]
		}
		if strings.Contains(u.RawQuery, "utm_") {
			q := u.Query()
			e.UTMSource, e.UTMMedium, e.UTMCampaign = utm(q, "utm_source"), utm(q, "utm_medium"), utm(q, "utm_campaign")
			e.UTMTerm, e.UTMContent = utm(q, "utm_term"), utm(q, "utm_content")
		}
	}
	if w.R != "" {
		if u, err := url.Parse(w.R); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, bad("e[%d].r: not an http(s) URL", i)
		}
	}
	if w.Cur != "" {
		if !currencyRe.MatchString(w.Cur) {
			return nil, bad("e[%d].cur: a three-letter ISO 4217 code", i)
		}
		e.Currency = w.Cur
	}
	if w.Val != nil {
		v := *w.Val
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxValue {
			return nil, bad("e[%d].val: out of range", i)
		}
		minor := int64(math.Round(v * math.Pow10(crm.CurrencyDigits(e.Currency))))
		e.Value = &minor
	}
	props, err := checkProps(i, w.P)
	if err != nil {
		return nil, err
	}
	e.Props = props
	return e, nil
}

// utm reads one UTM parameter, bounded like a name.
func utm(q url.Values, k string) string {
	v := strings.ToValidUTF8(strings.ReplaceAll(q.Get(k), "\x00", ""), "")
	if utf8.RuneCountInString(v) > crm.MaxName {
		v = string([]rune(v)[:crm.MaxName])
	}
	return v
}

// checkProps accepts a flat object of at most MaxProps string, number,
// boolean or null values, MaxPropsJSON bytes of names and strings in all.
func checkProps(i int, m map[string]any) (map[string]any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if len(m) > MaxProps {
		return nil, bad("e[%d].p: %d properties, at most %d", i, len(m), MaxProps)
	}
	size := 0
	for k, v := range m {
		if !propKey(k) {
			return nil, bad("e[%d].p: property names are 1–%d of A-Z a-z 0-9 _ . - starting with a letter or _", i, MaxPropKey)
		}
		size += len(k) + 8
		switch x := v.(type) {
		case string:
			if utf8.RuneCountInString(x) > MaxPropValue || strings.ContainsRune(x, 0) {
				return nil, bad("e[%d].p.%s: strings are at most %d characters, without NUL", i, k, MaxPropValue)
			}
			size += len(x)
		case float64, bool, nil:
		default:
			return nil, bad("e[%d].p.%s: values are strings, numbers, booleans or null", i, k)
		}
	}
	if size > MaxPropsJSON {
		return nil, bad("e[%d].p: properties longer than %d bytes", i, MaxPropsJSON)
	}
	return m, nil
}

// eventName is crm.EventNameRe without the regexp machinery (it runs for
// every event); TestNameChecks keeps the two equal.
func eventName(s string) bool {
	if len(s) == 0 || len(s) > 48 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// propKey is propKeyRe, by hand.
func propKey(s string) bool {
	if len(s) == 0 || len(s) > MaxPropKey {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if i == 0 && !letter || !(letter || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// countPath is the path of a pre-consent page view: no query, no
// fragment (they can carry identifiers), bounded.
func countPath(s string) (string, bool) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		s = u.EscapedPath()
	}
	if s == "" {
		s = "/"
	}
	if s[0] != '/' || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return "", false
	}
	if len(s) > maxPath {
		s = s[:maxPath]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s, true
}

// trimErr keeps decoder messages short (they may quote the input).
func trimErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}
