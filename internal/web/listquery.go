package web

import (
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// listParams is a contact or company list query read from the URL. Every
// name that reaches the store (sort, columns, custom keys) is checked
// against an allowlist here; the store checks again.
type listParams struct {
	Entity      string
	Q           string
	Tag         string
	Owner       string // "", "me", "none" or a user id
	Stage       string
	Country     string
	Industry    string
	CreatedFrom string
	CreatedTo   string
	Purchases   string // "", "none", "once" or "repeat" (factsfilter.go)
	SpentMin    string // in major units of the shop currency
	IdleDays    string // no purchase for this many days
	Digits      int    // minor-unit digits of the shop currency
	Custom      map[string]string
	Sort        string
	After       string
	Columns     []string
	Defs        []*crm.CustomField
}

// Column names a list may show, besides cf.<key> for each custom field.
var (
	contactColumns        = []string{"name", "email", "phone", "company", "title", "city", "country", "stage", "owner", "tags", "created_at", "updated_at"}
	contactDefaultColumns = []string{"name", "email", "company", "stage", "owner", "created_at"}
	companyColumns        = []string{"name", "domain", "industry", "size", "phone", "city", "country", "owner", "tags", "contacts", "created_at", "updated_at"}
	companyDefaultColumns = []string{"name", "domain", "industry", "country", "owner", "contacts"}
)

func parseList(entity string, q url.Values, defs []*crm.CustomField) listParams {
	p := listParams{Entity: entity, Defs: defs, Custom: map[string]string{},
		Q: strings.TrimSpace(q.Get("q")), Tag: strings.TrimSpace(q.Get("tag")), Owner: q.Get("owner"),
		Stage: q.Get("stage"), Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
		Industry: strings.TrimSpace(q.Get("industry")), After: q.Get("after")}
	if !slices.Contains(crm.Stages, p.Stage) {
		p.Stage = ""
	}
	if _, err := time.Parse(time.DateOnly, q.Get("created_from")); err == nil {
		p.CreatedFrom = q.Get("created_from")
	}
	if _, err := time.Parse(time.DateOnly, q.Get("created_to")); err == nil {
		p.CreatedTo = q.Get("created_to")
	}
	p.readFacts(q)
	sorts, allCols, defCols := crm.ContactSorts, contactColumns, contactDefaultColumns
	if entity == "company" {
		sorts, allCols, defCols = crm.CompanySorts, companyColumns, companyDefaultColumns
	}
	if s := q.Get("sort"); slices.Contains(sorts, strings.TrimPrefix(s, "-")) {
		p.Sort = s
	}
	for _, d := range defs {
		if v := strings.TrimSpace(q.Get("cf." + d.Key)); v != "" {
			p.Custom[d.Key] = v
		}
		allCols = append(slices.Clip(allCols), "cf."+d.Key)
	}
	for _, c := range q["col"] {
		if slices.Contains(allCols, c) && !slices.Contains(p.Columns, c) {
			p.Columns = append(p.Columns, c)
		}
	}
	if len(p.Columns) == 0 {
		p.Columns = defCols
	}
	return p
}

// values is the list query as URL values, without the page cursor.
func (p listParams) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", p.Q)
	set("tag", p.Tag)
	set("owner", p.Owner)
	set("stage", p.Stage)
	set("country", p.Country)
	set("industry", p.Industry)
	set("created_from", p.CreatedFrom)
	set("created_to", p.CreatedTo)
	set("purchases", p.Purchases)
	set("spent_min", p.SpentMin)
	set("idle_days", p.IdleDays)
	set("sort", p.Sort)
	for k, val := range p.Custom {
		v.Set("cf."+k, val)
	}
	v["col"] = p.Columns
	return v
}

// withParam is the query string of v with key set to val; list pages
// build their next-page and sort links with it.
func withParam(v url.Values, key, val string) template.URL {
	v.Set(key, val)
	return template.URL(v.Encode())
}

// flipSort is the sort a column header links to: the column ascending,
// or descending when the list is already sorted by it ascending.
func flipSort(cur, col string) string {
	if cur == col {
		return "-" + col
	}
	return col
}

// Query is the list's query string without the cursor (saved views,
// counts, exports). It is built by url.Values.Encode, so templates may put
// it after "?" as it is.
func (p listParams) Query() template.URL { return template.URL(p.values().Encode()) }

// NextQuery is the query string of the following page.
func (p listParams) NextQuery(after string) template.URL {
	return withParam(p.values(), "after", after)
}

// SortQuery is the query string that sorts by col, flipping the direction
// when the list is already sorted by it.
func (p listParams) SortQuery(col string) template.URL {
	return withParam(p.values(), "sort", flipSort(p.Sort, col))
}

// SortState is "asc", "desc" or "" for a column header.
func (p listParams) SortState(col string) string {
	switch p.Sort {
	case col:
		return "ascending"
	case "-" + col:
		return "descending"
	}
	if p.Sort == "" && col == "name" {
		return "ascending"
	}
	return "none"
}

// Sortable reports whether col is a sortable column of the list.
func (p listParams) Sortable(col string) bool {
	if p.Entity == "company" {
		return slices.Contains(crm.CompanySorts, col)
	}
	return slices.Contains(crm.ContactSorts, col)
}

func (p listParams) HasCol(col string) bool { return slices.Contains(p.Columns, col) }

// Def returns the custom field of a "cf.<key>" column, or nil.
func (p listParams) Def(col string) *crm.CustomField {
	key, ok := strings.CutPrefix(col, "cf.")
	if !ok {
		return nil
	}
	for _, d := range p.Defs {
		if d.Key == key {
			return d
		}
	}
	return nil
}

// AllColumns lists the columns the chooser offers.
func (p listParams) AllColumns() []string {
	cols := contactColumns
	if p.Entity == "company" {
		cols = companyColumns
	}
	out := slices.Clone(cols)
	for _, d := range p.Defs {
		out = append(out, "cf."+d.Key)
	}
	return out
}

func (p listParams) ownerID(a *crm.Actor) *int64 {
	switch p.Owner {
	case "":
		return nil
	case "me":
		return &a.UserID
	case "none":
		return new(int64)
	}
	if id, err := strconv.ParseInt(p.Owner, 10, 64); err == nil && id > 0 {
		return &id
	}
	return nil
}

func (p listParams) customFilters() []crm.CustomFilter {
	var out []crm.CustomFilter
	for _, d := range p.Defs {
		v, ok := p.Custom[d.Key]
		if !ok {
			continue
		}
		op := "eq"
		if d.Type == "text" || d.Type == "multi_select" {
			op = "contains"
		}
		out = append(out, crm.CustomFilter{Key: d.Key, Op: op, Value: v})
	}
	return out
}

func (p listParams) contactFilter(a *crm.Actor) crm.ContactFilter {
	f := crm.ContactFilter{Query: p.Q, OwnerID: p.ownerID(a), Stage: p.Stage, Country: p.Country,
		Custom: p.customFilters(), Sort: p.Sort, After: p.After, Limit: 50}
	if p.Tag != "" {
		f.Tags = []string{p.Tag}
	}
	if t, err := time.Parse(time.DateOnly, p.CreatedFrom); err == nil {
		f.CreatedAfter = &t
	}
	if t, err := time.Parse(time.DateOnly, p.CreatedTo); err == nil {
		t = t.AddDate(0, 0, 1) // the "to" day is included
		f.CreatedBefore = &t
	}
	p.factsFilter(&f)
	return f
}

func (p listParams) companyFilter(a *crm.Actor) crm.CompanyFilter {
	f := crm.CompanyFilter{Query: p.Q, OwnerID: p.ownerID(a), Country: p.Country, Industry: p.Industry,
		Custom: p.customFilters(), Sort: p.Sort, After: p.After, Limit: 50}
	if p.Tag != "" {
		f.Tags = []string{p.Tag}
	}
	return f
}
