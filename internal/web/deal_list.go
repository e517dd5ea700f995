package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// dealParams is a deal list query read from the URL. Only allowlisted
// values are kept (sorts, statuses, dates, numeric ids); the store checks
// again.
type dealParams struct {
	Q, Pipeline, Stage, Owner, Status, CloseFrom, CloseTo, Sort, After string
}

func parseDealParams(q url.Values) dealParams {
	p := dealParams{Q: strings.TrimSpace(q.Get("q")), Owner: q.Get("owner"), After: q.Get("after")}
	if id, err := strconv.ParseInt(q.Get("pipeline"), 10, 64); err == nil && id > 0 {
		p.Pipeline = q.Get("pipeline")
	}
	if id, err := strconv.ParseInt(q.Get("stage"), 10, 64); err == nil && id > 0 {
		p.Stage = q.Get("stage")
	}
	if slices.Contains(crm.DealStatuses, q.Get("status")) {
		p.Status = q.Get("status")
	}
	for _, d := range []struct {
		dst *string
		key string
	}{{&p.CloseFrom, "close_from"}, {&p.CloseTo, "close_to"}} {
		if _, err := time.Parse(time.DateOnly, q.Get(d.key)); err == nil {
			*d.dst = q.Get(d.key)
		}
	}
	if s := q.Get("sort"); slices.Contains(crm.DealSorts, strings.TrimPrefix(s, "-")) {
		p.Sort = s
	}
	return p
}

func (p dealParams) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": p.Q, "pipeline": p.Pipeline, "stage": p.Stage, "owner": p.Owner,
		"status": p.Status, "close_from": p.CloseFrom, "close_to": p.CloseTo, "sort": p.Sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// Query is the list query without the cursor.
func (p dealParams) Query() template.URL { return template.URL(p.values().Encode()) }

// NextQuery is the query of the following page.
func (p dealParams) NextQuery(after string) template.URL {
	return withParam(p.values(), "after", after)
}

// SortQuery sorts by col, flipping the direction when already sorted by it.
func (p dealParams) SortQuery(col string) template.URL {
	return withParam(p.values(), "sort", flipSort(p.Sort, col))
}

// SortState is the aria-sort value of a column header.
func (p dealParams) SortState(col string) string {
	switch {
	case p.Sort == col, p.Sort == "" && col == "title":
		return "ascending"
	case p.Sort == "-"+col:
		return "descending"
	}
	return "none"
}

func (p dealParams) filter(a *crm.Actor) crm.DealFilter {
	f := crm.DealFilter{Query: p.Q, Status: p.Status, CloseFrom: p.CloseFrom, CloseTo: p.CloseTo, Sort: p.Sort, After: p.After, Limit: 50}
	id := func(s string) *int64 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return &n
		}
		return nil
	}
	f.PipelineID, f.StageID = id(p.Pipeline), id(p.Stage)
	switch p.Owner {
	case "":
	case "me":
		f.OwnerID = &a.UserID
	case "none":
		f.OwnerID = new(int64)
	default:
		f.OwnerID = id(p.Owner)
	}
	return f
}

// Sortable reports whether a deal list column sorts.
func (p dealParams) Sortable(col string) bool { return slices.Contains(crm.DealSorts, col) }

type dealListPage struct {
	dealFmt
	Cols      []string
	P         dealParams
	Deals     []*crm.Deal
	Next      string
	Pipelines []*crm.Pipeline
	Users     []*crm.User
}

// Stages lists every stage of every pipeline, for the stage filter.
func (d dealListPage) Stages() []crm.Stage {
	var out []crm.Stage
	for _, p := range d.Pipelines {
		out = append(out, p.Stages...)
	}
	return out
}

var dealColumns = []string{"title", "stage", "amount", "probability", "expected_close", "owner", "contact", "updated_at"}

func (s *server) dealList(w http.ResponseWriter, r *http.Request) error {
	ctx, a := r.Context(), stateOf(r).actor
	p := parseDealParams(r.URL.Query())
	page, err := s.svc.Deals.FindDeals(ctx, p.filter(a))
	if err != nil {
		return err
	}
	v := s.newView(r, "deals")
	d := dealListPage{dealFmt: s.dealFmt(r), Cols: dealColumns, P: p, Deals: page.Items, Next: page.Next}
	if d.Pipelines, err = s.svc.Pipelines.FindPipelines(ctx); err != nil {
		return err
	}
	if d.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return err
	}
	v.Title = v.L.T("deals.title")
	v.Data = d
	if isHTMX(r) && r.Header.Get("HX-Target") == "results" {
		s.renderFragment(w, r, http.StatusOK, "deals", "results", v)
		return nil
	}
	return s.ok(w, r, "deals", v)
}
