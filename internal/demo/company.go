package demo

import (
	"math"

	"github.com/ecrm/ecrm/internal/crm"
)

// companyResidues spreads locales over company indexes 40/30/30 by j%10, so
// a contact can find a company of its own locale without a lookup table.
var (
	companyResidues = [...][]int{{0, 3, 6, 9}, {1, 4, 7}, {2, 5, 8}}
	companyLocales  = [10]int{localeEN, localeFA, localeJA, localeEN, localeFA, localeJA, localeEN, localeFA, localeJA, localeEN}
	// Where each locale's companies are registered.
	companyCountries = [...]struct {
		countries []*country
		weights   []int
	}{
		{[]*country{countryUS, countryGB, countryCA, countryAU, countryDE}, []int{60, 25, 5, 5, 5}},
		{[]*country{countryIR}, []int{1}},
		{[]*country{countryJP}, []int{1}},
	}
	companyDomainSuffix = [...]string{".example.com", ".ir.example.com", ".example.jp"}
	legalForms          = map[string][]string{
		"US": {"Inc.", "LLC", "Inc.", "Corp."},
		"GB": {"Ltd", "Ltd", "PLC"},
		"CA": {"Inc.", "Ltd."},
		"AU": {"Pty Ltd"},
		"DE": {"GmbH", "GmbH", "AG"},
	}
)

// companyCore is the part of a company that contacts need too.
type companyCore struct {
	locale                 int
	name, domain, industry string
	country                *country
	city                   *city
	r                      rng // positioned after the core's draws
}

// companyName names company j. Each locale's (prefix, word) pairs are
// visited in a seed-dependent permutation, and only after all are used does
// a name repeat with a number, so names and domains never collide.
func (g *Generator) companyName(j int) companyCore {
	c := companyCore{locale: companyLocales[j%10], r: newRNG(g.seed, j, streamCompany)}
	res := companyResidues[c.locale]
	k := (j / 10) * len(res)
	for n, x := range res {
		if x == j%10 {
			k += n
		}
	}
	prefixes, words := companyPrefixes[c.locale], companyWords[c.locale]
	combos := len(prefixes) * len(words)
	perm := g.perm[c.locale]
	p := (k%combos*perm.step + perm.off) % combos
	round := k / combos
	pre, w := prefixes[p/len(words)], words[p%len(words)]
	c.industry = w.industry
	slug := pre.roman + "-" + w.roman
	num := ""
	if round > 0 {
		num = itoa(round + 1)
		slug += "-" + num
	}
	c.domain = slug + companyDomainSuffix[c.locale]
	r := &c.r
	cc := companyCountries[c.locale]
	c.country = cc.countries[r.weighted(cc.weights)]
	c.city = c.country.city(r)
	switch c.locale {
	case localeFA:
		c.name = w.native + " " + pre.native
		if num != "" {
			c.name += " " + persianDigits(num)
		}
	case localeJA:
		base := pre.native + w.native + num
		switch r.intn(10) {
		case 0, 1, 2, 3:
			c.name = "株式会社" + base
		case 4:
			c.name = "有限会社" + base
		default:
			c.name = base + "株式会社"
		}
	default:
		c.name = pre.native + " " + w.native
		if num != "" {
			c.name += " " + num
		}
		c.name += " " + pick(r, legalForms[c.country.code])
	}
	return c
}

// Company returns company j (j >= 0): 40% English-speaking firms in the
// US, UK, Canada, Australia and Germany, 30% Iranian, 30% Japanese.
func (g *Generator) Company(j int) crm.CompanyInput {
	c := g.companyName(j)
	r := &c.r
	ctry, ct := c.country, c.city
	// Log-uniform from 2 to 5,000 employees: most firms are small.
	size := int(math.Exp(math.Log(2) + r.float()*(math.Log(5000)-math.Log(2))))
	in := crm.CompanyInput{
		Name:     ptr(c.name),
		Domain:   ptr(c.domain),
		Industry: ptr(c.industry),
		Size:     ptr(size),
		City:     ptr(ct.name),
		Region:   ptr(ct.region),
		Country:  ptr(ctry.code),
	}
	if r.chance(0.9) {
		in.Phone = ptr(landline(r, ctry.code, ct))
	}
	if r.chance(0.8) {
		in.Street = ptr(street(r, ctry.code))
	}
	tags := make([]string, 0, 3)
	switch {
	case size >= 500:
		tags = append(tags, "enterprise")
	case size < 50:
		tags = append(tags, "smb")
	}
	for _, t := range []struct {
		p   float64
		tag string
	}{{0.2, "wholesale"}, {0.15, "partner"}, {0.1, "key-account"}, {0.05, "vip"}} {
		if r.chance(t.p) {
			tags = append(tags, t.tag)
		}
	}
	in.Tags = &tags
	return in
}
