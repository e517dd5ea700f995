package segment

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"
	"unicode/utf8"
)

type validator struct {
	opt   Options
	errs  []FieldError
	preds int
}

func (v *validator) fail(path, key string, args ...any) {
	if len(v.errs) < 50 {
		v.errs = append(v.errs, FieldError{Path: path, Key: key, Args: args})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object checks that raw is an object with only the allowed keys.
func (v *validator) object(path string, raw any, allowed ...string) map[string]any {
	m, ok := raw.(map[string]any)
	if !ok {
		v.fail(path, ErrJSON)
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if keyRe.MatchString(k) {
				v.fail(join(path, k), ErrUnknownKey, k)
			} else {
				// A key that is no identifier is named in the message,
				// not pasted into the path.
				v.fail(path, ErrUnknownKey, truncate(k))
			}
		}
	}
	return m
}

func (v *validator) combiner(path string, m map[string]any) string {
	op, _ := m["op"].(string)
	if _, present := m["op"]; !present {
		return And
	}
	if op != And && op != Or {
		v.fail(join(path, "op"), ErrGroupOp)
	}
	return op
}

func (v *validator) root(raw any) *Definition {
	if raw == nil {
		return &Definition{Op: And}
	}
	m := v.object("", raw, "op", "groups")
	if m == nil {
		return nil
	}
	d := &Definition{Op: v.combiner("", m)}
	d.Groups = v.groups("groups", m["groups"], 1)
	if len(v.errs) == 0 {
		v.cycles(d)
	}
	return d
}

func (v *validator) groups(path string, raw any, depth int) []Group {
	if raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		v.fail(path, ErrJSON)
		return nil
	}
	if depth > MaxDepth {
		v.fail(path, ErrTooDeep, MaxDepth)
		return nil
	}
	out := make([]Group, 0, len(list))
	for i, g := range list {
		out = append(out, v.group(index(path, i), g, depth))
	}
	return out
}

func (v *validator) group(path string, raw any, depth int) Group {
	m := v.object(path, raw, "op", "predicates", "groups")
	if m == nil {
		return Group{}
	}
	g := Group{Op: v.combiner(path, m)}
	if ps := m["predicates"]; ps != nil {
		list, ok := ps.([]any)
		if !ok {
			v.fail(join(path, "predicates"), ErrJSON)
		}
		for i, p := range list {
			v.preds++
			if v.preds > MaxPredicates {
				v.fail(index(join(path, "predicates"), i), ErrTooMany, MaxPredicates)
				return g
			}
			g.Predicates = append(g.Predicates, v.predicate(index(join(path, "predicates"), i), p))
		}
	}
	g.Groups = v.groups(join(path, "groups"), m["groups"], depth+1)
	return g
}

var predicateKeys = []string{"field", "op", "value", ParamWithinDays, ParamSince, ParamUntil, ParamSinceLastOrder,
	ParamSKUs, ParamCategories, ParamURL, ParamForms, ParamSurveyID, ParamPurpose, ParamChannel}

func (v *validator) predicate(path string, raw any) Predicate {
	m := v.object(path, raw, predicateKeys...)
	if m == nil {
		return Predicate{}
	}
	var p Predicate
	key, _ := m["field"].(string)
	p.Field = key
	f, ok := Lookup(key, v.opt.Custom)
	if !ok {
		v.fail(join(path, "field"), ErrUnknownField, truncate(key))
		return p
	}
	op, _ := m["op"].(string)
	p.Op = op
	if !slices.Contains(f.Ops, op) {
		v.fail(join(path, "op"), ErrOperator, truncate(op), f.Type)
		return p
	}
	// Parameters: only those of the field, each of its type.
	for _, k := range predicateKeys[3:] {
		val, present := m[k]
		i := slices.IndexFunc(f.Params, func(p Param) bool { return p.Key == k })
		if !present || val == nil {
			if i >= 0 && f.Params[i].Required {
				v.fail(join(path, k), ErrParamMissing)
			}
			continue
		}
		if i < 0 {
			v.fail(join(path, k), ErrUnknownKey, k)
			continue
		}
		v.param(join(path, k), f.Params[i], val, &p)
	}
	if p.WithinDays != nil && (p.Since != "" || p.SinceLastOrder) {
		v.fail(join(path, ParamWithinDays), ErrParam)
	}
	if p.Since != "" && p.Until != "" && p.Since > p.Until {
		v.fail(join(path, ParamUntil), ErrParam)
	}
	val, present := m["value"]
	kind := valueKind(op)
	if kind == vNone {
		if present && val != nil {
			v.fail(join(path, "value"), ErrValue)
		}
		return p
	}
	if !present || val == nil {
		v.fail(join(path, "value"), ErrValueMissing)
		return p
	}
	if norm, ok := v.value(join(path, "value"), f, kind, val); ok {
		b, _ := json.Marshal(norm)
		p.Value = b
	}
	return p
}

type vkind int

const (
	vNone vkind = iota
	vScalar
	vList
	vRange
	vDays
	vCount
	vID
)

func valueKind(op string) vkind {
	switch op {
	case OpIsEmpty, OpIsNotEmpty, OpIsTrue, OpIsFalse, OpGranted, OpNotGranted, OpWithdrawn, OpNeverAsked:
		return vNone
	case OpIn, OpNotIn, OpHasAny, OpHasAll, OpHasNone:
		return vList
	case OpBetween:
		return vRange
	case OpMoreThanDaysAgo, OpLessThanDaysAgo:
		return vDays
	case OpAtLeast, OpFewerThan, OpExactly:
		return vCount
	case OpInSegment, OpNotInSegment:
		return vID
	}
	return vScalar
}

var keyRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func validDate(s string) bool {
	if !dateRe.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// number reads a JSON number within the field's bounds.
func number(raw any, f Field) (float64, bool) {
	var x float64
	switch n := raw.(type) {
	case json.Number:
		var err error
		if x, err = n.Float64(); err != nil {
			return 0, false
		}
	case float64:
		x = n
	default:
		return 0, false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
		return 0, false
	}
	if (f.Integer || f.Type == TypeMoney) && x != math.Trunc(x) {
		return 0, false
	}
	if f.Min != nil && x < *f.Min || f.Max != nil && x > *f.Max {
		return 0, false
	}
	return x, true
}

func integer(raw any, min, max int64) (int64, bool) {
	x, ok := number(raw, Field{Integer: true})
	if !ok || x < float64(min) || x > float64(max) {
		return 0, false
	}
	return int64(x), true
}

// scalar checks one value of the field's type and returns it normalised.
func (v *validator) scalar(f Field, raw any) (any, bool) {
	switch f.Type {
	case TypeNumber, TypeMoney:
		x, ok := number(raw, f)
		if ok && (f.Integer || f.Type == TypeMoney) {
			return int64(x), true
		}
		return x, ok
	case TypeDate:
		s, ok := raw.(string)
		return s, ok && validDate(s)
	case TypeRef:
		return integer(raw, 1, math.MaxInt64>>1)
	case TypeText, TypeTags:
		s, ok := raw.(string)
		return s, ok && s != "" && utf8.RuneCountInString(s) <= MaxText && utf8.ValidString(s)
	case TypeEnum:
		s, ok := raw.(string)
		if !ok || s == "" || utf8.RuneCountInString(s) > MaxText || !utf8.ValidString(s) {
			return nil, false
		}
		if len(f.Options) > 0 && !slices.Contains(f.Options, s) {
			return nil, false
		}
		return s, true
	}
	return nil, false
}

func (v *validator) value(path string, f Field, kind vkind, raw any) (any, bool) {
	switch kind {
	case vScalar:
		x, ok := v.scalar(f, raw)
		if !ok {
			v.fail(path, ErrValue)
		}
		return x, ok
	case vList:
		list, ok := raw.([]any)
		if !ok || len(list) == 0 || len(list) > MaxList {
			v.fail(path, ErrValue)
			return nil, false
		}
		out := make([]any, 0, len(list))
		good := true
		for i, item := range list {
			x, ok := v.scalar(f, item)
			if !ok {
				v.fail(index(path, i), ErrValue)
				good = false
				continue
			}
			out = append(out, x)
		}
		return out, good
	case vRange:
		list, ok := raw.([]any)
		if !ok || len(list) != 2 {
			v.fail(path, ErrValue)
			return nil, false
		}
		lo, ok1 := v.scalar(f, list[0])
		hi, ok2 := v.scalar(f, list[1])
		if !ok1 {
			v.fail(index(path, 0), ErrValue)
		}
		if !ok2 {
			v.fail(index(path, 1), ErrValue)
		}
		if ok1 && ok2 && less(hi, lo) {
			v.fail(path, ErrValue)
			return nil, false
		}
		return []any{lo, hi}, ok1 && ok2
	case vDays:
		n, ok := integer(raw, 0, 36500)
		if !ok {
			v.fail(path, ErrValue)
		}
		return n, ok
	case vCount:
		n, ok := integer(raw, 0, 1000000)
		if !ok {
			v.fail(path, ErrValue)
		}
		return n, ok
	case vID:
		n, ok := integer(raw, 1, math.MaxInt64>>1)
		if !ok {
			v.fail(path, ErrValue)
			return nil, false
		}
		if v.opt.Resolve == nil {
			v.fail(path, ErrUnknownSegment)
			return nil, false
		}
		if _, err := v.opt.Resolve(n); err != nil {
			v.fail(path, ErrUnknownSegment)
			return nil, false
		}
		if n == v.opt.Self && n != 0 {
			v.fail(path, ErrCycle)
			return nil, false
		}
		return n, true
	}
	return nil, false
}

func less(a, b any) bool {
	switch x := a.(type) {
	case int64:
		return x < b.(int64)
	case float64:
		return x < b.(float64)
	case string:
		return x < b.(string)
	}
	return false
}

func (v *validator) param(path string, p Param, raw any, out *Predicate) {
	bad := func() { v.fail(path, ErrParam) }
	switch p.Key {
	case ParamWithinDays:
		n, ok := integer(raw, 1, 3650)
		if !ok {
			bad()
			return
		}
		d := int(n)
		out.WithinDays = &d
	case ParamSince, ParamUntil:
		s, ok := raw.(string)
		if !ok || !validDate(s) {
			bad()
			return
		}
		if p.Key == ParamSince {
			out.Since = s
		} else {
			out.Until = s
		}
	case ParamSinceLastOrder:
		b, ok := raw.(bool)
		if !ok {
			bad()
			return
		}
		out.SinceLastOrder = b
	case ParamSKUs, ParamCategories:
		list, ok := raw.([]any)
		if !ok || len(list) > MaxList || (p.Required && len(list) == 0) {
			bad()
			return
		}
		var ss []string
		for i, item := range list {
			s, ok := item.(string)
			if !ok || s == "" || len(s) > MaxText || !utf8.ValidString(s) {
				v.fail(index(path, i), ErrParam)
				continue
			}
			ss = append(ss, s)
		}
		if p.Key == ParamSKUs {
			out.SKUs = ss
		} else {
			out.Categories = ss
		}
	case ParamURL:
		s, ok := raw.(string)
		if !ok || s == "" || utf8.RuneCountInString(s) > MaxText || !utf8.ValidString(s) {
			bad()
			return
		}
		out.URL = s
	case ParamForms:
		list, ok := raw.([]any)
		if !ok || len(list) > MaxList {
			bad()
			return
		}
		for i, item := range list {
			n, ok := integer(item, 1, math.MaxInt64>>1)
			if !ok {
				v.fail(index(path, i), ErrParam)
				continue
			}
			out.Forms = append(out.Forms, n)
		}
	case ParamSurveyID:
		n, ok := integer(raw, 1, math.MaxInt64>>1)
		if !ok {
			bad()
			return
		}
		out.SurveyID = &n
	case ParamPurpose, ParamChannel:
		s, ok := raw.(string)
		if !ok || !slices.Contains(p.Options, s) {
			bad()
			return
		}
		if p.Key == ParamPurpose {
			out.Purpose = s
		} else {
			out.Channel = s
		}
	}
}

// cycles follows membership predicates through the resolver and reports a
// reference that leads back to Self or around a loop among the others.
func (v *validator) cycles(d *Definition) {
	if v.opt.Resolve == nil {
		return
	}
	var walk func(path string, gs []Group)
	walk = func(path string, gs []Group) {
		for gi, g := range gs {
			gp := index(join(path, "groups"), gi)
			if path == "" {
				gp = index("groups", gi)
			}
			for pi, p := range g.Predicates {
				if p.Field != FieldSegment || p.Value == nil {
					continue
				}
				var id int64
				if json.Unmarshal(p.Value, &id) != nil {
					continue
				}
				seen := map[int64]bool{}
				if v.opt.Self != 0 {
					seen[v.opt.Self] = true
				}
				if reaches(id, seen, v.opt.Resolve, 0) {
					v.fail(index(join(gp, "predicates"), pi)+".value", ErrCycle)
				}
			}
			walk(gp, g.Groups)
		}
	}
	walk("", d.Groups)
}

// reaches reports whether following id's references arrives at a segment
// in seen (a cycle), or goes deeper than any sane chain.
func reaches(id int64, seen map[int64]bool, resolve Resolver, depth int) bool {
	if seen[id] || depth > 20 {
		return true
	}
	ref, err := resolve(id)
	if err != nil || ref == nil || ref.Static || ref.Definition == nil {
		return false
	}
	seen[id] = true
	defer delete(seen, id)
	for _, next := range ref.Definition.SegmentRefs() {
		if reaches(next, seen, resolve, depth+1) {
			return true
		}
	}
	return false
}
