package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

type companyForm struct {
	Company   *crm.Company // nil when new
	Defs      []*crm.CustomField
	Users     []*crm.User
	CanAssign bool
}

func companyValues(c *crm.Company) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"name": c.Name, "domain": c.Domain, "industry": c.Industry,
		"phone": c.Phone, "street": c.Street, "city": c.City, "region": c.Region, "country": c.Country,
		"tags": strings.Join(c.Tags, ", ")} {
		v.Set(k, val)
	}
	if c.Size > 0 {
		v.Set("size", strconv.Itoa(c.Size))
	}
	if c.OwnerID != nil {
		v.Set("owner_id", strconv.FormatInt(*c.OwnerID, 10))
	}
	for k, val := range c.Custom {
		v["cf."+k] = customFormValues(val)
	}
	return v
}

// companyInput reads a posted company form; like contactInput it reads
// only the fields it names.
func companyInput(f url.Values, defs []*crm.CustomField, a *crm.Actor, create bool) (crm.CompanyInput, error) {
	str := func(k string) *string { s := f.Get(k); return &s }
	in := crm.CompanyInput{Name: str("name"), Domain: str("domain"), Industry: str("industry"), Phone: str("phone"),
		Street: str("street"), City: str("city"), Region: str("region"), Country: str("country")}
	tags := splitTags(f.Get("tags"))
	in.Tags = &tags
	size := 0
	if s := strings.TrimSpace(f.Get("size")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			var v crm.Validation
			v.Add("size", "out_of_range")
			return in, v.Err()
		}
		size = n
	}
	in.Size = &size
	if !a.Restricted() {
		if id, err := strconv.ParseInt(f.Get("owner_id"), 10, 64); err == nil && id > 0 {
			in.OwnerID = &id
		}
	}
	in.Custom = customInput(f, defs, create)
	return in, nil
}

func (s *server) companyFormView(r *http.Request, c *crm.Company, vals url.Values) (*view, error) {
	cf := companyForm{Company: c, CanAssign: !stateOf(r).actor.Restricted()}
	var err error
	if cf.Defs, err = s.svc.CustomFields.FindCustomFields(r.Context(), "company"); err != nil {
		return nil, err
	}
	if cf.Users, err = s.svc.Users.FindUsers(r.Context()); err != nil {
		return nil, err
	}
	v := s.newView(r, "companies")
	v.Title = v.L.T("console.company.new")
	if c != nil {
		v.Title = v.L.T("console.company.edit", c.Name)
	}
	v.Form = newForm(vals)
	v.Data = cf
	return v, nil
}

func (s *server) companyNew(w http.ResponseWriter, r *http.Request) error {
	v, err := s.companyFormView(r, nil, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "company_form", v)
}

func (s *server) companyCreate(w http.ResponseWriter, r *http.Request) error {
	v, err := s.companyFormView(r, nil, r.PostForm)
	if err != nil {
		return err
	}
	in, err := companyInput(r.PostForm, v.Data.(companyForm).Defs, stateOf(r).actor, true)
	if err != nil {
		return redisplay(err, "company_form", v)
	}
	c, err := s.svc.Companies.CreateCompany(r.Context(), in)
	if err != nil {
		return redisplay(err, "company_form", v)
	}
	http.Redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *server) companyEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCompany(r)
	if err != nil {
		return err
	}
	v, err := s.companyFormView(r, c, companyValues(c))
	if err != nil {
		return err
	}
	return s.ok(w, r, "company_form", v)
}

func (s *server) companyUpdate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCompany(r)
	if err != nil {
		return err
	}
	v, err := s.companyFormView(r, c, r.PostForm)
	if err != nil {
		return err
	}
	in, err := companyInput(r.PostForm, v.Data.(companyForm).Defs, stateOf(r).actor, false)
	if err != nil {
		return redisplay(err, "company_form", v)
	}
	if _, err := s.svc.Companies.UpdateCompany(r.Context(), c.ID, in); err != nil {
		return redisplay(err, "company_form", v)
	}
	http.Redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}
