package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// contactForm is the data of the new/edit contact page.
type contactForm struct {
	Contact   *crm.Contact // nil when new
	Defs      []*crm.CustomField
	Users     []*crm.User
	Companies []*crm.Company
	CanAssign bool
}

// contactValues fills a form from a stored contact.
func contactValues(c *crm.Contact) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "email": c.Email,
		"phone": c.Phone, "title": c.Title, "street": c.Street, "city": c.City, "region": c.Region,
		"postal_code": c.PostalCode, "country": c.Country, "birth_date": c.BirthDate, "language": c.Language,
		"stage": c.Stage, "source": c.Source, "tags": strings.Join(c.Tags, ", ")} {
		v.Set(k, val)
	}
	v.Set("emails", strings.Join(without(c.Emails, c.Email), "\n"))
	v.Set("phones", strings.Join(without(c.Phones, c.Phone), "\n"))
	if c.CompanyID != nil {
		v.Set("company_id", strconv.FormatInt(*c.CompanyID, 10))
	}
	if c.OwnerID != nil {
		v.Set("owner_id", strconv.FormatInt(*c.OwnerID, 10))
	}
	for k, val := range c.Custom {
		v["cf."+k] = customFormValues(val)
	}
	return v
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// contactInput reads a posted form. Only the fields named here are read,
// so posting id, created_at or role does nothing; owner_id is read only for
// actors allowed to assign owners.
func contactInput(f url.Values, defs []*crm.CustomField, a *crm.Actor, create bool) crm.ContactInput {
	str := func(k string) *string { s := f.Get(k); return &s }
	in := crm.ContactInput{FirstName: str("first_name"), LastName: str("last_name"), Email: str("email"),
		Phone: str("phone"), Title: str("title"), Street: str("street"), City: str("city"), Region: str("region"),
		PostalCode: str("postal_code"), Country: str("country"), BirthDate: str("birth_date"),
		Language: str("language"), Stage: str("stage"), Source: str("source")}
	emails, phones, tags := lines(f.Get("emails")), lines(f.Get("phones")), splitTags(f.Get("tags"))
	in.Emails, in.Phones, in.Tags = &emails, &phones, &tags
	if id, err := strconv.ParseInt(f.Get("company_id"), 10, 64); err == nil && id > 0 {
		in.CompanyID = &id
	}
	if !a.Restricted() {
		if id, err := strconv.ParseInt(f.Get("owner_id"), 10, 64); err == nil && id > 0 {
			in.OwnerID = &id
		}
	}
	in.Custom = customInput(f, defs, create)
	return in
}

// lines splits a textarea into trimmed non-empty lines.
func lines(s string) []string {
	out := []string{}
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func splitTags(s string) []string {
	out := []string{}
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// customInput reads cf.<key> fields. An emptied field is sent as nil so an
// edit can clear it; unchecked checkboxes are told apart from fields the
// form did not show by the cf.<key>.shown marker.
func customInput(f url.Values, defs []*crm.CustomField, create bool) map[string]any {
	out := map[string]any{}
	for _, d := range defs {
		name := "cf." + d.Key
		if f.Get(name+".shown") == "" {
			continue
		}
		var val any
		switch d.Type {
		case "multi_select":
			if vs := f[name]; len(vs) > 0 {
				val = vs
			}
		case "boolean":
			val = f.Get(name) == "true"
		default:
			if s := strings.TrimSpace(f.Get(name)); s != "" {
				val = s
			}
		}
		if val == nil && create {
			if d.Required {
				out[d.Key] = "" // lets validation report "required"
			}
			continue
		}
		out[d.Key] = val
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *server) contactFormView(r *http.Request, c *crm.Contact, vals url.Values) (*view, error) {
	ctx := r.Context()
	cf := contactForm{Contact: c, CanAssign: !stateOf(r).actor.Restricted()}
	var err error
	if cf.Defs, err = s.svc.CustomFields.FindCustomFields(ctx, "contact"); err != nil {
		return nil, err
	}
	if cf.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return nil, err
	}
	if stateOf(r).actor.Can(crm.P(crm.ResCompanies, crm.Read)) {
		page, err := s.svc.Companies.FindCompanies(ctx, crm.CompanyFilter{Limit: 500})
		if err != nil {
			return nil, err
		}
		cf.Companies = page.Items
		if c != nil && c.CompanyID != nil && !hasCompany(cf.Companies, *c.CompanyID) {
			cf.Companies = append(cf.Companies, &crm.Company{ID: *c.CompanyID, Name: c.CompanyName})
		}
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("console.contact.new")
	if c != nil {
		v.Title = v.L.T("console.contact.edit", c.Name())
	}
	v.Form = newForm(vals)
	v.Data = cf
	return v, nil
}

func hasCompany(list []*crm.Company, id int64) bool {
	for _, c := range list {
		if c.ID == id {
			return true
		}
	}
	return false
}

func (s *server) contactNew(w http.ResponseWriter, r *http.Request) error {
	vals := url.Values{"stage": {"lead"}}
	if id := r.URL.Query().Get("company_id"); id != "" {
		vals.Set("company_id", id)
	}
	v, err := s.contactFormView(r, nil, vals)
	if err != nil {
		return err
	}
	return s.ok(w, r, "contact_form", v)
}

func (s *server) contactCreate(w http.ResponseWriter, r *http.Request) error {
	v, err := s.contactFormView(r, nil, r.PostForm)
	if err != nil {
		return err
	}
	in := contactInput(r.PostForm, v.Data.(contactForm).Defs, stateOf(r).actor, true)
	c, err := s.svc.Contacts.CreateContact(r.Context(), in)
	if err != nil {
		return redisplay(err, "contact_form", v)
	}
	http.Redirect(w, r, "/contacts/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *server) contactEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathContact(r)
	if err != nil {
		return err
	}
	v, err := s.contactFormView(r, c, contactValues(c))
	if err != nil {
		return err
	}
	return s.ok(w, r, "contact_form", v)
}

func (s *server) contactUpdate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathContact(r)
	if err != nil {
		return err
	}
	v, err := s.contactFormView(r, c, r.PostForm)
	if err != nil {
		return err
	}
	in := contactInput(r.PostForm, v.Data.(contactForm).Defs, stateOf(r).actor, false)
	if _, err := s.svc.Contacts.UpdateContact(r.Context(), c.ID, in); err != nil {
		return redisplay(err, "contact_form", v)
	}
	http.Redirect(w, r, "/contacts/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *server) pathContact(r *http.Request) (*crm.Contact, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Contacts.FindContactByID(r.Context(), id)
}

func (s *server) contactDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathContact(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("console.contact.delete_title")
	path := "/contacts/" + strconv.FormatInt(c.ID, 10)
	v.Data = confirmPage{Message: v.L.T("console.contact.delete_confirm", c.Name()), Action: path + "/delete",
		Submit: v.L.T("console.delete"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) contactDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Contacts.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	return nil
}

// contactMergeConfirm shows the two contacts before other_id is folded
// into this one.
func (s *server) contactMergeConfirm(w http.ResponseWriter, r *http.Request) error {
	keep, err := s.pathContact(r)
	if err != nil {
		return err
	}
	otherID, err := strconv.ParseInt(r.URL.Query().Get("other_id"), 10, 64)
	if err != nil {
		return crm.Errorf(crm.ENOTFOUND, "no such contact")
	}
	other, err := s.svc.Contacts.FindContactByID(r.Context(), otherID)
	if err != nil {
		return err
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("console.merge.title")
	path := "/contacts/" + strconv.FormatInt(keep.ID, 10)
	v.Data = confirmPage{Message: v.L.T("console.merge.confirm", other.Name(), keep.Name()),
		Detail: []string{other.Name() + " · " + other.Email, keep.Name() + " · " + keep.Email},
		Action: path + "/merge", Hidden: url.Values{"other_id": {strconv.FormatInt(other.ID, 10)}},
		Submit: v.L.T("console.merge.submit"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) contactMerge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	otherID, err := strconv.ParseInt(r.PostFormValue("other_id"), 10, 64)
	if err != nil {
		return crm.Errorf(crm.EINVALID, "bad contact id")
	}
	if _, err := s.svc.Contacts.MergeContacts(r.Context(), id, otherID); err != nil {
		return err
	}
	http.Redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
