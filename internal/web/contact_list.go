package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

type listPage struct {
	P         listParams
	Contacts  []*crm.Contact
	Companies []*crm.Company
	Next      string
	Users     []*crm.User
	Views     []*crm.SavedView
	Transfer  bool // export links work
}

// listPageData loads what both list pages show around the rows: the users
// for the owner filter and the viewer's saved views.
func (s *server) listPageData(r *http.Request, entity string) (listPage, error) {
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), entity)
	if err != nil {
		return listPage{}, err
	}
	lp := listPage{P: parseList(entity, r.URL.Query(), defs), Transfer: s.transfer != nil}
	lp.P.Digits = s.shopDigits(r)
	if isHTMX(r) {
		return lp, nil // the fragment has no filters or views
	}
	if lp.Users, err = s.svc.Users.FindUsers(r.Context()); err != nil {
		return lp, err
	}
	lp.Views, err = s.svc.Views.FindViews(r.Context(), entity)
	return lp, err
}

func (s *server) contactList(w http.ResponseWriter, r *http.Request) error {
	lp, err := s.listPageData(r, "contact")
	if err != nil {
		return err
	}
	page, err := s.svc.Contacts.FindContacts(r.Context(), lp.P.contactFilter(stateOf(r).actor))
	if err != nil {
		return err
	}
	lp.Contacts, lp.Next = page.Items, page.Next
	v := s.newView(r, "contacts")
	v.Title = v.L.T("console.contacts.title")
	v.Data = lp
	if isHTMX(r) && r.Header.Get("HX-Target") == "results" {
		s.renderFragment(w, r, http.StatusOK, "contacts", "results", v)
		return nil
	}
	return s.ok(w, r, "contacts", v)
}

// contactCount is loaded by its own request after the list, so a list of a
// million rows appears at once and the COUNT(*) arrives when it is done.
func (s *server) contactCount(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), "contact")
	if err != nil {
		return err
	}
	cp := parseList("contact", r.URL.Query(), defs)
	cp.Digits = s.shopDigits(r)
	f := cp.contactFilter(stateOf(r).actor)
	f.WithTotal, f.Limit, f.After = true, 1, ""
	page, err := s.svc.Contacts.FindContacts(r.Context(), f)
	if err != nil {
		return err
	}
	return s.renderCount(w, r, "console.contacts.count", page.Total)
}

func (s *server) renderCount(w http.ResponseWriter, r *http.Request, key string, n int) error {
	s.renderFragment(w, r, http.StatusOK, "contacts", "count", stateOf(r).locale.T(key, n))
	return nil
}

func (s *server) contactExport(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "export is not available")
	}
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), "contact")
	if err != nil {
		return err
	}
	p := parseList("contact", r.URL.Query(), defs)
	p.Digits = s.shopDigits(r)
	f := p.contactFilter(stateOf(r).actor)
	f.After, f.Limit = "", 0
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	return s.transfer.ExportContacts(r.Context(), f, exportColumns("contact", p.Columns), w)
}

// exportColumns turns the list columns of entity ("contact", "company")
// into the export's column names (see internal/transfer): a contact's
// display name becomes its two stored parts, a company's people count is
// contact_count and custom columns use "custom.<key>". A company's name is
// its own column.
func exportColumns(entity string, cols []string) []string {
	var out []string
	for _, c := range cols {
		switch {
		case c == "name" && entity == "contact":
			out = append(out, "first_name", "last_name")
		case c == "contacts":
			out = append(out, "contact_count")
		case strings.HasPrefix(c, "cf."):
			out = append(out, "custom."+strings.TrimPrefix(c, "cf."))
		default:
			out = append(out, c)
		}
	}
	return out
}

// contactBulk applies one action to the checked rows. Deleting asks for
// confirmation first: the confirm page posts the same ids back with
// confirm=1.
func (s *server) contactBulk(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return crm.Errorf(crm.EINVALID, "malformed form")
	}
	var op crm.BulkOp
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return crm.Errorf(crm.EINVALID, "bad id")
		}
		op.IDs = append(op.IDs, id)
	}
	back := localPath(r.PostFormValue("return"), "/contacts")
	tag := strings.TrimSpace(r.PostFormValue("tag"))
	switch r.PostFormValue("action") {
	case "add_tag":
		op.AddTags = []string{tag}
	case "remove_tag":
		op.RemoveTags = []string{tag}
	case "assign_owner":
		id, err := strconv.ParseInt(r.PostFormValue("owner_id"), 10, 64)
		if err != nil || id < 0 {
			return crm.Errorf(crm.EINVALID, "bad owner")
		}
		op.SetOwner = &id
	case "delete":
		if r.PostFormValue("confirm") != "1" {
			v := s.newView(r, "contacts")
			v.Title = v.L.T("console.bulk.confirm_title")
			hidden := url.Values{"action": {"delete"}, "confirm": {"1"}, "return": {back}, "id": r.PostForm["id"]}
			v.Data = confirmPage{Message: v.L.T("console.bulk.confirm_delete", len(op.IDs)), Action: "/contacts/bulk",
				Hidden: hidden, Submit: v.L.T("console.delete"), Cancel: back, Danger: true}
			return s.ok(w, r, "confirm", v)
		}
		op.Delete = true
	default:
		return crm.Errorf(crm.EINVALID, "unknown bulk action")
	}
	if _, err := s.svc.Contacts.BulkContacts(r.Context(), op); err != nil {
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// confirmPage is the generic "are you sure?" page that every destructive
// action goes through, so nothing is deleted by a single click or a
// crawler following links.
type confirmPage struct {
	Message string
	Detail  []string
	Action  string
	Hidden  url.Values
	Submit  string
	Cancel  string
	Danger  bool
}

// saveView stores the current list query and columns under a name.
func (s *server) saveView(entity string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), entity)
		if err != nil {
			return err
		}
		q, _ := url.ParseQuery(r.PostFormValue("query"))
		p := parseList(entity, q, defs)
		_, err = s.svc.Views.CreateView(r.Context(), crm.SavedView{Entity: entity, Name: r.PostFormValue("name"),
			Query: string(p.Query()), Columns: p.Columns})
		if err != nil {
			return err
		}
		http.Redirect(w, r, listPath(entity)+"?"+string(p.Query()), http.StatusSeeOther)
		return nil
	}
}

func (s *server) deleteView(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Views.DeleteView(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(r.PostFormValue("return"), "/contacts"), http.StatusSeeOther)
	return nil
}

func listPath(entity string) string {
	if entity == "company" {
		return "/companies"
	}
	return "/contacts"
}

// pathID reads the {id} of the route; anything but a positive integer is
// a page that does not exist.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Errorf(crm.ENOTFOUND, "not found")
	}
	return id, nil
}
