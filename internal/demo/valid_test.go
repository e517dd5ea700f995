package demo

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/nyaruka/phonenumbers"
)

// scriptOf says which script a name is written in, to check that Persian
// and Japanese contacts are not romanised.
func scriptOf(s string) string {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r):
			return "fa"
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			return "ja"
		}
	}
	return "en"
}

// checkPhone reports why an E.164 number is not a valid number of country.
func checkPhone(e164, country string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return err.Error()
	}
	if !phonenumbers.IsValidNumber(n) {
		return "not a valid number"
	}
	if got := phonenumbers.GetRegionCodeForNumber(n); got != country {
		return "belongs to " + got
	}
	return ""
}

func cityOf(cc, name, region string) bool { return findCity(cc, name, region) != nil }

func findCity(cc, name, region string) *city {
	for _, c := range []*country{countryUS, countryGB, countryCA, countryAU, countryDE, countryIR, countryJP} {
		if c.code != cc {
			continue
		}
		for _, ct := range c.cities {
			if ct.name == name && ct.region == region {
				return &ct
			}
		}
	}
	return nil
}

var reservedDomain = []string{".example.com", ".example.net", ".example.org", ".example.jp", "@example.com", "@example.net", "@example.org", "@example.jp"}

func TestContactsValid(t *testing.T) {
	g := New(1)
	vocab := []string{"vip", "newsletter", "wholesale", "b2b", "trial", "high-value", "churn-risk",
		"win-back", "referral", "event", "partner", "webinar", "price-sensitive"}
	for i := range 5000 {
		in, _ := g.Contact(i, 200)
		if err := in.Validate(true, nil); err != nil {
			t.Fatalf("contact %d: %v", i, err)
		}
		lang := *in.Language
		if got := scriptOf(*in.FirstName + *in.LastName); got != lang {
			t.Errorf("contact %d: name %q %q is in %s script, language %s", i, *in.FirstName, *in.LastName, got, lang)
		}
		if !slices.ContainsFunc(reservedDomain, func(d string) bool { return strings.HasSuffix(*in.Email, d) }) {
			t.Errorf("contact %d: email %q is not at a reserved example domain", i, *in.Email)
		}
		if strings.ContainsFunc(*in.Email, func(r rune) bool { return r > unicode.MaxASCII }) {
			t.Errorf("contact %d: email %q is not romanised", i, *in.Email)
		}
		if in.Phone != nil {
			if why := checkPhone(*in.Phone, *in.Country); why != "" {
				t.Errorf("contact %d: phone %q in %s: %s", i, *in.Phone, *in.Country, why)
			}
		}
		if !cityOf(*in.Country, *in.City, *in.Region) {
			t.Errorf("contact %d: %s, %s is not in %s", i, *in.City, *in.Region, *in.Country)
		}
		if in.BirthDate != nil {
			c := crm.Contact{BirthDate: *in.BirthDate}
			if age := c.Age(refDate); age < 18 || age > 80 {
				t.Errorf("contact %d: born %s, age %d on %s, want 18–80", i, *in.BirthDate, age, refDate.Format(time.DateOnly))
			}
		}
		if !slices.Contains(sources, *in.Source) {
			t.Errorf("contact %d: source %q not in %v", i, *in.Source, sources)
		}
		for _, tag := range *in.Tags {
			if !slices.Contains(vocab, tag) {
				t.Errorf("contact %d: tag %q not in the vocabulary", i, tag)
			}
		}
	}
}

func TestCompaniesValid(t *testing.T) {
	g := New(1)
	for j := range 3000 {
		in := g.Company(j)
		if err := in.Validate(true, nil); err != nil {
			t.Fatalf("company %d: %v", j, err)
		}
		if in.Phone != nil {
			if why := checkPhone(*in.Phone, *in.Country); why != "" {
				t.Errorf("company %d: phone %q in %s: %s", j, *in.Phone, *in.Country, why)
			}
		}
		if !cityOf(*in.Country, *in.City, *in.Region) {
			t.Errorf("company %d: %s, %s is not in %s", j, *in.City, *in.Region, *in.Country)
		}
		if !strings.HasSuffix(*in.Domain, ".example.com") && !strings.HasSuffix(*in.Domain, ".example.jp") {
			t.Errorf("company %d: domain %q is not under a reserved example domain", j, *in.Domain)
		}
		if want := locales[companyLocales[j%10]]; scriptOf(*in.Name) != want {
			t.Errorf("company %d: name %q is not in %s script", j, *in.Name, want)
		}
	}
}

func TestActivitiesValid(t *testing.T) {
	g := New(1)
	kinds := map[string]int{}
	for i := range 5000 {
		contact, _ := g.Contact(i, 0)
		acts := g.Activities(i, testNow)
		if len(acts) > 6 {
			t.Errorf("contact %d: %d activities, want at most 6", i, len(acts))
		}
		var prev time.Time
		for k, a := range acts {
			kinds[*a.Kind]++
			a.ContactID = ptr(int64(1))
			if err := a.Validate(true); err != nil {
				t.Fatalf("contact %d activity %d: %v", i, k, err)
			}
			at := *a.OccurredAt
			if at.After(testNow) || at.Before(testNow.AddDate(-2, 0, -1)) {
				t.Errorf("contact %d activity %d at %v, want within the two years before %v", i, k, at, testNow)
			}
			if at.Before(prev) {
				t.Errorf("contact %d activity %d at %v is before the previous one at %v", i, k, at, prev)
			}
			prev = at
			local := at.In(time.FixedZone("", findCity(*contact.Country, *contact.City, *contact.Region).tz*60))
			if h := local.Hour(); h < 9 || h > 17 || weekend(*contact.Country, local.Weekday()) {
				t.Errorf("contact %d activity %d at %v local time in %s, want a working day 09–18", i, k, local, *contact.Country)
			}
			text := *a.Body
			if a.Subject != nil {
				text = *a.Subject + text
			}
			if strings.ContainsAny(text, "{}") {
				t.Errorf("contact %d activity %d has an unfilled placeholder: %q", i, k, text)
			}
			if got := scriptOf(text); got != *contact.Language {
				t.Errorf("contact %d activity %d is in %s, contact speaks %s: %q", i, k, got, *contact.Language, text)
			}
			switch *a.Kind {
			case "call":
				if a.Outcome == nil {
					t.Errorf("contact %d call %d has no outcome", i, k)
				} else if *a.Outcome == "connected" && a.DurationSec == nil {
					t.Errorf("contact %d connected call %d has no duration", i, k)
				}
			case "meeting":
				if a.DurationSec == nil {
					t.Errorf("contact %d meeting %d has no duration", i, k)
				}
			}
		}
	}
	for _, k := range crm.ActivityKinds {
		if kinds[k] < 500 {
			t.Errorf("%d activities of kind %s in 5000 contacts, want at least 500", kinds[k], k)
		}
	}
}

func TestTasksValid(t *testing.T) {
	g := New(1)
	now := time.Date(2026, time.November, 22, 10, 30, 0, 0, time.FixedZone("Tehran", 210*60))
	today := now.Format(time.DateOnly)
	var dueToday, overdue, done int
	for i := range 5000 {
		contact, _ := g.Contact(i, 0)
		tasks := g.Tasks(i, now)
		if len(tasks) > 2 {
			t.Errorf("contact %d: %d tasks, want at most 2", i, len(tasks))
		}
		for k, task := range tasks {
			if err := task.Validate(true); err != nil {
				t.Fatalf("contact %d task %d: %v", i, k, err)
			}
			if strings.ContainsAny(*task.Title, "{}") {
				t.Errorf("contact %d task %d has an unfilled placeholder: %q", i, k, *task.Title)
			}
			if got := scriptOf(*task.Title); got != *contact.Language {
				t.Errorf("contact %d task %d is in %s, contact speaks %s: %q", i, k, got, *contact.Language, *task.Title)
			}
			due := *task.DueAt
			switch {
			case *task.Status == "done":
				done++
			case *task.Status != "open":
			case due.In(now.Location()).Format(time.DateOnly) == today:
				dueToday++
			case due.Before(now):
				overdue++
			}
			if task.RemindAt != nil && task.RemindAt.After(due) {
				t.Errorf("contact %d task %d reminds at %v, after it is due at %v", i, k, *task.RemindAt, due)
			}
		}
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"due today", dueToday}, {"overdue", overdue}, {"done", done}} {
		if c.n < 100 {
			t.Errorf("%d open tasks %s in 5000 contacts, want at least 100", c.n, c.name)
		}
	}
}
