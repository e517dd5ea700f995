package demo

import (
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Locales, by index: names, text and places are tables indexed the same way.
const (
	localeEN = iota
	localeFA
	localeJA
)

var (
	locales       = [...]string{"en", "fa", "ja"}
	localeWeights = []int{40, 30, 30}
	localeNames   = [...]*nameList{&englishNames, &persianNames, &japaneseNames}

	// Many subscribers and leads, fewer customers, some loyal or lost: the
	// shape of a funnel.
	stageWeights  = []int{28, 27, 12, 19, 8, 6} // crm.Stages order
	sources       = []string{"web_form", "referral", "import", "event", "partner", "ads"}
	sourceWeights = []int{30, 15, 15, 10, 8, 22}
	// B2B people arrive through events and partners more than through ads.
	sourceWeightsB2B = []int{18, 20, 15, 20, 20, 7}

	personalDomains = [...][]string{
		{"example.com", "example.com", "example.net", "example.org", "mail.example.com"},
		{"example.com", "mail.example.com", "ir.example.org", "ir.example.org"},
		{"example.jp", "example.jp", "mail.example.jp", "example.com"},
	}
	emailStyleWeights = []int{40, 10, 10, 8, 7, 15, 10}
)

// person is the part of a contact that its activities and tasks also need;
// it is drawn first from the contact's stream so both see the same person.
type person struct {
	locale      int
	female      bool
	first, last name
	country     *country
	city        *city
	birth       time.Time // zero when the contact did not give one
	stage       string
	source      string
	b2b         bool
	base        string // email local part before de-duplication
	r           rng    // positioned after the person's draws
}

func (g *Generator) person(i int) person {
	p := person{r: newRNG(g.seed, i, streamContact)}
	r := &p.r
	p.locale = r.weighted(localeWeights)
	names := localeNames[p.locale]
	p.female = r.chance(0.5)
	if p.female {
		p.first = names.female[r.skewed(len(names.female))]
	} else {
		p.first = names.male[r.skewed(len(names.male))]
	}
	p.last = names.family[r.skewed(len(names.family))]
	p.country = countryFor(r, locales[p.locale])
	p.city = p.country.city(r)
	// The mean of two uniforms peaks mid-life, as a customer base does.
	age := 18 + int((r.float()+r.float())/2*63)
	birth := refDate.AddDate(-age-1, 0, 1+r.intn(365))
	if r.chance(0.7) {
		p.birth = birth
	}
	p.stage = crm.Stages[r.weighted(stageWeights)]
	p.b2b = r.chance(0.4)
	if p.b2b {
		p.source = sources[r.weighted(sourceWeightsB2B)]
	} else {
		p.source = sources[r.weighted(sourceWeights)]
	}
	p.base = emailBase(r, p.first.roman, p.last.roman, birth.Year())
	return p
}

// emailBase builds a local part the way people pick them. None of the
// styles ends in ".<digits>", which localPart relies on.
func emailBase(r *rng, first, last string, year int) string {
	yy := itoa(year % 100)
	if len(yy) == 1 {
		yy = "0" + yy
	}
	switch r.weighted(emailStyleWeights) {
	case 1:
		return first + last
	case 2:
		return first[:1] + "." + last
	case 3:
		return first + "_" + last
	case 4:
		return last + "." + first
	case 5:
		return first + "." + last + yy
	case 6:
		return first + yy
	}
	return first + "." + last
}

// record is a contact as plain strings: WriteContactsCSV writes it without
// the pointer plumbing of crm.ContactInput.
type record struct {
	person
	email, personal string
	phone           string
	title           string
	street, postal  string
	birthDate       string
	tags            []string
	company         int
	companyName     string
	companyDomain   string
}

// Contact returns contact i (i >= 0). About 40% work at a company:
// companyIndex is then in [0, companies) and is -1 otherwise or when
// companies is 0. in.CompanyID is left for the caller to map. A B2B
// contact's email is at its company's domain, so changing companies
// changes the address, never its uniqueness.
func (g *Generator) Contact(i int, companies int) (in crm.ContactInput, companyIndex int) {
	rec := g.record(i, companies)
	emails := []string{rec.email}
	if rec.personal != "" {
		emails = append(emails, rec.personal)
	}
	in = crm.ContactInput{
		FirstName:  ptr(rec.first.native),
		LastName:   ptr(rec.last.native),
		Email:      ptr(rec.email),
		Emails:     &emails,
		Title:      opt(rec.title),
		Street:     opt(rec.street),
		City:       ptr(rec.city.name),
		Region:     ptr(rec.city.region),
		PostalCode: opt(rec.postal),
		Country:    ptr(rec.country.code),
		BirthDate:  opt(rec.birthDate),
		Language:   ptr(locales[rec.locale]),
		Stage:      ptr(rec.stage),
		Source:     ptr(rec.source),
		Tags:       &rec.tags,
	}
	if rec.phone != "" {
		in.Phone = ptr(rec.phone)
		in.Phones = &[]string{rec.phone}
	}
	return in, rec.company
}

func ptr[T any](v T) *T { return &v }

// opt leaves a field unset rather than set to "" when the contact has no value.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (g *Generator) record(i int, companies int) record {
	rec := record{person: g.person(i), company: -1}
	r := &rec.r
	local := g.localPart(i, rec.base)
	domains := personalDomains[rec.locale]
	rec.email = local + "@" + domains[r.intn(len(domains))]
	if r.chance(0.88) {
		rec.phone = mobile(r, rec.country.code, rec.city)
	}
	if !rec.birth.IsZero() {
		rec.birthDate = rec.birth.Format(time.DateOnly)
	}
	if r.chance(0.5) {
		rec.street = street(r, rec.country.code)
		rec.postal = postalCode(r, rec.country.code, rec.city)
	}
	if rec.b2b && companies > 0 {
		// Work address first, as a B2B contact is reached at work; the
		// personal one is kept for about half of them.
		rec.company = g.pickCompany(r, rec.locale, companies)
		c := g.companyName(rec.company)
		rec.companyName, rec.companyDomain = c.name, c.domain
		if r.chance(0.5) {
			rec.personal = rec.email
		}
		rec.email = local + "@" + c.domain
		rec.title = pick(r, jobTitles[rec.locale])
	}
	rec.tags = contactTags(r, &rec)
	return rec
}

// pickCompany chooses a company of the contact's own locale when there is
// one (company j's locale is companyLocale(j)), so Japanese staff work at
// Japanese firms.
func (g *Generator) pickCompany(r *rng, locale, companies int) int {
	blocks := (companies + 9) / 10
	for range 4 {
		j := r.intn(blocks)*10 + pick(r, companyResidues[locale])
		if j < companies {
			return j
		}
	}
	return r.intn(companies)
}

// contactTags draws from a small vocabulary with rules that make tag
// filters in the demo return believable groups.
func contactTags(r *rng, rec *record) []string {
	tags := make([]string, 0, 4)
	add := func(p float64, tag string) {
		if r.chance(p) {
			tags = append(tags, tag)
		}
	}
	if rec.company >= 0 {
		add(0.85, "b2b")
		add(0.25, "wholesale")
	}
	switch rec.stage {
	case "subscriber":
		add(0.7, "newsletter")
	case "lead", "opportunity":
		add(0.25, "trial")
		add(0.3, "newsletter")
	case "customer":
		add(0.1, "vip")
		add(0.1, "high-value")
		add(0.08, "churn-risk")
		add(0.3, "newsletter")
	case "loyal":
		add(0.5, "vip")
		add(0.2, "high-value")
		add(0.4, "newsletter")
	case "churned":
		add(0.4, "win-back")
	}
	switch rec.source {
	case "referral":
		add(0.5, "referral")
	case "event":
		add(0.5, "event")
	case "partner":
		add(0.4, "partner")
	}
	add(0.08, "webinar")
	add(0.06, "price-sensitive")
	return tags
}
