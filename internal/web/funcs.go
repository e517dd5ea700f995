package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// funcs are the template helpers. Formatting that depends on the reader's
// language takes the locale as its first argument ({{num $.L .Size}}).
func funcs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset":    a.url,
		"num":      formatNum,
		"date":     formatDate,
		"datetime": formatDateTime,
		"digits":   func(l *i18n.Locale, s string) string { return l.Digits(s) },
		"id":       func(p *int64) int64 { return deref(p) },
		"idstr": func(p *int64) string {
			if p == nil {
				return ""
			}
			return strconv.FormatInt(*p, 10)
		},
		"str":     func(v any) string { return fmt.Sprint(v) },
		"join":    strings.Join,
		"has":     slices.Contains[[]string],
		"minutes": func(sec int) int { return sec / 60 },
		"langURL": langURL,
		"inputDate": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Format(time.DateOnly)
		},
		"custom": customDisplay,
		"reason": importReason,
		// label translates a value from a list the store may grow (audit
		// actions and entities) and shows unknown values as they are.
		"label": func(l *i18n.Locale, prefix, value string) string {
			if i18n.Get("en").Has(prefix + value) {
				return l.T(prefix + value)
			}
			return value
		},
		// viewq re-encodes a saved view's stored query so it is a plain
		// query string whatever was stored.
		"viewq": func(q string) template.URL {
			v, _ := url.ParseQuery(q)
			return template.URL(v.Encode())
		},
		"cfval": customFormValues,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict needs pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m, nil
		},
		"roles":    func() []crm.Role { return crm.Roles },
		"stages":   func() []string { return crm.Stages },
		"kinds":    func() []string { return crm.ActivityKinds },
		"outcomes": func() []string { return crm.CallOutcomes },
		"ftypes":   func() []string { return crm.FieldTypes },
		"langs":    func() []string { return i18n.Langs },
		"clangs":   func() []string { return crm.Languages },
		// Commerce (commerce_funcs.go).
		"money":           formatMoney,
		"pct":             func(bp int) float64 { return float64(bp) / 100 },
		"nth":             nth,
		"orderStatuses":   func() []string { return crm.OrderStatuses },
		"channels":        func() []string { return crm.Channels },
		"purchaseFilters": func() []string { return purchaseFilters },
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func formatNum(l *i18n.Locale, v any) string {
	switch x := v.(type) {
	case int:
		return l.Number(int64(x))
	case int64:
		return l.Number(x)
	case *int64:
		if x == nil {
			return ""
		}
		return l.Number(*x)
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		places := 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			places = len(s) - i - 1
		}
		return l.Decimal(x, places)
	}
	return l.Digits(fmt.Sprint(v))
}

func formatDate(l *i18n.Locale, v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return l.Date(x)
	case *time.Time:
		if x == nil {
			return ""
		}
		return l.Date(*x)
	case string: // YYYY-MM-DD
		t, err := time.Parse(time.DateOnly, x)
		if err != nil {
			return x
		}
		return l.Date(t)
	}
	return ""
}

func formatDateTime(l *i18n.Locale, v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return l.DateTime(x)
	case *time.Time:
		if x == nil {
			return ""
		}
		return l.DateTime(*x)
	}
	return ""
}

// langURL is the current page with ?lang= set, for the language switcher.
func langURL(requestURI, lang string) string {
	u, err := url.Parse(requestURI)
	if err != nil {
		return "/?lang=" + lang
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// customDisplay renders a custom field value for reading, in the reader's
// language (yes/no, digits, dates).
func customDisplay(l *i18n.Locale, d *crm.CustomField, v any) string {
	if v == nil {
		return ""
	}
	switch d.Type {
	case "boolean":
		if b, ok := v.(bool); ok {
			if b {
				return l.T("console.yes")
			}
			return l.T("console.no")
		}
	case "number":
		if f, ok := v.(float64); ok {
			return formatNum(l, f)
		}
	case "date":
		if s, ok := v.(string); ok {
			return formatDate(l, s)
		}
	case "multi_select":
		switch x := v.(type) {
		case []string:
			return strings.Join(x, ", ")
		case []any:
			parts := make([]string, 0, len(x))
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
			return strings.Join(parts, ", ")
		}
	}
	return fmt.Sprint(v)
}

// customFormValues turns a stored custom value into form values.
func customFormValues(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case bool:
		return []string{strconv.FormatBool(x)}
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return []string{fmt.Sprint(v)}
}

// importReason shows an import rejection in the reader's language when the
// reason is a catalogue key (a validation key such as "invalid_email" or a
// full key), and as written otherwise.
func importReason(l *i18n.Locale, reason string) string {
	en := i18n.Get("en")
	switch {
	case en.Has("error." + reason):
		return l.T("error." + reason)
	case en.Has(reason):
		return l.T(reason)
	}
	return reason
}
