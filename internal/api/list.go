package api

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// page is the body of every list: items, the cursor of the next page
// (absent on the last) and, when asked for with total=true, the count.
type page[T any] struct {
	Items      []T    `json:"items" doc:"The records of this page."`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as after= to get the next page; absent on the last page."`
	Total      *int   `json:"total,omitempty" doc:"Number of matching records, when total=true was asked for."`
}

// listOutput is a list response with the RFC 8288 Link to the next page.
type listOutput[T any] struct {
	Link string `header:"Link" doc:"rel=\"next\" link to the following page, when there is one."`
	Body page[T]
}

// Paging are the parameters every keyset-paginated list takes.
type Paging struct {
	Limit int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Page size."`
	After string `query:"after" maxLength:"2048" doc:"Cursor from next_cursor of the previous page."`
}

// request keeps the URL a list was asked with, to build the next link and
// to read parameters huma cannot declare (custom.<key>[op]). Embedding it
// makes the input a huma.Resolver, run after the declared parameters are
// parsed.
type request struct{ url url.URL }

func (r *request) Resolve(ctx huma.Context) []error {
	r.url = ctx.URL()
	return nil
}

// checkParams rejects query parameters the operation does not know, so a
// typo ("tags=vip" for "tag=vip") is an error instead of a silently
// unfiltered list. allowCustom admits custom.<key> and custom.<key>[op].
func (r *request) checkParams(known []string, allowCustom bool) []error {
	var errs []error
	for name, vals := range r.url.Query() {
		// Text that is not UTF-8, or holds NUL, cannot be stored or
		// searched for; refuse it here rather than as a database error.
		for _, v := range append([]string{name}, vals...) {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				errs = append(errs, detail("query."+strings.ToValidUTF8(name, "\uFFFD"), "invalid_utf8"))
				break
			}
		}
		if slices.Contains(known, name) || (allowCustom && strings.HasPrefix(name, "custom.")) {
			continue
		}
		errs = append(errs, detail("query."+name, "unknown_parameter", name))
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// customFilters reads custom-field filters: custom.<key>=v is equality,
// custom.<key>[gt|lt|contains|eq]=v the operator. Whether the key exists
// and the value fits its type is checked by the store.
func (r *request) customFilters() ([]crm.CustomFilter, []error) {
	var out []crm.CustomFilter
	var errs []error
	for name, vals := range r.url.Query() {
		rest, ok := strings.CutPrefix(name, "custom.")
		if !ok {
			continue
		}
		key, op := rest, "eq"
		if i := strings.IndexByte(rest, '['); i >= 0 && strings.HasSuffix(rest, "]") {
			key, op = rest[:i], rest[i+1:len(rest)-1]
		}
		if key == "" || len(key) > 40 || !slices.Contains(customOps, op) {
			errs = append(errs, detail("query."+name, "invalid_filter", name))
			continue
		}
		for _, v := range vals {
			out = append(out, crm.CustomFilter{Key: key, Op: op, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b crm.CustomFilter) int { return strings.Compare(a.Key+a.Op+a.Value, b.Key+b.Op+b.Value) })
	return out, errs
}

var customOps = []string{"eq", "contains", "gt", "lt"}

// next returns the Link header value for the page after this one.
func (r *request) next(cursor string) string {
	if cursor == "" {
		return ""
	}
	u := r.url
	q := u.Query()
	q.Set("after", cursor)
	u.RawQuery = q.Encode()
	return "<" + u.RequestURI() + `>; rel="next"`
}

// checkSort validates sort against the allowlist of a list ("name" or
// "-name" for descending).
func checkSort(sort string, allowed []string) error {
	if sort == "" || slices.Contains(allowed, strings.TrimPrefix(sort, "-")) {
		return nil
	}
	return invalid("query.sort", "invalid_sort")
}

// listOf converts a domain page to a response.
func listOf[T any](r *request, p crm.Page[T], withTotal bool) *listOutput[T] {
	out := &listOutput[T]{Link: r.next(p.Next)}
	out.Body.Items = p.Items
	if out.Body.Items == nil {
		out.Body.Items = []T{}
	}
	out.Body.NextCursor = p.Next
	if withTotal {
		out.Body.Total = &p.Total
	}
	return out
}

// itemsOf is the body of unpaginated lists (users, API keys, duplicates).
type items[T any] struct {
	Body struct {
		Items []T `json:"items"`
	}
}

func itemsOf[T any](list []T) *items[T] {
	out := &items[T]{}
	out.Body.Items = list
	if list == nil {
		out.Body.Items = []T{}
	}
	return out
}

// detail is one located error for huma's resolver mechanism, which turns
// a non-empty error list into a 422 problem.
func detail(loc, key string, args ...any) error {
	return &huma.ErrorDetail{Location: loc, Message: fieldMessage(crm.FieldError{Key: key, Args: args})}
}

// optionalID reads an id filter that is absent, or present with a value.
// huma has no optional scalars in queries, so presence is read from the URL.
func (r *request) optionalID(name string, v int64) *int64 {
	if !r.url.Query().Has(name) {
		return nil
	}
	return &v
}
