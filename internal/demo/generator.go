// Package demo generates realistic, deterministic CRM data: contacts in
// English, Persian and Japanese with consistent addresses and valid
// phones, companies, activities and tasks. Record i depends only on the
// seed and i, so a million records can be generated in parallel and the
// demo database looks the same on every machine.
package demo

import "time"

// uniqueWindow is how many leading contact indexes may keep a plain email
// such as sara.ahmadi@…: New checks them for collisions once. Beyond it
// every address carries its index, which keeps them unique without any
// shared state. 16384 covers the 2,000-contact demo with room to spare.
const uniqueWindow = 1 << 14

// refDate anchors birth dates: ages are 18–80 on this day. A fixed date
// rather than time.Now keeps a record identical from one year to the next.
var refDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Generator produces records for one seed. It is safe for concurrent use:
// after New it is only read.
type Generator struct {
	seed uint64
	// taken marks indexes below uniqueWindow whose plain email local part
	// an earlier index already has; they get the index as a suffix.
	taken [uniqueWindow / 64]uint64
	// perm walks each locale's company-name combinations in a seed-dependent
	// order that never repeats, so company names and domains stay unique.
	perm [len(locales)]struct{ step, off int }
}

// New returns a generator for seed.
func New(seed uint64) *Generator {
	g := &Generator{seed: seed}
	seen := make(map[string]struct{}, uniqueWindow)
	for i := range uniqueWindow {
		p := g.person(i)
		if _, dup := seen[p.base]; dup {
			g.taken[i/64] |= 1 << (i % 64)
			continue
		}
		seen[p.base] = struct{}{}
	}
	r := newRNG(seed, 0, streamCompany^0xff)
	for l := range locales {
		n := len(companyPrefixes[l]) * len(companyWords[l])
		step := r.between(n/3, n-1)
		for gcd(step, n) != 1 {
			step++
		}
		g.perm[l].step, g.perm[l].off = step, r.intn(n)
	}
	return g
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// CompanyCount is the number of companies that goes with n contacts: with
// 40% of contacts at a company it puts about ten people at each, and it is
// what WriteContactsCSV uses for its company column.
func CompanyCount(contacts int) int {
	return max(1, contacts/25)
}

// localPart returns the unique email local part for contact i.
func (g *Generator) localPart(i int, base string) string {
	if i < uniqueWindow && g.taken[i/64]&(1<<(i%64)) == 0 {
		return base
	}
	// The final ".<index>" cannot collide: plain local parts never end in a
	// dot followed only by digits, and two suffixed ones differ in index.
	return base + "." + itoa(i)
}
