package demo

import (
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// mail is a template for an email on the timeline. to limits who receives
// it: "" anyone, "buyer" customers (current, loyal or lost), "churned" only
// lost customers — a welcome or an invoice makes no sense to a lead.
type mail struct{ subject, body, to string }

func (m mail) suits(stage string) bool {
	switch m.to {
	case "buyer":
		return stage == "customer" || stage == "loyal" || stage == "churned"
	case "churned":
		return stage == "churned"
	}
	return true
}

// langText is one language's timeline vocabulary. Templates may contain
// {name} (formal address, as in an email greeting), {short} (how staff
// refer to the contact in their own notes) and {product}.
type langText struct {
	products        []string
	notes           []string
	callSubjects    []string
	callBodies      map[string][]string // by crm.CallOutcomes
	meetingSubjects []string
	meetingBodies   []string
	emails          []mail
	taskTitles      []string
	taskBodies      []string
}

var texts = [...]*langText{&textEN, &textFA, &textJA}

var (
	kindWeights    = []int{25, 35, 15, 25} // crm.ActivityKinds order
	outcomeWeights = []int{55, 20, 15, 6, 4}
	// Activities per contact rise with engagement: a subscriber has barely
	// been touched, a loyal customer has a history.
	activityRange = map[string][2]int{
		"subscriber": {0, 2}, "lead": {0, 3}, "opportunity": {2, 5},
		"customer": {2, 6}, "loyal": {3, 6}, "churned": {1, 4},
	}
	meetingMinutes = []int{30, 30, 45, 60, 60, 90}
)

// filler substitutes a contact's names and a product into templates.
type filler struct {
	rep *strings.Replacer
}

func newFiller(r *rng, p *person) filler {
	t := texts[p.locale]
	var formal, short string
	switch p.locale {
	case localeFA:
		title := "آقای "
		if p.female {
			title = "خانم "
		}
		formal, short = title+p.last.native, title+p.last.native
	case localeJA:
		formal, short = p.last.native+"様", p.last.native+"さん"
	default:
		formal, short = p.first.native, p.first.native
	}
	return filler{strings.NewReplacer("{name}", formal, "{short}", short, "{product}", pick(r, t.products))}
}

func (f filler) fill(s string) string { return f.rep.Replace(s) }

// Activities returns contact i's timeline: 0–6 notes, calls, meetings and
// emails in the contact's language over the two years before now, oldest
// first, at working hours in the contact's city. ContactID is left nil.
func (g *Generator) Activities(contactIndex int, now time.Time) []crm.ActivityInput {
	p := g.person(contactIndex)
	r := newRNG(g.seed, contactIndex, streamActivity)
	span := activityRange[p.stage]
	n := r.between(span[0], span[1])
	if n == 0 {
		return nil
	}
	t := texts[p.locale]
	f := newFiller(&r, &p)
	// Lost customers went quiet: their history ends at least half a year ago.
	newest := 1
	if p.stage == "churned" {
		newest = 180
	}
	times := make([]time.Time, n)
	for k := range times {
		times[k] = workingTime(&r, now, r.between(newest, 730), p.country.code, p.city.tz)
	}
	slices.SortFunc(times, time.Time.Compare)
	out := make([]crm.ActivityInput, n)
	for k := range out {
		a := crm.ActivityInput{OccurredAt: &times[k]}
		kind := crm.ActivityKinds[r.weighted(kindWeights)]
		a.Kind = ptr(kind)
		switch kind {
		case "note":
			a.Body = ptr(f.fill(pick(&r, t.notes)))
		case "call":
			outcome := crm.CallOutcomes[r.weighted(outcomeWeights)]
			a.Outcome = ptr(outcome)
			a.Subject = ptr(f.fill(pick(&r, t.callSubjects)))
			a.Body = ptr(f.fill(pick(&r, t.callBodies[outcome])))
			if d := callSeconds(&r, outcome); d > 0 {
				a.DurationSec = ptr(d)
			}
		case "meeting":
			a.Subject = ptr(f.fill(pick(&r, t.meetingSubjects)))
			a.Body = ptr(f.fill(pick(&r, t.meetingBodies)))
			a.DurationSec = ptr(pick(&r, meetingMinutes) * 60)
		case "email":
			m := pick(&r, t.emails)
			for !m.suits(p.stage) {
				m = pick(&r, t.emails)
			}
			a.Subject = ptr(f.fill(m.subject))
			a.Body = ptr(f.fill(m.body))
		}
		out[k] = a
	}
	return out
}

// callSeconds is how long a call with this outcome lasted: connected calls
// run from one to thirty minutes, mostly short; a voicemail under a minute.
func callSeconds(r *rng, outcome string) int {
	switch outcome {
	case "connected":
		f := r.float()
		return 60 + int(f*f*1740)
	case "voicemail":
		return r.between(15, 60)
	}
	return 0
}

// workingTime returns a moment about daysAgo days before now, never today
// and never more than max(daysAgo, 4) days back, on a working day of country cc between 09:00 and 17:55 at UTC offset tz
// minutes, in UTC.
func workingTime(r *rng, now time.Time, daysAgo int, cc string, tz int) time.Time {
	zone := time.FixedZone("", tz*60)
	d := now.In(zone).AddDate(0, 0, -daysAgo)
	// Move off a weekend towards the middle of the range, so the result
	// stays within both the two years and the past.
	step := 1
	if daysAgo < 3 {
		step = -1
	}
	for weekend(cc, d.Weekday()) {
		d = d.AddDate(0, 0, step)
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), r.between(9, 17), 5*r.intn(12), 0, 0, zone)
	return t.UTC()
}

// weekend reports whether day is a day off: Friday in Iran, Saturday and
// Sunday elsewhere.
func weekend(cc string, day time.Weekday) bool {
	if cc == "IR" {
		return day == time.Friday
	}
	return day == time.Saturday || day == time.Sunday
}

// Task states in plausible proportions: something is always overdue and
// something is due today, so the demo's task list has work in it.
const (
	taskOverdue = iota
	taskToday
	taskUpcoming
	taskDone
	taskCancelled
)

var (
	taskStateWeights = []int{25, 20, 35, 15, 5}
	taskRange        = map[string][2]int{
		"subscriber": {0, 1}, "lead": {0, 2}, "opportunity": {1, 2},
		"customer": {0, 2}, "loyal": {0, 1}, "churned": {0, 1},
	}
)

// Tasks returns 0–2 tasks about contact i, with due dates around now in
// now's location (the staff's clock). ContactID and AssigneeID are nil.
func (g *Generator) Tasks(contactIndex int, now time.Time) []crm.TaskInput {
	p := g.person(contactIndex)
	r := newRNG(g.seed, contactIndex, streamTask)
	span := taskRange[p.stage]
	n := r.between(span[0], span[1])
	if n == 0 {
		return nil
	}
	t := texts[p.locale]
	f := newFiller(&r, &p)
	out := make([]crm.TaskInput, n)
	for k := range out {
		state := r.weighted(taskStateWeights)
		in := crm.TaskInput{Title: ptr(f.fill(pick(&r, t.taskTitles)))}
		if r.chance(0.5) {
			in.Body = ptr(f.fill(pick(&r, t.taskBodies)))
		}
		var days int
		status := "open"
		switch state {
		case taskOverdue:
			days = -r.between(1, 20)
		case taskUpcoming:
			days = r.between(1, 30)
		case taskDone:
			days, status = -r.between(1, 60), "done"
		case taskCancelled:
			days, status = r.between(-30, 30), "cancelled"
		}
		d := now.AddDate(0, 0, days)
		due := time.Date(d.Year(), d.Month(), d.Day(), r.between(9, 17), 0, 0, 0, now.Location())
		in.DueAt, in.Status = &due, &status
		if status == "open" && r.chance(0.5) {
			remind := due.Add(-time.Hour)
			in.RemindAt = &remind
		}
		out[k] = in
	}
	return out
}
