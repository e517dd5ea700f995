package segment

import (
	"strings"
)

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
