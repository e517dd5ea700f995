package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strings"

	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/segment"
)

// wordNode is a definition written out for people: the combiner, one
// sentence per condition, and the nested groups.
type wordNode struct {
	Join   string
	Items  []string
	Groups []wordNode
}

// definitionWords writes a definition in the reader's language with the
// builder's labels, so the segment page says what the segment selects.
// A definition without groups selects every contact.
func definitionWords(l *i18n.Locale, cat segCatalog, def *segment.Definition, currency string) []wordNode {
	if def == nil || len(def.Groups) == 0 {
		return []wordNode{{Join: l.T("segui.words.everyone")}}
	}
	w := wordWriter{l: l, cat: cat, currency: currency}
	root := wordNode{Join: l.T("segui.words." + joinOf(def.Op))}
	for _, g := range def.Groups {
		root.Groups = append(root.Groups, w.group(g))
	}
	// One group under the root reads better without the extra level.
	if len(root.Groups) == 1 {
		return root.Groups
	}
	return []wordNode{root}
}

func joinOf(op string) string {
	if op == segment.Or {
		return "or"
	}
	return "and"
}

type wordWriter struct {
	l        *i18n.Locale
	cat      segCatalog
	currency string
}

func (w wordWriter) group(g segment.Group) wordNode {
	n := wordNode{Join: w.l.T("segui.words." + joinOf(g.Op))}
	for _, p := range g.Predicates {
		n.Items = append(n.Items, w.predicate(p))
	}
	for _, sub := range g.Groups {
		n.Groups = append(n.Groups, w.group(sub))
	}
	return n
}

func (w wordWriter) predicate(p segment.Predicate) string {
	f, ok := w.cat.Fields[p.Field]
	if !ok {
		return p.Field + " " + p.Op
	}
	parts := []string{f.Label}
	var op segOperator
	for _, o := range f.Ops {
		if o.Op == p.Op {
			op = o
		}
	}
	label := cmp.Or(op.Label, p.Op)
	if len(bytes.TrimSpace(p.Value)) > 0 && op.Input != "none" {
		opts := w.cat.choices(f.Options, f.Source)
		if op.Source != "" {
			opts = w.cat.choices(nil, op.Source)
		}
		v := w.value(p.Value, op.Input, opts)
		if op.Suffix != "" {
			v += " " + op.Suffix
		}
		// "more than … days ago" takes the value in its gap.
		if strings.Contains(label, "…") {
			label = strings.Replace(label, "…", v, 1)
		} else {
			label += " " + v
		}
	}
	parts = append(parts, label)
	var params []string
	raw, _ := json.Marshal(p)
	var all map[string]json.RawMessage
	json.Unmarshal(raw, &all)
	for _, pr := range f.Params {
		pv, ok := all[pr.Key]
		if !ok || string(pv) == "null" || string(pv) == "false" {
			continue
		}
		if pr.Input == "bool" {
			params = append(params, pr.Label)
			continue
		}
		params = append(params, pr.Label+": "+w.value(pv, pr.Input, w.cat.choices(pr.Options, pr.Source)))
	}
	s := strings.Join(parts, " ")
	if len(params) > 0 {
		s += " (" + strings.Join(params, "; ") + ")"
	}
	return s
}

// value writes one JSON value as the input of its kind shows it.
func (w wordWriter) value(raw json.RawMessage, input string, opts []choice) string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		sep := ", "
		if strings.HasSuffix(input, "_range") {
			sep = " – "
			input = strings.TrimSuffix(input, "_range")
		}
		out := make([]string, 0, len(list))
		for _, x := range list {
			out = append(out, w.value(x, strings.TrimSuffix(input, "s"), opts))
		}
		return strings.Join(out, sep)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	for _, o := range opts {
		if jsonEqual(o.V, v) {
			return o.L
		}
	}
	switch x := v.(type) {
	case json.Number:
		if input == "money" {
			if n, err := x.Int64(); err == nil {
				return formatMoney(w.l, n, w.currency)
			}
		}
		if n, err := x.Int64(); err == nil {
			return w.l.Number(n)
		}
		if f, err := x.Float64(); err == nil {
			return w.l.Decimal(f, decimals(x.String()))
		}
		return x.String()
	case string:
		if input == "date" {
			return w.l.Digits(x)
		}
		return "“" + x + "”"
	}
	return string(raw)
}

func decimals(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// jsonEqual compares an option's value with a decoded one: ids are int64
// in options and json.Number once decoded.
func jsonEqual(opt, v any) bool {
	a, _ := json.Marshal(opt)
	b, _ := json.Marshal(v)
	return bytes.Equal(a, b)
}
