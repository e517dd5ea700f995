package store

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecrm/ecrm/internal/crm"
)

// listQuery builds the WHERE clause of a list with the where/args idiom.
// Column names only ever come from the allowlists in this file.
type listQuery struct {
	where []string
	args  []any
	d     dialect
}

func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return ph(len(q.args))
}

func (q *listQuery) add(cond string) { q.where = append(q.where, cond) }

func (q *listQuery) sql() string {
	if len(q.where) == 0 {
		return "1=1"
	}
	return joinAnd(q.where)
}

// sortSpec maps an allowlisted sort name to a column; numeric columns
// carry their cursor in Num.
type sortSpec struct {
	col     string
	numeric bool
}

func parseSort(sort string, specs map[string]sortSpec, def string) (sortSpec, bool, error) {
	desc := strings.HasPrefix(sort, "-")
	name := strings.TrimPrefix(sort, "-")
	if name == "" {
		name, desc = def, false
	}
	s, ok := specs[name]
	if !ok {
		var v crm.Validation
		v.Add("sort", "invalid_sort")
		return s, false, v.Err()
	}
	return s, desc, nil
}

// keyset adds the condition for rows after the cursor and returns the
// ORDER BY clause.
func (q *listQuery) keyset(alias string, s sortSpec, desc bool, after string) (string, error) {
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != "" {
		var c keyCursor
		if err := decodeCursor(after, &c); err != nil {
			return "", err
		}
		var key any = c.Key
		if s.numeric {
			key = c.Num
		}
		q.add("(" + s.col + ", " + alias + ".id) " + op + " (" + q.arg(key) + ", " + q.arg(c.ID) + ")")
	}
	return " ORDER BY " + s.col + " " + dir + ", " + alias + ".id " + dir, nil
}

// customFilters adds conditions on custom fields; keys must be defined.
func (q *listQuery) customFilters(alias string, fs []crm.CustomFilter, defs []*crm.CustomField) error {
	var v crm.Validation
	for _, f := range fs {
		var def *crm.CustomField
		for _, d := range defs {
			if d.Key == f.Key {
				def = d
			}
		}
		if def == nil {
			v.Add("custom."+f.Key, "unknown_field")
			continue
		}
		col := alias + ".custom"
		key := q.arg(f.Key)
		text := q.d.jsonText(col, key)
		switch {
		case def.Type == "multi_select" && (f.Op == "eq" || f.Op == "contains"):
			q.add(q.d.jsonHas(col, key, q.arg(f.Value)))
		case def.Type == "boolean" && f.Op == "eq":
			b, err := strconv.ParseBool(f.Value)
			if err != nil {
				v.Add("custom."+f.Key, "invalid_value")
				continue
			}
			if b {
				q.add("CAST(" + text + " AS TEXT) IN ('1', 'true')")
			} else {
				q.add("(" + text + " IS NULL OR CAST(" + text + " AS TEXT) IN ('0', 'false'))")
			}
		case def.Type == "number" && (f.Op == "eq" || f.Op == "gt" || f.Op == "lt"):
			n, err := strconv.ParseFloat(f.Value, 64)
			if err != nil {
				v.Add("custom."+f.Key, "invalid_value")
				continue
			}
			q.add("CAST(" + text + " AS DOUBLE PRECISION) " + map[string]string{"eq": "=", "gt": ">", "lt": "<"}[f.Op] + " " + q.arg(n))
		case f.Op == "gt" || f.Op == "lt":
			q.add(text + " " + map[string]string{"gt": ">", "lt": "<"}[f.Op] + " " + q.arg(f.Value))
		case f.Op == "contains":
			q.add("LOWER(" + text + ") LIKE " + q.arg("%"+escapeLike(strings.ToLower(f.Value))+"%") + " ESCAPE '\\'")
		case f.Op == "eq" || f.Op == "":
			q.add(text + " = " + q.arg(f.Value))
		default:
			v.Add("custom."+f.Key, "invalid_operator")
		}
	}
	return v.Err()
}

func (q *listQuery) createdRange(col string, after, before *time.Time) {
	if after != nil {
		q.add(col + " >= " + q.arg(ms(*after)))
	}
	if before != nil {
		q.add(col + " < " + q.arg(ms(*before)))
	}
}

func joinTags(tags []string) string { return strings.Join(tags, ",") }

func splitTags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// checkQuery rejects search text that no database should see: NUL bytes
// and invalid UTF-8 make both engines fail, and long queries only cost.
func checkQuery(q string) error {
	var v crm.Validation
	switch {
	case !utf8.ValidString(q) || strings.ContainsRune(q, 0):
		v.Add("q", "invalid_utf8")
	case len(q) > 200:
		v.Add("q", "too_long", 200)
	}
	return v.Err()
}
