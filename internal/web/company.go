package web

import (
	"net/http"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
)

func (s *server) companyList(w http.ResponseWriter, r *http.Request) error {
	lp, err := s.listPageData(r, "company")
	if err != nil {
		return err
	}
	page, err := s.svc.Companies.FindCompanies(r.Context(), lp.P.companyFilter(stateOf(r).actor))
	if err != nil {
		return err
	}
	lp.Companies, lp.Next = page.Items, page.Next
	v := s.newView(r, "companies")
	v.Title = v.L.T("console.companies.title")
	v.Data = lp
	if isHTMX(r) && r.Header.Get("HX-Target") == "results" {
		s.renderFragment(w, r, http.StatusOK, "companies", "results", v)
		return nil
	}
	return s.ok(w, r, "companies", v)
}

func (s *server) companyCount(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), "company")
	if err != nil {
		return err
	}
	f := parseList("company", r.URL.Query(), defs).companyFilter(stateOf(r).actor)
	f.WithTotal, f.Limit, f.After = true, 1, ""
	page, err := s.svc.Companies.FindCompanies(r.Context(), f)
	if err != nil {
		return err
	}
	return s.renderCount(w, r, "console.companies.count", page.Total)
}

func (s *server) companyExport(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "export is not available")
	}
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), "company")
	if err != nil {
		return err
	}
	p := parseList("company", r.URL.Query(), defs)
	f := p.companyFilter(stateOf(r).actor)
	f.After, f.Limit = "", 0
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="companies.csv"`)
	return s.transfer.ExportCompanies(r.Context(), f, exportColumns("company", p.Columns), w)
}

func (s *server) pathCompany(r *http.Request) (*crm.Company, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Companies.FindCompanyByID(r.Context(), id)
}

func (s *server) companyShow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCompany(r)
	if err != nil {
		return err
	}
	ctx, a := r.Context(), stateOf(r).actor
	rp := recordPage{Company: c}
	if rp.Defs, err = s.svc.CustomFields.FindCustomFields(ctx, "company"); err != nil {
		return err
	}
	if a.Can(crm.P(crm.ResContacts, crm.Read)) {
		people, err := s.svc.Contacts.FindContacts(ctx, crm.ContactFilter{CompanyID: &c.ID, Limit: 50})
		if err != nil {
			return err
		}
		rp.People = people.Items
	}
	base := "/companies/" + strconv.FormatInt(c.ID, 10)
	if a.Can(crm.P(crm.ResActivities, crm.Read)) {
		if rp.Timeline, err = s.loadTimeline(r, crm.ActivityFilter{CompanyID: &c.ID}, base); err != nil {
			return err
		}
	}
	if a.Can(crm.P(crm.ResTasks, crm.Read)) {
		tasks, err := s.companyTasks(r, c)
		if err != nil {
			return err
		}
		rp.Tasks = s.taskList(r, tasks)
	}
	// Deals of the company and its people (deal_show.go).
	if rp.Deals, err = s.dealSection(r, crm.DealFilter{CompanyID: &c.ID}, "/deals/new?company_id="+strconv.FormatInt(c.ID, 10)); err != nil {
		return err
	}
	if rp.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return err
	}
	v := s.newView(r, "companies")
	v.Title = c.Name
	v.Data = rp
	return s.ok(w, r, "company", v)
}

// companyTasks lists the open tasks on a company and on its people.
func (s *server) companyTasks(r *http.Request, c *crm.Company) ([]*crm.Task, error) {
	page, err := s.svc.Tasks.FindTasks(r.Context(), crm.TaskFilter{CompanyID: &c.ID, Status: "open", Limit: 100})
	return page.Items, err
}

func (s *server) companyTimeline(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCompany(r)
	if err != nil {
		return err
	}
	t, err := s.loadTimeline(r, crm.ActivityFilter{CompanyID: &c.ID}, "/companies/"+strconv.FormatInt(c.ID, 10))
	if err != nil {
		return err
	}
	return s.timelineFragment(w, r, t)
}

func (s *server) companyDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCompany(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "companies")
	v.Title = v.L.T("console.company.delete_title")
	path := "/companies/" + strconv.FormatInt(c.ID, 10)
	v.Data = confirmPage{Message: v.L.T("console.company.delete_confirm", c.Name), Action: path + "/delete",
		Submit: v.L.T("console.delete"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) companyDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Companies.DeleteCompany(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/companies", http.StatusSeeOther)
	return nil
}
