// Package i18n is ecrm's message catalogue and locale formatting: English,
// Persian (right-to-left, Persian digits, Jalali dates) and Japanese. The
// console, the API's messages and the CLI all take their words from here so
// a string is translated once.
//
// To add strings, put them in locales/<lang>/<area>.json (for example
// console.json) for every language in Langs, keys prefixed by the area.
// The package tests fail when a language lacks a key or a translation
// changes the {0}, {1}… placeholders, so run go test ./internal/i18n.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// Langs lists the interface languages in the order a language picker shows
// them. English is first because it is the fallback for everything.
var Langs = []string{"en", "fa", "ja"}

// Locale formats messages, numbers and dates for one language. Locales are
// built at init and shared; they are safe for concurrent use.
type Locale struct {
	lang     string
	msgs     map[string]string
	fallback map[string]string // English, for keys a translation lacks
	num      numberFormat
}

var locales = newLocales(catalogs)

func newLocales(cats map[string]map[string]string) map[string]*Locale {
	out := make(map[string]*Locale, len(cats))
	for lang, msgs := range cats {
		out[lang] = &Locale{lang: lang, msgs: msgs, fallback: cats["en"], num: numberFormats[lang]}
	}
	return out
}

// Get returns the locale for lang. A region or script ("fa-IR", "ja_JP") is
// ignored and anything unknown gets English, so callers can pass a user's
// stored preference or a cookie without checking it first.
func Get(lang string) *Locale {
	if l, ok := locales[primary(lang)]; ok {
		return l
	}
	return locales["en"]
}

// primary returns the lowercased primary subtag of a language tag.
func primary(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

// Lang returns the locale's language code, one of Langs.
func (l *Locale) Lang() string { return l.lang }

// Dir returns the text direction for the html dir attribute.
func (l *Locale) Dir() string {
	if l.lang == "fa" {
		return "rtl"
	}
	return "ltr"
}

// Has reports whether the locale's own catalogue defines key (without
// falling back to English).
func (l *Locale) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// T returns the text for key with {0}, {1}… replaced by args. Integers are
// written with Number, so counts and limits get the reader's digits; other
// values (a tag, an option the user typed) are inserted unchanged. A key
// missing from this language falls back to English, and a key missing
// everywhere is returned as is, so a forgotten string is visible but never
// breaks a page.
func (l *Locale) T(key string, args ...any) string {
	text, ok := l.msgs[key]
	if !ok {
		if text, ok = l.fallback[key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	return l.fill(text, args)
}

// fill replaces {n} placeholders. A placeholder without an argument is left
// as written so the mistake shows instead of disappearing.
func (l *Locale) fill(text string, args []any) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			break
		}
		end += open
		n, ok := placeholderIndex(text[open+1 : end])
		if !ok || n >= len(args) {
			b.WriteString(text[:open+1])
			text = text[open+1:]
			continue
		}
		b.WriteString(text[:open])
		b.WriteString(l.formatArg(args[n]))
		text = text[end+1:]
	}
	b.WriteString(text)
	return b.String()
}

// placeholderIndex parses the inside of {n}: one to three ASCII digits.
func placeholderIndex(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (l *Locale) formatArg(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case int:
		return l.Number(int64(v))
	case int8:
		return l.Number(int64(v))
	case int16:
		return l.Number(int64(v))
	case int32:
		return l.Number(int64(v))
	case int64:
		return l.Number(v)
	case uint:
		return l.unsigned(uint64(v))
	case uint8:
		return l.Number(int64(v))
	case uint16:
		return l.Number(int64(v))
	case uint32:
		return l.Number(int64(v))
	case uint64:
		return l.unsigned(v)
	case float32:
		return l.float(float64(v))
	case float64:
		return l.float(v)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(a)
}

// unsigned is Number for values that may not fit an int64.
func (l *Locale) unsigned(u uint64) string {
	return l.compose(false, strconv.FormatUint(u, 10), "")
}

// float writes f with as many decimals as it needs, in the locale's digits.
func (l *Locale) float(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	places := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		places = len(s) - i - 1
	}
	return l.Decimal(f, places)
}

// FieldError returns the message for one invalid input from crm validation.
func (l *Locale) FieldError(fe crm.FieldError) string {
	return l.T("error."+fe.Key, fe.Args...)
}

// Keys returns every key of the English catalogue, sorted. Other packages'
// tests use it to check that the keys they refer to exist.
func Keys() []string {
	keys := make([]string, 0, len(catalogs["en"]))
	for k := range catalogs["en"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
