package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Engines the compiler writes for (store.DB.Engine()).
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

type sqlKind int

const (
	kContactCol sqlKind = iota + 1
	kContactRef
	kContactTags
	kContactTime
	kBirthDate
	kAge
	kCompanyCol
	kCompanyNum
	kCompanyTags
	kCompanyRef
	kFactsNum
	kFactsAvg
	kFactsTime
	kFactsDays
	kBought
	kEvents
	kSessions
	kCartAbandoned
	kLastVisit
	kForms
	kNPSGroup
	kSurveyScore
	kSurveyResponded
	kConsent
	kScoreCol
	kRFMCell
	kScoreTime
	kSegment
	kCustom
)

// sqlSpec is how a catalog field compiles. Column names come only from
// here, never from a definition.
type sqlSpec struct {
	kind   sqlKind
	col    string
	event  string
	custom string // custom field type
}

// Env is what compilation needs besides the definition.
type Env struct {
	Engine string    // SQLite or Postgres
	Now    time.Time // "days ago", ages and consent expiry are relative to it
	Options
}

// purchased is crm.Purchased as SQL (the statuses are constants).
const purchased = `('paid', 'shipped', 'delivered')`

const day = int64(24 * time.Hour / time.Millisecond)

type compiler struct {
	env   Env
	args  []any
	first int
	depth int
	now   int64
	// probe is set inside an AND group that has a driving predicate (a
	// set built from events, orders, forms or answers): predicates on
	// tables keyed by contact are then written as correlated EXISTS, so
	// the database looks up each candidate instead of building every set.
	probe bool
}

// keyed is the condition that contact c has (neg: has no) row in table
// (a "name alias" keyed by contact_id) meeting cond: an IN set, or a
// correlated EXISTS in probe mode. Both mean the same, since contact_id is
// never NULL in these tables.
func (c *compiler) keyed(neg bool, table, cond string) string {
	alias := table[strings.LastIndexByte(table, ' ')+1:]
	not := ""
	if neg {
		not = "NOT "
	}
	if c.probe {
		return not + "EXISTS (SELECT 1 FROM " + table + " WHERE " + alias + ".contact_id = c.id AND " + cond + ")"
	}
	return "c.id " + not + "IN (SELECT " + alias + ".contact_id FROM " + table + " WHERE " + cond + ")"
}

// drives reports whether a predicate selects a set worth driving the
// query from: a count of events, orders, submissions or answers that must
// be at least one.
func drives(p Predicate, custom []CustomField) bool {
	f, ok := Lookup(p.Field, custom)
	if !ok {
		return false
	}
	switch f.sql.kind {
	case kBought, kEvents, kSessions, kForms, kSurveyResponded:
		if p.Op == OpAtLeast || p.Op == OpExactly {
			v, err := decodeValue(p)
			return err == nil && asInt(v.one) >= 1
		}
	case kCartAbandoned:
		return p.Op == OpIsTrue
	}
	return false
}

// Compile turns a validated definition into one SQL boolean condition over
// the contacts table aliased `c`, with its arguments. Placeholders are
// numbered from first ($first, $first+1, …) so the caller can put its own
// arguments before. Every value is an argument; identifiers come only from
// the catalog.
func Compile(d *Definition, env Env, first int) (string, []any, error) {
	if env.Engine != SQLite && env.Engine != Postgres {
		return "", nil, fmt.Errorf("segment: unknown engine %q", env.Engine)
	}
	if first < 1 {
		first = 1
	}
	c := &compiler{env: env, first: first, now: env.Now.UnixMilli()}
	cond, err := c.definition(d)
	if err != nil {
		return "", nil, err
	}
	return cond, c.args, nil
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(c.first+len(c.args)-1)
}

func (c *compiler) list(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = c.arg(v)
	}
	return strings.Join(parts, ", ")
}

func (c *compiler) definition(d *Definition) (string, error) {
	if d == nil {
		return "TRUE", nil
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 20 {
		return "", errors.New("segment: references nest too deep")
	}
	return c.combine(d.Op, nil, d.Groups)
}

func (c *compiler) combine(op string, ps []Predicate, gs []Group) (string, error) {
	if op != Or && !c.probe {
		for _, p := range ps {
			if drives(p, c.env.Custom) {
				c.probe = true
				defer func() { c.probe = false }()
				break
			}
		}
	}
	var parts []string
	for _, p := range ps {
		s, err := c.predicate(p)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	for _, g := range gs {
		s, err := c.combine(g.Op, g.Predicates, g.Groups)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		// An empty group constrains nothing: TRUE under AND, and no
		// contact is chosen by "any of nothing" under OR.
		if op == Or {
			return "FALSE", nil
		}
		return "TRUE", nil
	}
	sep := " AND "
	if op == Or {
		sep = " OR "
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

// pv is a predicate's decoded value.
type pv struct {
	one  any
	list []any
}

func decodeValue(p Predicate) (pv, error) {
	var out pv
	if len(p.Value) == 0 {
		return out, nil
	}
	var raw any
	dec := json.NewDecoder(strings.NewReader(string(p.Value)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return out, err
	}
	conv := func(x any) any {
		if n, ok := x.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i
			}
			f, _ := n.Float64()
			return f
		}
		return x
	}
	if l, ok := raw.([]any); ok {
		for _, x := range l {
			out.list = append(out.list, conv(x))
		}
		return out, nil
	}
	out.one = conv(raw)
	return out, nil
}

func asInt(x any) int64 {
	switch n := x.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

func asFloat(x any) float64 {
	switch n := x.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// dayStart is the unix ms of a YYYY-MM-DD day's start (UTC).
func dayStart(s string) int64 {
	t, _ := time.Parse("2006-01-02", s)
	return t.UnixMilli()
}

func (c *compiler) predicate(p Predicate) (string, error) {
	f, ok := Lookup(p.Field, c.env.Custom)
	if !ok {
		return "", fmt.Errorf("segment: unknown field %q", p.Field)
	}
	v, err := decodeValue(p)
	if err != nil {
		return "", err
	}
	s := f.sql
	switch s.kind {
	case kContactCol:
		if f.Type == TypeEnum {
			return c.enumCond("c."+s.col, p.Op, v, true), nil
		}
		return c.textCond("c."+s.col, p.Op, v), nil
	case kContactRef:
		return c.refCond("c."+s.col, p.Op, v), nil
	case kContactTags:
		return c.tagsCond("c.id", "SELECT t.contact_id FROM contact_tags t WHERE ", "t.tag", p.Op, v), nil
	case kContactTime:
		return c.timeCond("c."+s.col, p.Op, v), nil
	case kBirthDate:
		return c.textDateCond("c.birth_date", p.Op, v), nil
	case kAge:
		return c.ageCond(p.Op, v), nil
	case kCompanyCol, kCompanyNum, kCompanyRef:
		var inner string
		switch s.kind {
		case kCompanyCol:
			inner = c.textCond("co."+s.col, p.Op, v)
		case kCompanyNum:
			inner = c.numCond("co."+s.col, p.Op, v)
		default:
			inner = c.refCond("co."+s.col, p.Op, v)
		}
		return "c.company_id IN (SELECT co.id FROM companies co WHERE " + inner + ")", nil
	case kCompanyTags:
		inner := c.tagsCond("co.id", "SELECT t.company_id FROM company_tags t WHERE ", "t.tag", p.Op, v)
		return "c.company_id IN (SELECT co.id FROM companies co WHERE " + inner + ")", nil
	case kFactsNum:
		return c.factsNum(s.col, p.Op, v), nil
	case kFactsAvg:
		if p.Op == OpIsEmpty {
			return c.keyed(true, "customer_facts f", "f.orders > 0"), nil
		}
		if p.Op == OpIsNotEmpty {
			return c.keyed(false, "customer_facts f", "f.orders > 0"), nil
		}
		return c.keyed(false, "customer_facts f", "f.orders > 0 AND "+c.numCond("(f.total_spent / f.orders)", p.Op, v)), nil
	case kFactsTime:
		return c.factsNullable("f."+s.col, p.Op, c.timeCond("f."+s.col, p.Op, v)), nil
	case kFactsDays:
		return c.factsNullable("f."+s.col, p.Op, c.daysSinceCond("f."+s.col, p.Op, v)), nil
	case kBought:
		return c.bought(p, v), nil
	case kEvents, kSessions:
		return c.events(p, s, v), nil
	case kCartAbandoned:
		return c.cartAbandoned(p), nil
	case kLastVisit:
		if p.Op == OpIsEmpty {
			return "c.id NOT IN (SELECT vi.contact_id FROM visitors vi WHERE vi.contact_id IS NOT NULL)", nil
		}
		if p.Op == OpIsNotEmpty {
			return "c.id IN (SELECT vi.contact_id FROM visitors vi WHERE vi.contact_id IS NOT NULL)", nil
		}
		return "c.id IN (SELECT vi.contact_id FROM visitors vi WHERE vi.contact_id IS NOT NULL GROUP BY vi.contact_id HAVING " +
			c.timeCond("MAX(vi.last_seen)", p.Op, v) + ")", nil
	case kForms:
		return c.forms(p, v), nil
	case kNPSGroup, kSurveyScore:
		return c.survey(p, s, v), nil
	case kSurveyResponded:
		return c.surveyResponded(p, v), nil
	case kConsent:
		return c.consent(p), nil
	case kScoreCol:
		var inner string
		switch f.Type {
		case TypeEnum:
			inner = c.enumCond("s."+s.col, p.Op, v, false)
		default:
			inner = c.numCond("s."+s.col, p.Op, v)
		}
		return c.keyed(false, "contact_scores s", inner), nil
	case kRFMCell:
		return c.rfmCell(p.Op, v), nil
	case kScoreTime:
		return c.keyed(false, "contact_scores s", c.timeCond("s."+s.col, p.Op, v)), nil
	case kSegment:
		return c.segment(p, v)
	case kCustom:
		return c.custom(s, f, p.Op, v), nil
	}
	return "", fmt.Errorf("segment: field %q cannot compile", p.Field)
}
