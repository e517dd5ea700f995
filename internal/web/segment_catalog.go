package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/segment"
)

// segCatalog is what the builder's script draws from: the engine's
// field catalog with every label translated for the reader, each
// operator's input kind, and the choices of the fields whose options live
// in the database. The script has no words of its own (Text holds them).
type segCatalog struct {
	Families   []segFamily         `json:"families"`
	Fields     map[string]segField `json:"fields"`
	Text       map[string]string   `json:"text"`
	MaxDepth   int                 `json:"max_depth"`
	MoneyScale int64               `json:"money_scale"`
	// Sources are the choices kept in the database (owners, products…),
	// sent once and named by the fields, operators and parameters using them.
	Sources map[string][]choice `json:"sources"`
}

// choices resolves a part's options: its own, or its source's.
func (c segCatalog) choices(own []choice, source string) []choice {
	if len(own) > 0 {
		return own
	}
	return c.Sources[source]
}

type segFamily struct {
	Label  string   `json:"label"`
	Fields []string `json:"fields"`
}

type segField struct {
	Label   string        `json:"label"`
	Type    string        `json:"type"`
	Ops     []segOperator `json:"ops"`
	Options []choice      `json:"options,omitempty"`
	Source  string        `json:"source,omitempty"`
	Params  []segParam    `json:"params"`
}

// segOperator is one operator and the input its value takes: none, text,
// number, money, date, days, enum, enums, tags, or <kind>_range.
type segOperator struct {
	Op         string `json:"op"`
	Label      string `json:"label"`
	Input      string `json:"input"`
	ValueLabel string `json:"value_label,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
	// Options replace the field's for this operator (a segment id).
	Options []choice `json:"options,omitempty"`
	Source  string   `json:"source,omitempty"`
}

type segParam struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Input    string   `json:"input"` // days, date, bool, text, tags, enum, enums
	Options  []choice `json:"options,omitempty"`
	Source   string   `json:"source,omitempty"`
	Default  any      `json:"default,omitempty"`
	Required bool     `json:"required,omitempty"`
}

// choice is one option: V is the JSON value the definition stores (an id
// is a number, a SKU a string), L what the reader sees.
type choice struct {
	V any    `json:"v"`
	L string `json:"l"`
}

// segBuilderText lists the words of the builder's script.
var segBuilderText = []string{"join", "and", "or", "add_predicate", "add_group", "remove_group", "remove_predicate", "field", "choose_field",
	"operator", "value", "choose", "no_options", "tags_hint", "from", "to", "range_and", "any", "preview_failed", "preview_incomplete", "more_options"}

// noValue lists the operators that take no value.
var noValue = []string{segment.OpIsEmpty, segment.OpIsNotEmpty, segment.OpIsTrue, segment.OpIsFalse,
	segment.OpGranted, segment.OpNotGranted, segment.OpWithdrawn, segment.OpNeverAsked}

// opInput is the input an operator's value takes on a field of type typ;
// hasOptions says whether the field offers choices.
func opInput(typ, op string, hasOptions bool) string {
	switch {
	case slices.Contains(noValue, op):
		return "none"
	case op == segment.OpMoreThanDaysAgo || op == segment.OpLessThanDaysAgo:
		return "days"
	case op == segment.OpAtLeast || op == segment.OpFewerThan || op == segment.OpExactly:
		return "number"
	case op == segment.OpInSegment || op == segment.OpNotInSegment:
		return "enum"
	case op == segment.OpIn || op == segment.OpNotIn || op == segment.OpHasAny || op == segment.OpHasAll || op == segment.OpHasNone:
		switch {
		case hasOptions:
			return "enums"
		case typ == segment.TypeRef:
			return "ids"
		}
		return "tags"
	}
	base := "text"
	switch typ {
	case segment.TypeNumber, segment.TypeCount:
		base = "number"
	case segment.TypeMoney:
		base = "money"
	case segment.TypeDate:
		base = "date"
	case segment.TypeEnum, segment.TypeRef:
		if hasOptions {
			base = "enum"
		}
	}
	if op == segment.OpBetween {
		return base + "_range"
	}
	return base
}

// paramInput is the input of a predicate parameter.
func paramInput(p segment.Param, hasOptions bool) string {
	switch p.Type {
	case segment.TypeDays:
		return "days"
	case segment.TypeDate:
		return "date"
	case segment.TypeBool:
		return "bool"
	case segment.TypeTags:
		if hasOptions {
			return "enums"
		}
		return "tags"
	case segment.TypeIDs:
		if hasOptions {
			return "enums"
		}
		return "ids"
	case segment.TypeEnum:
		if hasOptions {
			return "enum"
		}
		return "text"
	case segment.TypeRef:
		if hasOptions {
			return "enum"
		}
		return "number"
	}
	return "text"
}

// optionSources loads the choices kept in the database, once per page.
// A source the viewer may not read (products for a role without them)
// simply offers nothing; the engine still checks what is submitted.
type optionSources struct {
	s    *server
	ctx  context.Context
	l    *i18n.Locale
	self int64
	memo map[string][]choice
}

func (o *optionSources) get(src string) []choice {
	if c, ok := o.memo[src]; ok {
		return c
	}
	c := o.load(src)
	o.memo[src] = c
	return c
}

// optionLimit caps the choices of one list: a builder select of more
// than this is no help, and the engine accepts values typed by hand.
const optionLimit = 500

func (o *optionSources) load(src string) []choice {
	var out []choice
	switch src {
	case segment.SourceOwners:
		users, err := o.s.svc.Users.FindUsers(o.ctx)
		if err != nil {
			return nil
		}
		for _, u := range users {
			out = append(out, choice{u.ID, strings.TrimSpace(cmp.Or(u.Name, u.Email))})
		}
	case segment.SourceCompanies:
		page, err := o.s.svc.Companies.FindCompanies(o.ctx, crm.CompanyFilter{Sort: "name", Limit: optionLimit})
		if err != nil {
			return nil
		}
		for _, c := range page.Items {
			out = append(out, choice{c.ID, c.Name})
		}
	case segment.SourceProducts, segment.SourceCategories:
		page, err := o.s.svc.Products.FindProducts(o.ctx, crm.ProductFilter{Limit: optionLimit})
		if err != nil {
			return nil
		}
		seen := map[string]bool{}
		for _, p := range page.Items {
			if src == segment.SourceProducts {
				out = append(out, choice{p.SKU, p.SKU + " · " + productName(p, o.l.Lang())})
			} else if p.Category != "" && !seen[p.Category] {
				seen[p.Category] = true
				out = append(out, choice{p.Category, p.Category})
			}
		}
		if src == segment.SourceCategories {
			slices.SortFunc(out, func(a, b choice) int { return strings.Compare(a.L, b.L) })
		}
	case segment.SourceSegments:
		if o.s.svc.Segments == nil {
			return nil
		}
		segs, _, err := o.s.svc.Segments.List(o.ctx, crm.SegmentFilter{Limit: optionLimit})
		if err != nil {
			return nil
		}
		for _, sg := range segs {
			if sg.ID != o.self {
				out = append(out, choice{sg.ID, sg.Name})
			}
		}
	case segment.SourceSurveys:
		surveys, err := o.s.svc.Surveys.FindSurveys(o.ctx)
		if err != nil {
			return nil
		}
		for _, sv := range surveys {
			out = append(out, choice{sv.ID, sv.Name})
		}
	case segment.SourceForms:
		forms, err := o.s.svc.Forms.FindForms(o.ctx, "")
		if err != nil {
			return nil
		}
		for _, f := range forms {
			out = append(out, choice{f.ID, f.Name})
		}
	case segment.SourceLanguages:
		for _, lang := range crm.Languages {
			out = append(out, choice{lang, o.l.T("lang." + lang)})
		}
	}
	return out
}

// productName is the product's name in the reader's language when it has one.
func productName(p *crm.Product, lang string) string {
	if n := p.Names[lang]; n != "" {
		return n
	}
	return p.Name
}

// fixedChoices translates a field's fixed options through the catalogue
// keys the engine declares.
func fixedChoices(l *i18n.Locale, fieldKey string, opts []string) []choice {
	out := make([]choice, 0, len(opts))
	for _, o := range opts {
		out = append(out, choice{o, optionLabel(l, fieldKey, o)})
	}
	return out
}

func optionLabel(l *i18n.Locale, fieldKey, o string) string {
	en := i18n.Get("en")
	if k := segment.OptionLabel(fieldKey, o); en.Has(k) {
		return l.T(k)
	}
	if fieldKey == "contact.stage" {
		return l.T("stage." + o)
	}
	return l.Digits(o)
}

// catalogFor builds the builder's catalogue for one reader.
func (s *server) catalogFor(r *http.Request, self int64) (segCatalog, error) {
	ctx := r.Context()
	l := stateOf(r).locale
	fields, err := s.svc.Segments.Catalog(ctx)
	if err != nil {
		return segCatalog{}, err
	}
	src := &optionSources{s: s, ctx: ctx, l: l, self: self, memo: map[string][]choice{}}
	cat := segCatalog{Fields: map[string]segField{}, Text: map[string]string{}, MaxDepth: segment.MaxDepth, MoneyScale: moneyScale(s.shopCurrency(r)),
		Sources: map[string][]choice{}}
	for _, k := range segBuilderText {
		cat.Text[k] = l.T("segui." + k)
	}
	families := map[string]*segFamily{}
	for _, g := range segment.Groups {
		families[g] = &segFamily{Label: l.T("seg.group." + g)}
	}
	for _, f := range fields {
		bf := segField{Label: f.Label, Type: f.Type, Params: []segParam{}}
		if !strings.HasPrefix(f.Key, segment.CustomPrefix) {
			bf.Label = l.T(f.Label)
		}
		switch {
		case f.Source != "" && len(f.Options) == 0:
			bf.Source = cat.source(src, f.Source)
		case f.Key == "score.rfm_cell":
			for _, o := range f.Options {
				bf.Options = append(bf.Options, choice{o, l.Digits(o)})
			}
		case len(f.Options) > 0:
			bf.Options = fixedChoices(l, f.Key, f.Options)
		}
		for _, op := range f.Ops {
			bo := segOperator{Op: op, Label: l.T("seg.op." + op)}
			if op == segment.OpInSegment || op == segment.OpNotInSegment {
				bo.Source = cat.source(src, segment.SourceSegments)
			}
			bo.Input = opInput(f.Type, op, len(cat.choices(bf.Options, bf.Source)) > 0 || bo.Source != "")
			// A label with a gap ("more than … days ago") says the unit itself.
			switch {
			case strings.Contains(bo.Label, "…"):
			case bo.Input == "days":
				bo.Suffix = l.T("segui.days")
			case bo.Input == "number" && f.Type == segment.TypeCount:
				bo.Suffix = l.T("segui.times")
			}
			bf.Ops = append(bf.Ops, bo)
		}
		for _, p := range f.Params {
			bp := segParam{Key: p.Key, Label: l.T(p.Label), Required: p.Required}
			switch {
			case len(p.Options) > 0:
				for _, o := range p.Options {
					bp.Options = append(bp.Options, choice{o, l.T("seg.option." + p.Key + "." + o)})
				}
			case p.Source != "":
				bp.Source = cat.source(src, p.Source)
			}
			opts := cat.choices(bp.Options, bp.Source)
			bp.Input = paramInput(p, len(opts) > 0)
			if p.Required && bp.Input == "enum" && len(opts) > 0 {
				bp.Default = opts[0].V
			}
			bf.Params = append(bf.Params, bp)
		}
		cat.Fields[f.Key] = bf
		fam := families[f.Group]
		if fam == nil {
			continue
		}
		fam.Fields = append(fam.Fields, f.Key)
	}
	for _, g := range segment.Groups {
		if fam := families[g]; len(fam.Fields) > 0 {
			cat.Families = append(cat.Families, *fam)
		}
	}
	return cat, nil
}

// moneyScale is 10^digits of the currency: money is typed in units and
// stored in minor units.
func moneyScale(currency string) int64 {
	n := int64(1)
	for range crm.CurrencyDigits(currency) {
		n *= 10
	}
	return n
}

// shopCurrency is the shop's reporting currency ("" when unreadable).
func (s *server) shopCurrency(r *http.Request) string {
	st, err := s.svc.Facts.ShopSettings(r.Context())
	if err != nil {
		return ""
	}
	return st.Currency
}

// errorWhere names the part of a definition an error path points at in
// words: "Group 2, condition 3" for groups[1].predicates[2].value, nested
// groups numbered 2.1. The builder shows the message on the part itself;
// this is for the list above the form and for readers without scripts.
func errorWhere(l *i18n.Locale, path string) string {
	path = strings.TrimPrefix(strings.TrimPrefix(path, "body."), "definition")
	path = strings.TrimPrefix(path, ".")
	var groups []string
	pred := 0
	for _, part := range strings.Split(path, ".") {
		name, idx, ok := strings.Cut(part, "[")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
		if err != nil {
			continue
		}
		switch name {
		case "groups":
			groups = append(groups, l.Number(int64(n+1)))
		case "predicates":
			pred = n + 1
		}
	}
	g := strings.Join(groups, ".")
	switch {
	case g == "":
		return l.T("segui.where_root")
	case pred > 0:
		return l.T("segui.where_predicate", g, pred)
	}
	return l.T("segui.where_group", g)
}

// source loads a source into the catalogue and returns its name, or ""
// when it offers nothing (the part then takes typed values).
func (c segCatalog) source(src *optionSources, name string) string {
	list := src.get(name)
	if len(list) == 0 {
		return ""
	}
	c.Sources[name] = list
	return name
}
