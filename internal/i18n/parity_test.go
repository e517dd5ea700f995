package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/ecrm/ecrm/internal/crm"
)

// These tests guard every catalogue file, including those other packages
// add under locales/<lang>/.

// placeholders returns the sorted, de-duplicated {n} indexes in text.
func placeholders(text string) []int {
	var out []int
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			break
		}
		if n, ok := placeholderIndex(text[open+1 : open+end]); ok && !slices.Contains(out, n) {
			out = append(out, n)
		}
		text = text[open+1:]
	}
	slices.Sort(out)
	return out
}

func TestCataloguesHaveSameKeysAndPlaceholders(t *testing.T) {
	en := catalogs["en"]
	for _, lang := range Langs[1:] {
		cat := catalogs[lang]
		for key, text := range en {
			tr, ok := cat[key]
			if !ok {
				t.Errorf("%s: missing key %q (en: %q)", lang, key, text)
				continue
			}
			if got, want := placeholders(tr), placeholders(text); !slices.Equal(got, want) {
				t.Errorf("%s[%q] placeholders = %v, want %v as in en", lang, key, got, want)
			}
		}
		for key := range cat {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: key %q is not in the English catalogue", lang, key)
			}
		}
	}
}

// TestPlaceholdersAreNumberedFromZero catches {1} without {0}, which would
// mean an argument is silently dropped.
func TestPlaceholdersAreNumberedFromZero(t *testing.T) {
	for key, text := range catalogs["en"] {
		for i, n := range placeholders(text) {
			if n != i {
				t.Errorf("en[%q] = %q: placeholders must be {0}…{n} without gaps", key, text)
				break
			}
		}
	}
}

// TestPersianUsesPersianLetters rejects Arabic yeh and kaf, which look
// almost the same but break search and sorting for Persian readers.
// Language names are written in their own script and are exempt.
func TestPersianUsesPersianLetters(t *testing.T) {
	for key, text := range catalogs["fa"] {
		if strings.HasPrefix(key, "lang.") {
			continue
		}
		if strings.ContainsAny(text, "\u064a\u0643") {
			t.Errorf("fa[%q] = %q uses Arabic ي or ك; write Persian ی and ک", key, text)
		}
	}
}

// englishPhrase matches two consecutive English words, the mark of a
// string copied untranslated. Single words (brand names, "CSV") may
// legitimately stay the same.
var englishPhrase = regexp.MustCompile(`[A-Za-z]*[a-z][A-Za-z]* +[A-Za-z]*[a-z]`)

func TestTranslationsAreNotEnglishCopies(t *testing.T) {
	for _, lang := range Langs[1:] {
		for key, text := range catalogs[lang] {
			if text == catalogs["en"][key] && englishPhrase.MatchString(text) {
				t.Errorf("%s[%q] = %q is the English text", lang, key, text)
			}
		}
	}
}

// TestLanguageNamesAreNative checks that a language is named the same way,
// in its own script, whatever the interface language.
func TestLanguageNamesAreNative(t *testing.T) {
	for _, lang := range crm.Languages {
		key := "lang." + lang
		want := catalogs["en"][key]
		for _, ui := range Langs {
			if got := catalogs[ui][key]; got != want || got == "" {
				t.Errorf("%s[%q] = %q, want %q in every locale", ui, key, got, want)
			}
		}
	}
	if got, want := Get("en").T("lang.fa"), "فارسی"; got != want {
		t.Errorf(`T("lang.fa") = %q, want %q`, got, want)
	}
}

// TestDomainValuesHaveLabels keeps the catalogue in step with the value
// lists in internal/crm: a new stage or role must come with its label.
func TestDomainValuesHaveLabels(t *testing.T) {
	var roles []string
	for _, r := range crm.Roles {
		roles = append(roles, string(r))
	}
	codes := []string{crm.EINVALID, crm.ENOTFOUND, crm.ECONFLICT, crm.EUNAUTHORIZED,
		crm.EFORBIDDEN, crm.ETOOLARGE, crm.ERATELIMIT, crm.EINTERNAL}
	lists := map[string][]string{
		"stage.":   crm.Stages,
		"role.":    roles,
		"kind.":    crm.ActivityKinds,
		"outcome.": crm.CallOutcomes,
		"status.":  crm.TaskStatuses,
		"type.":    crm.FieldTypes,
		"lang.":    crm.Languages,
		"code.":    codes,
	}
	for prefix, values := range lists {
		for _, v := range values {
			if _, ok := catalogs["en"][prefix+v]; !ok {
				t.Errorf("no English text for %s%s", prefix, v)
			}
		}
	}
	for m := 1; m <= 12; m++ {
		if key := "month.jalali." + strconv.Itoa(m); !Get("fa").Has(key) {
			t.Errorf("no Persian text for %s", key)
		}
	}
}

// vAdd matches v.Add(field, "key", args…) calls in crm's validation.
var vAdd = regexp.MustCompile(`(?m)v\.Add\(.*?,\s*"([a-z0-9_]+)"\s*((?:,[^,)]+)*)\)\s*$`)

// TestValidationKeysHaveMessages reads internal/crm's and internal/store's source so a new
// v.Add key, or a changed number of arguments, fails here rather than
// showing "error.something" to a user.
func TestValidationKeysHaveMessages(t *testing.T) {
	names, err := filepath.Glob("../crm/*.go")
	more, _ := filepath.Glob("../store/*.go")
	names = append(names, more...)
	if err != nil || len(names) == 0 {
		t.Fatalf("no crm sources: %v", err)
	}
	total := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		calls := vAdd.FindAllStringSubmatch(string(src), -1)
		if got, want := len(calls), strings.Count(string(src), "v.Add("); got != want {
			t.Fatalf("%s: understood %d of %d v.Add calls; update the vAdd pattern", name, got, want)
		}
		total += len(calls)
		for _, c := range calls {
			key, nargs := "error."+c[1], strings.Count(c[2], ",")
			text, ok := catalogs["en"][key]
			if !ok {
				t.Errorf("%s: no English text for %s", name, key)
				continue
			}
			if got := len(placeholders(text)); got != nargs {
				t.Errorf("en[%q] has %d placeholders, %s passes %d arguments", key, got, name, nargs)
			}
		}
	}
	if total == 0 {
		t.Fatal("found no v.Add calls in internal/crm")
	}
}

// TestTextsAreTidy rejects leading or trailing spaces and control
// characters, which are invisible in review and odd on the page.
func TestTextsAreTidy(t *testing.T) {
	for _, lang := range Langs {
		for key, text := range catalogs[lang] {
			if strings.TrimSpace(text) != text {
				t.Errorf("%s[%q] = %q has surrounding space", lang, key, text)
			}
			if strings.ContainsFunc(text, unicode.IsControl) {
				t.Errorf("%s[%q] = %q has a control character", lang, key, text)
			}
		}
	}
}
