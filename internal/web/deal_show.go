package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"github.com/ecrm/ecrm/internal/crm"
)

type dealPage struct {
	dealFmt
	Deal     *crm.Deal
	Pipeline *crm.Pipeline
	Return   string
	// Edit is the edit form, for readers who may change the deal.
	Edit *dealFormPage
}

func (s *server) pathDeal(r *http.Request) (*crm.Deal, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Deals.FindDealByID(r.Context(), id)
}

func (s *server) dealShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	p, err := s.svc.Pipelines.FindPipelineByID(r.Context(), d.PipelineID)
	if err != nil {
		return err
	}
	v := s.newView(r, "deals")
	v.Title = d.Title
	if o, err := strconv.ParseInt(r.URL.Query().Get("order"), 10, 64); err == nil && o > 0 {
		v.Message = v.L.T("deals.quote.accepted", o)
	}
	dp := dealPage{dealFmt: s.dealFmt(r), Deal: d, Pipeline: p, Return: "/deals/" + strconv.FormatInt(d.ID, 10)}
	if stateOf(r).actor.Can(crm.P(crm.ResDeals, crm.Write)) {
		fv, err := s.dealFormView(r, d, dealValues(d))
		if err != nil {
			return err
		}
		fp := fv.Data.(dealFormPage)
		dp.Edit = &fp
	}
	v.Data = dp
	return s.ok(w, r, "deal", v)
}

// dealMove moves a deal from a card's or the deal page's "Move to" form,
// and from a drop on the board (kanban.js), which asks for the redrawn
// board instead of a redirect.
func (s *server) dealMove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	stage, _ := parseInt(r.PostForm.Get("stage_id"))
	d, err := s.svc.Deals.MoveDeal(r.Context(), id, crm.DealStageInput{StageID: stage, LostReason: r.PostForm.Get("lost_reason")})
	if err != nil {
		return err
	}
	if isHTMX(r) {
		return s.boardFragment(w, r, d.PipelineID)
	}
	back := "/deals/board?pipeline=" + strconv.FormatInt(d.PipelineID, 10)
	http.Redirect(w, r, localPath(r.PostForm.Get("return"), back), http.StatusSeeOther)
	return nil
}

func (s *server) dealDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "deals")
	v.Title = v.L.T("deals.delete_title")
	path := "/deals/" + strconv.FormatInt(d.ID, 10)
	v.Data = confirmPage{Message: v.L.T("deals.delete_confirm", d.Title), Action: path + "/delete",
		Submit: v.L.T("deals.delete"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) dealDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Deals.DeleteDeal(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/deals", http.StatusSeeOther)
	return nil
}

// dealBlock is the rendered deals block a record page shows as it is.
type dealBlock = template.HTML

// The section lives outside templates/*.html, which are whole pages.
var (
	dealSectionOnce sync.Once
	dealSectionTmpl *template.Template
	dealSectionErr  error
)

// dealSectionData is the deals block of a contact or company page.
type dealSectionData struct {
	dealFmt
	Deals  []*crm.Deal
	NewURL string
}

// dealSection renders the deals of a contact or company as a block for
// its page (templates/deal_section.html), or nothing for readers who may
// not see deals. It is rendered here rather than in the record's template
// so the record pages only need one insertion: {{.Data.Deals}}.
func (s *server) dealSection(r *http.Request, f crm.DealFilter, newURL string) (dealBlock, error) {
	a := stateOf(r).actor
	if !a.Can(crm.P(crm.ResDeals, crm.Read)) {
		return "", nil
	}
	f.Limit, f.WithoutLine = 20, true
	f.Sort = "-updated_at"
	page, err := s.svc.Deals.FindDeals(r.Context(), f)
	if err != nil {
		return "", err
	}
	d := dealSectionData{dealFmt: s.dealFmt(r), Deals: page.Items}
	if a.Can(crm.P(crm.ResDeals, crm.Write)) {
		d.NewURL = newURL
	}
	dealSectionOnce.Do(func() {
		dealSectionTmpl, dealSectionErr = template.New("section.html").Funcs(funcs(s.assets)).ParseFS(templateFS, "templates/deal_parts/section.html")
	})
	if dealSectionErr != nil {
		return "", dealSectionErr
	}
	var buf bytes.Buffer
	if err := dealSectionTmpl.ExecuteTemplate(&buf, "deal-section", d); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}
