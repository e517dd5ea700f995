package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// boardCap is how many cards a column shows; the count stays exact and
// the column links to the full list when it has more.
const boardCap = 200

type boardColumn struct {
	Stage crm.Stage
	Deals []*crm.Deal
	// Totals are the column's amounts per currency, in currency order.
	Totals []boardTotal
	More   bool
}

type boardTotal struct {
	Currency string
	Amount   int64
}

type boardPage struct {
	dealFmt
	Pipelines []*crm.Pipeline
	Pipeline  *crm.Pipeline
	Columns   []boardColumn
	CSRF      string
	Moved     string
}

// TotalText writes a column's totals: "1,200.00 EUR · 5,000 JPY".
func (b boardPage) TotalText(ts []boardTotal) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = b.Money(t.Amount, t.Currency)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

func (s *server) loadBoard(r *http.Request, pipelineID int64) (boardPage, error) {
	ctx := r.Context()
	b := boardPage{dealFmt: s.dealFmt(r)}
	if st := stateOf(r); st.session != nil {
		b.CSRF = st.session.CSRF
	}
	var err error
	if b.Pipelines, err = s.svc.Pipelines.FindPipelines(ctx); err != nil {
		return b, err
	}
	if len(b.Pipelines) == 0 {
		return b, crm.Errorf(crm.ENOTFOUND, "no pipelines")
	}
	b.Pipeline = b.Pipelines[0]
	if i := slices.IndexFunc(b.Pipelines, func(p *crm.Pipeline) bool { return p.ID == pipelineID }); i >= 0 {
		b.Pipeline = b.Pipelines[i]
	} else if pipelineID != 0 {
		return b, crm.Errorf(crm.ENOTFOUND, "pipeline %d not found", pipelineID)
	}
	for _, st := range b.Pipeline.Stages {
		id := st.ID
		page, err := s.svc.Deals.FindDeals(ctx, crm.DealFilter{StageID: &id, Sort: "-updated_at", Limit: boardCap, WithoutLine: true})
		if err != nil {
			return b, err
		}
		col := boardColumn{Stage: st, Deals: page.Items, More: page.Next != ""}
		sums := map[string]int64{}
		for _, d := range page.Items {
			sums[d.Currency] += d.Amount
		}
		for cur, n := range sums {
			col.Totals = append(col.Totals, boardTotal{cur, n})
		}
		slices.SortFunc(col.Totals, func(a, b boardTotal) int { return strings.Compare(a.Currency, b.Currency) })
		b.Columns = append(b.Columns, col)
	}
	return b, nil
}

func (s *server) dealBoard(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(r.URL.Query().Get("pipeline"), 10, 64)
	b, err := s.loadBoard(r, id)
	if err != nil {
		return err
	}
	v := s.newView(r, "deals")
	v.Title = v.L.T("deals.board.title", b.Pipeline.Name)
	v.Data = b
	return s.ok(w, r, "deal_board", v)
}

// boardFragment answers a drop on the board with the redrawn board, so
// counts and totals stay the server's.
func (s *server) boardFragment(w http.ResponseWriter, r *http.Request, pipelineID int64) error {
	b, err := s.loadBoard(r, pipelineID)
	if err != nil {
		return err
	}
	v := s.newView(r, "deals")
	b.Moved = v.L.T("deals.board.moved", r.PostForm.Get("title"), stageName(b.Pipeline, r.PostForm.Get("stage_id")))
	v.Data = b
	s.renderFragment(w, r, http.StatusOK, "deal_board", "board", v)
	return nil
}

func stageName(p *crm.Pipeline, id string) string {
	n, _ := strconv.ParseInt(id, 10, 64)
	if st := p.Stage(n); st != nil {
		return st.Name
	}
	return ""
}
