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

// Operator helpers. Each returns a condition on expr; NULL expr values
// never match (except under is_empty).

func cmpOp(op string) string {
	switch op {
	case OpEq:
		return "="
	case OpNeq:
		return "<>"
	case OpGt:
		return ">"
	case OpGte:
		return ">="
	case OpLt:
		return "<"
	case OpLte:
		return "<="
	}
	return "="
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.ToLower(s))
}

// textCond compares text case-insensitively; "" is no value.
func (c *compiler) textCond(expr, op string, v pv) string {
	switch op {
	case OpEq, OpNeq:
		return "lower(" + expr + ") " + cmpOp(op) + " " + c.arg(strings.ToLower(v.one.(string)))
	case OpContains:
		return "lower(" + expr + ") LIKE " + c.arg("%"+likeEscape(v.one.(string))+"%") + ` ESCAPE '\'`
	case OpNotContains:
		return "lower(" + expr + ") NOT LIKE " + c.arg("%"+likeEscape(v.one.(string))+"%") + ` ESCAPE '\'`
	case OpStartsWith:
		return "lower(" + expr + ") LIKE " + c.arg(likeEscape(v.one.(string))+"%") + ` ESCAPE '\'`
	case OpIn, OpNotIn:
		low := make([]any, len(v.list))
		for i, x := range v.list {
			low[i] = strings.ToLower(x.(string))
		}
		not := ""
		if op == OpNotIn {
			not = "NOT "
		}
		return "lower(" + expr + ") " + not + "IN (" + c.list(low) + ")"
	case OpIsEmpty:
		return "(" + expr + " IS NULL OR " + expr + " = '')"
	case OpIsNotEmpty:
		return "(" + expr + " IS NOT NULL AND " + expr + " <> '')"
	}
	return "FALSE"
}

// enumCond compares exactly; emptyIsNone treats ” as no value.
func (c *compiler) enumCond(expr, op string, v pv, emptyIsNone bool) string {
	switch op {
	case OpEq, OpNeq:
		return expr + " " + cmpOp(op) + " " + c.arg(v.one)
	case OpIn:
		return expr + " IN (" + c.list(v.list) + ")"
	case OpNotIn:
		return expr + " NOT IN (" + c.list(v.list) + ")"
	case OpIsEmpty:
		return "(" + expr + " IS NULL OR " + expr + " = '')"
	case OpIsNotEmpty:
		return "(" + expr + " IS NOT NULL AND " + expr + " <> '')"
	}
	return "FALSE"
}

func (c *compiler) refCond(expr, op string, v pv) string {
	switch op {
	case OpIn:
		return expr + " IN (" + c.list(v.list) + ")"
	case OpNotIn:
		return "(" + expr + " IS NULL OR " + expr + " NOT IN (" + c.list(v.list) + "))"
	case OpIsEmpty:
		return expr + " IS NULL"
	case OpIsNotEmpty:
		return expr + " IS NOT NULL"
	}
	return "FALSE"
}

func (c *compiler) numCond(expr, op string, v pv) string {
	switch op {
	case OpEq, OpNeq, OpGt, OpGte, OpLt, OpLte:
		return expr + " " + cmpOp(op) + " " + c.arg(v.one)
	case OpBetween:
		return expr + " BETWEEN " + c.arg(v.list[0]) + " AND " + c.arg(v.list[1])
	case OpIsEmpty:
		return expr + " IS NULL"
	case OpIsNotEmpty:
		return expr + " IS NOT NULL"
	}
	return "FALSE"
}

// timeCond compares a unix-ms column with days (UTC).
func (c *compiler) timeCond(expr, op string, v pv) string {
	switch op {
	case OpBefore:
		return expr + " < " + c.arg(dayStart(v.one.(string)))
	case OpAfter:
		return expr + " >= " + c.arg(dayStart(v.one.(string))+day)
	case OpOn:
		d := dayStart(v.one.(string))
		return "(" + expr + " >= " + c.arg(d) + " AND " + expr + " < " + c.arg(d+day) + ")"
	case OpBetween:
		return "(" + expr + " >= " + c.arg(dayStart(v.list[0].(string))) + " AND " + expr + " < " + c.arg(dayStart(v.list[1].(string))+day) + ")"
	case OpMoreThanDaysAgo:
		return expr + " < " + c.arg(c.now-asInt(v.one)*day)
	case OpLessThanDaysAgo:
		return expr + " > " + c.arg(c.now-asInt(v.one)*day)
	case OpIsEmpty:
		return expr + " IS NULL"
	case OpIsNotEmpty:
		return expr + " IS NOT NULL"
	}
	return "FALSE"
}

// textDateCond compares a YYYY-MM-DD text column (” is no value).
func (c *compiler) textDateCond(expr, op string, v pv) string {
	ago := func(n int64) string { return c.env.Now.UTC().AddDate(0, 0, -int(n)).Format("2006-01-02") }
	set := "(" + expr + " IS NOT NULL AND " + expr + " <> '')"
	switch op {
	case OpBefore:
		return "(" + set + " AND " + expr + " < " + c.arg(v.one) + ")"
	case OpAfter:
		return expr + " > " + c.arg(v.one)
	case OpOn:
		return expr + " = " + c.arg(v.one)
	case OpBetween:
		return expr + " BETWEEN " + c.arg(v.list[0]) + " AND " + c.arg(v.list[1])
	case OpMoreThanDaysAgo:
		return "(" + set + " AND " + expr + " < " + c.arg(ago(asInt(v.one))) + ")"
	case OpLessThanDaysAgo:
		return expr + " > " + c.arg(ago(asInt(v.one)))
	case OpIsEmpty:
		return "(" + expr + " IS NULL OR " + expr + " = '')"
	case OpIsNotEmpty:
		return set
	}
	return "FALSE"
}

// ageCond turns an age in whole years into birth-date bounds: age >= n
// exactly when the birth date is on or before today n years ago.
func (c *compiler) ageCond(op string, v pv) string {
	today := c.env.Now.UTC()
	born := func(n int64) string { return today.AddDate(-int(n), 0, 0).Format("2006-01-02") }
	set := "c.birth_date <> ''"
	atLeast := func(n int64) string { return "c.birth_date <= " + c.arg(born(n)) }
	under := func(n int64) string { return "c.birth_date > " + c.arg(born(n)) }
	switch op {
	case OpGte:
		return "(" + set + " AND " + atLeast(asInt(v.one)) + ")"
	case OpGt:
		return "(" + set + " AND " + atLeast(asInt(v.one)+1) + ")"
	case OpLt:
		return "(" + set + " AND " + under(asInt(v.one)) + ")"
	case OpLte:
		return "(" + set + " AND " + under(asInt(v.one)+1) + ")"
	case OpEq:
		n := asInt(v.one)
		return "(" + set + " AND " + atLeast(n) + " AND " + under(n+1) + ")"
	case OpNeq:
		n := asInt(v.one)
		return "(" + set + " AND NOT (" + atLeast(n) + " AND " + under(n+1) + "))"
	case OpBetween:
		return "(" + set + " AND " + atLeast(asInt(v.list[0])) + " AND " + under(asInt(v.list[1])+1) + ")"
	case OpIsEmpty:
		return "c.birth_date = ''"
	case OpIsNotEmpty:
		return set
	}
	return "FALSE"
}

// daysSinceCond compares the whole days since a unix-ms column:
// days >= n exactly when the column is at most now - n days.
func (c *compiler) daysSinceCond(expr, op string, v pv) string {
	atLeast := func(n int64) string { return expr + " <= " + c.arg(c.now-n*day) }
	under := func(n int64) string { return expr + " > " + c.arg(c.now-n*day) }
	switch op {
	case OpGte:
		return atLeast(asInt(v.one))
	case OpGt:
		return atLeast(asInt(v.one) + 1)
	case OpLt:
		return under(asInt(v.one))
	case OpLte:
		return under(asInt(v.one) + 1)
	case OpEq:
		n := asInt(v.one)
		return "(" + atLeast(n) + " AND " + under(n+1) + ")"
	case OpNeq:
		n := asInt(v.one)
		return "(" + expr + " IS NOT NULL AND NOT (" + atLeast(n) + " AND " + under(n+1) + "))"
	case OpBetween:
		return "(" + atLeast(asInt(v.list[0])) + " AND " + under(asInt(v.list[1])+1) + ")"
	case OpIsEmpty:
		return expr + " IS NULL"
	case OpIsNotEmpty:
		return expr + " IS NOT NULL"
	}
	return "FALSE"
}

func (c *compiler) tagsCond(id, sub, tagCol, op string, v pv) string {
	low := make([]any, len(v.list))
	for i, x := range v.list {
		low[i] = strings.ToLower(strings.TrimSpace(x.(string)))
	}
	switch op {
	case OpHasAny:
		return id + " IN (" + sub + tagCol + " IN (" + c.list(low) + "))"
	case OpHasNone:
		return id + " NOT IN (" + sub + tagCol + " IN (" + c.list(low) + "))"
	case OpHasAll:
		col := strings.Fields(sub)[1]
		return id + " IN (" + sub + tagCol + " IN (" + c.list(low) + ") GROUP BY " + col + " HAVING COUNT(*) = " + c.arg(int64(len(dedupe(low)))) + ")"
	case OpIsEmpty:
		return id + " NOT IN (" + strings.TrimSuffix(sub, " WHERE ") + ")"
	case OpIsNotEmpty:
		return id + " IN (" + strings.TrimSuffix(sub, " WHERE ") + ")"
	}
	return "FALSE"
}

func dedupe(xs []any) []any {
	seen := map[any]bool{}
	var out []any
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// factsNum handles orders and total spent, which are 0 for a contact
// without a customer_facts row: when the condition holds for 0, the
// contacts are those without a row that fails it.
func (c *compiler) factsNum(col, op string, v pv) string {
	if holdsForZero(op, v) {
		return c.keyed(true, "customer_facts f", "NOT ("+c.numCond("f."+col, op, v)+")")
	}
	return c.keyed(false, "customer_facts f", c.numCond("f."+col, op, v))
}

func holdsForZero(op string, v pv) bool {
	switch op {
	case OpEq:
		return asFloat(v.one) == 0
	case OpNeq:
		return asFloat(v.one) != 0
	case OpGt:
		return 0 > asFloat(v.one)
	case OpGte:
		return 0 >= asFloat(v.one)
	case OpLt:
		return 0 < asFloat(v.one)
	case OpLte:
		return 0 <= asFloat(v.one)
	case OpBetween:
		return asFloat(v.list[0]) <= 0 && 0 <= asFloat(v.list[1])
	}
	return false
}

// factsNullable: a contact without a facts row has no first/last order.
func (c *compiler) factsNullable(col, op, cond string) string {
	if op == OpIsEmpty {
		return c.keyed(true, "customer_facts f", col+" IS NOT NULL")
	}
	return c.keyed(false, "customer_facts f", cond)
}

// window adds the time window conditions of a counted predicate on expr.
func (c *compiler) window(p Predicate, expr string) []string {
	var w []string
	if p.WithinDays != nil {
		w = append(w, expr+" >= "+c.arg(c.now-int64(*p.WithinDays)*day))
	}
	if p.Since != "" {
		w = append(w, expr+" >= "+c.arg(dayStart(p.Since)))
	}
	if p.Until != "" {
		w = append(w, expr+" < "+c.arg(dayStart(p.Until)+day))
	}
	return w
}

// counted wraps a per-contact grouped subquery in the count operator:
// fewer than n is "not at least n", which includes contacts with none.
// sub ends with its GROUP BY; a count of one needs no grouping (any row
// will do), so that form drops it.
func (c *compiler) counted(op string, v pv, sub, count string) string {
	n := asInt(v.one)
	plain := sub[:strings.LastIndex(sub, " GROUP BY ")]
	switch op {
	case OpAtLeast:
		if n <= 0 {
			return "TRUE"
		}
		if n == 1 && count == "COUNT(*)" {
			return "c.id IN (" + plain + ")"
		}
		return "c.id IN (" + sub + " HAVING " + count + " >= " + c.arg(n) + ")"
	case OpFewerThan:
		if n <= 0 {
			return "FALSE"
		}
		if n == 1 && count == "COUNT(*)" {
			return "c.id NOT IN (" + plain + ")"
		}
		return "c.id NOT IN (" + sub + " HAVING " + count + " >= " + c.arg(n) + ")"
	case OpExactly:
		if n == 0 {
			return "c.id NOT IN (" + plain + ")"
		}
		return "c.id IN (" + sub + " HAVING " + count + " = " + c.arg(n) + ")"
	}
	return "FALSE"
}

func (c *compiler) bought(p Predicate, v pv) string {
	where := []string{"o.contact_id IS NOT NULL", "o.status IN " + purchased}
	where = append(where, c.window(p, "o.placed_at")...)
	if len(p.SKUs) > 0 {
		where = append(where, "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.sku IN ("+c.list(strs(p.SKUs))+"))")
	}
	if len(p.Categories) > 0 {
		where = append(where, "EXISTS (SELECT 1 FROM order_lines l JOIN products pr ON pr.id = l.product_id WHERE l.order_id = o.id AND pr.category IN ("+c.list(strs(p.Categories))+"))")
	}
	sub := "SELECT o.contact_id FROM orders o WHERE " + strings.Join(where, " AND ") + " GROUP BY o.contact_id"
	return c.counted(p.Op, v, sub, "COUNT(*)")
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (c *compiler) events(p Predicate, s sqlSpec, v pv) string {
	where := []string{"v.contact_id IS NOT NULL"}
	count := "COUNT(*)"
	if s.kind == kSessions {
		where = append(where, "e.session_id <> ''")
		count = "COUNT(DISTINCT e.session_id)"
	} else {
		where = append(where, "e.name = "+c.arg(s.event))
	}
	where = append(where, c.window(p, "e.occurred_at")...)
	if p.SinceLastOrder {
		where = append(where, "e.occurred_at > COALESCE((SELECT f.last_order_at FROM customer_facts f WHERE f.contact_id = v.contact_id), 0)")
	}
	if len(p.SKUs) > 0 {
		where = append(where, "e.product_sku IN ("+c.list(strs(p.SKUs))+")")
	}
	if len(p.Categories) > 0 {
		where = append(where, "e.product_sku IN (SELECT pr.sku FROM products pr WHERE pr.category IN ("+c.list(strs(p.Categories))+"))")
	}
	if p.URL != "" {
		where = append(where, "lower(e.url) LIKE "+c.arg("%"+likeEscape(p.URL)+"%")+` ESCAPE '\'`)
	}
	sub := "SELECT v.contact_id FROM events e JOIN visitors v ON v.id = e.visitor_id WHERE " + strings.Join(where, " AND ") + " GROUP BY v.contact_id"
	return c.counted(p.Op, v, sub, count)
}

// cartAbandoned: an add-to-cart in the window with no order placed by the
// contact at or after it.
func (c *compiler) cartAbandoned(p Predicate) string {
	where := []string{"v.contact_id IS NOT NULL", "e.name = 'add_to_cart'"}
	where = append(where, c.window(p, "e.occurred_at")...)
	where = append(where, "NOT EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = v.contact_id AND o.placed_at >= e.occurred_at)")
	sub := "SELECT v.contact_id FROM events e JOIN visitors v ON v.id = e.visitor_id WHERE " + strings.Join(where, " AND ")
	if p.Op == OpIsFalse {
		return "c.id NOT IN (" + sub + ")"
	}
	return "c.id IN (" + sub + ")"
}

func (c *compiler) forms(p Predicate, v pv) string {
	where := []string{"fs.contact_id IS NOT NULL"}
	where = append(where, c.window(p, "fs.created_at")...)
	if len(p.Forms) > 0 {
		ids := make([]any, len(p.Forms))
		for i, id := range p.Forms {
			ids[i] = id
		}
		where = append(where, "fs.form_id IN ("+c.list(ids)+")")
	}
	sub := "SELECT fs.contact_id FROM form_submissions fs WHERE " + strings.Join(where, " AND ") + " GROUP BY fs.contact_id"
	return c.counted(p.Op, v, sub, "COUNT(*)")
}

// latestResponse selects, per contact, the newest scored response to
// surveys of the kind (or to one survey).
func (c *compiler) latestResponse(kind string, survey *int64) string {
	k := c.arg(kind)
	filter := "sv.kind = " + k
	filter2 := "sv2.kind = " + k
	if survey != nil {
		a := c.arg(*survey)
		filter += " AND r.survey_id = " + a
		filter2 += " AND r2.survey_id = " + a
	}
	return "SELECT r.contact_id FROM survey_responses r JOIN surveys sv ON sv.id = r.survey_id WHERE r.contact_id IS NOT NULL AND r.score IS NOT NULL AND " + filter +
		" AND NOT EXISTS (SELECT 1 FROM survey_responses r2 JOIN surveys sv2 ON sv2.id = r2.survey_id WHERE r2.contact_id = r.contact_id AND r2.score IS NOT NULL AND " + filter2 +
		" AND (r2.updated_at > r.updated_at OR (r2.updated_at = r.updated_at AND r2.id > r.id)))"
}

func npsRange(group string) string {
	switch group {
	case "promoter":
		return "r.score >= 9"
	case "passive":
		return "(r.score BETWEEN 7 AND 8)"
	}
	return "r.score <= 6"
}

func (c *compiler) survey(p Predicate, s sqlSpec, v pv) string {
	if s.kind == kNPSGroup {
		var groups []any
		if v.one != nil {
			groups = []any{v.one}
		} else {
			groups = v.list
		}
		var ors []string
		for _, g := range groups {
			ors = append(ors, npsRange(g.(string)))
		}
		cond := "(" + strings.Join(ors, " OR ") + ")"
		if p.Op == OpNeq || p.Op == OpNotIn {
			cond = "NOT " + cond
		}
		return "c.id IN (" + c.latestResponse("nps", p.SurveyID) + " AND " + cond + ")"
	}
	sub := c.latestResponse(s.event, p.SurveyID)
	return "c.id IN (" + sub + " AND " + c.numCond("r.score", p.Op, v) + ")"
}

func (c *compiler) surveyResponded(p Predicate, v pv) string {
	where := []string{"r.contact_id IS NOT NULL"}
	where = append(where, c.window(p, "r.created_at")...)
	if p.SurveyID != nil {
		where = append(where, "r.survey_id = "+c.arg(*p.SurveyID))
	}
	sub := "SELECT r.contact_id FROM survey_responses r WHERE " + strings.Join(where, " AND ") + " GROUP BY r.contact_id"
	return c.counted(p.Op, v, sub, "COUNT(*)")
}

// consent derives a topic's state from its newest ledger entry (highest
// at, then id), as the consent store does: granted when that entry grants
// and has not expired.
func (c *compiler) consent(p Predicate) string {
	pu, ch := c.arg(p.Purpose), c.arg(p.Channel)
	newest := "k.purpose = " + pu + " AND k.channel = " + ch +
		" AND NOT EXISTS (SELECT 1 FROM consents k2 WHERE k2.contact_id = k.contact_id AND k2.purpose = k.purpose AND k2.channel = k.channel" +
		" AND (k2.at > k.at OR (k2.at = k.at AND k2.id > k.id)))"
	if c.probe && p.Op != OpNeverAsked {
		// One candidate at a time: read its newest entry of the topic
		// (an index seek) rather than test every entry for being newest.
		newestOf := func(expr string) string {
			return "(SELECT " + expr + " FROM consents k WHERE k.contact_id = c.id AND k.purpose = " + pu + " AND k.channel = " + ch +
				" ORDER BY k.at DESC, k.id DESC LIMIT 1)"
		}
		switch p.Op {
		case OpGranted, OpNotGranted:
			granted := newestOf("CASE WHEN k.status = 'granted' AND (k.expires_at IS NULL OR k.expires_at > " + c.arg(c.now) + ") THEN 1 ELSE 0 END")
			if p.Op == OpNotGranted {
				return "COALESCE(" + granted + ", 0) = 0"
			}
			return granted + " = 1"
		case OpWithdrawn:
			return newestOf("k.status") + " = 'withdrawn'"
		}
	}
	switch p.Op {
	case OpGranted, OpNotGranted:
		cond := newest + " AND k.status = 'granted' AND (k.expires_at IS NULL OR k.expires_at > " + c.arg(c.now) + ")"
		return c.keyed(p.Op == OpNotGranted, "consents k", cond)
	case OpWithdrawn:
		return c.keyed(false, "consents k", newest+" AND k.status = 'withdrawn'")
	case OpNeverAsked:
		return c.keyed(true, "consents k", "k.purpose = "+pu+" AND k.channel = "+ch)
	}
	return "FALSE"
}

func (c *compiler) rfmCell(op string, v pv) string {
	cell := "(s.r_score * 100 + s.f_score * 10 + s.m_score)"
	toInt := func(x any) any { n, _ := strconv.ParseInt(x.(string), 10, 64); return n }
	var inner string
	switch op {
	case OpEq, OpNeq:
		inner = cell + " " + cmpOp(op) + " " + c.arg(toInt(v.one))
	case OpIn, OpNotIn:
		ns := make([]any, len(v.list))
		for i, x := range v.list {
			ns[i] = toInt(x)
		}
		not := ""
		if op == OpNotIn {
			not = "NOT "
		}
		inner = cell + " " + not + "IN (" + c.list(ns) + ")"
	default:
		inner = "FALSE"
	}
	return c.keyed(false, "contact_scores s", inner)
}

// segment inlines a dynamic segment's definition (always current, even
// before its refresh) and reads a static list's members.
func (c *compiler) segment(p Predicate, v pv) (string, error) {
	id := asInt(v.one)
	if c.env.Resolve == nil {
		return "", fmt.Errorf("segment: no resolver for segment %d", id)
	}
	ref, err := c.env.Resolve(id)
	if err != nil {
		return "", err
	}
	var cond string
	if ref.Static || ref.Definition == nil {
		cond = "c.id IN (SELECT sm.contact_id FROM segment_members sm WHERE sm.segment_id = " + c.arg(id) + ")"
	} else {
		if cond, err = c.definition(ref.Definition); err != nil {
			return "", err
		}
	}
	if p.Op == OpNotInSegment {
		return "NOT COALESCE(" + cond + ", FALSE)", nil
	}
	return cond, nil
}

// custom reads a contact custom field out of the JSON text column; the
// key is an argument too.
func (c *compiler) custom(s sqlSpec, f Field, op string, v pv) string {
	var text, num, boolean string
	key := s.col
	if c.env.Engine == Postgres {
		k := "CAST(" + c.arg(key) + " AS TEXT)"
		text = "COALESCE(c.custom::jsonb ->> " + k + ", '')"
		num = "(CASE WHEN jsonb_typeof(c.custom::jsonb -> " + k + ") = 'number' THEN (c.custom::jsonb ->> " + k + ")::numeric END)"
		boolean = "(c.custom::jsonb -> " + k + ") = 'true'::jsonb"
	} else {
		k := c.arg(`$."` + strings.ReplaceAll(key, `"`, ``) + `"`)
		text = "COALESCE(CAST(json_extract(c.custom, " + k + ") AS TEXT), '')"
		num = "(CASE WHEN json_type(c.custom, " + k + ") IN ('integer', 'real') THEN json_extract(c.custom, " + k + ") END)"
		boolean = "json_type(c.custom, " + k + ") = 'true'"
	}
	switch f.Type {
	case TypeText:
		return c.textCond(text, op, v)
	case TypeEnum:
		return c.enumCond(text, op, v, true)
	case TypeDate:
		return c.textDateCond(text, op, v)
	case TypeNumber:
		return c.numCond(num, op, v)
	case TypeBool:
		if op == OpIsFalse {
			return "NOT (" + boolean + ")"
		}
		return boolean
	case TypeTags:
		return c.customTags(key, op, v)
	}
	return "FALSE"
}

func (c *compiler) customTags(key, op string, v pv) string {
	var elems string
	if c.env.Engine == Postgres {
		k := "CAST(" + c.arg(key) + " AS TEXT)"
		elems = "SELECT x.value FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(c.custom::jsonb -> " + k + ") = 'array' THEN c.custom::jsonb -> " + k + " ELSE '[]'::jsonb END) AS x(value)"
	} else {
		k := c.arg(`$."` + strings.ReplaceAll(key, `"`, ``) + `"`)
		elems = "SELECT x.value FROM json_each(CASE WHEN json_type(c.custom, " + k + ") = 'array' THEN json_extract(c.custom, " + k + ") ELSE '[]' END) AS x"
	}
	switch op {
	case OpHasAny:
		return "EXISTS (" + elems + " WHERE x.value IN (" + c.list(v.list) + "))"
	case OpHasNone:
		return "NOT EXISTS (" + elems + " WHERE x.value IN (" + c.list(v.list) + "))"
	case OpHasAll:
		var parts []string
		for _, x := range dedupe(v.list) {
			parts = append(parts, "EXISTS ("+elems+" WHERE x.value = "+c.arg(x)+")")
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	case OpIsEmpty:
		return "NOT EXISTS (" + elems + ")"
	case OpIsNotEmpty:
		return "EXISTS (" + elems + ")"
	}
	return "FALSE"
}
