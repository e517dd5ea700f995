package segment

import (
	"fmt"
	"strconv"
	"strings"
)

// The predicate families that read tables beside contacts: purchase
// facts, products bought, tracked events, forms, surveys, consent,
// scores, other segments and custom fields.

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
