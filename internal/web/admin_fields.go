package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

type fieldsPage struct {
	Contact []*crm.CustomField
	Company []*crm.CustomField
}

func (s *server) fieldsView(r *http.Request, vals url.Values) (*view, error) {
	var fp fieldsPage
	var err error
	if fp.Contact, err = s.svc.CustomFields.FindCustomFields(r.Context(), "contact"); err != nil {
		return nil, err
	}
	if fp.Company, err = s.svc.CustomFields.FindCustomFields(r.Context(), "company"); err != nil {
		return nil, err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.fields")
	v.Form = newForm(vals)
	v.Data = fp
	return v, nil
}

func (s *server) adminFields(w http.ResponseWriter, r *http.Request) error {
	v, err := s.fieldsView(r, url.Values{"entity": {"contact"}, "type": {"text"}})
	if err != nil {
		return err
	}
	return s.ok(w, r, "admin_fields", v)
}

// fieldInput reads label, options, required and position; entity, key and
// type only when creating, because stored values refer to them.
func fieldInput(f url.Values, create bool) (crm.CustomFieldInput, error) {
	label := f.Get("label")
	opts := lines(f.Get("options"))
	required := f.Get("required") == "true"
	in := crm.CustomFieldInput{Label: &label, Options: &opts, Required: &required}
	if p := strings.TrimSpace(f.Get("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			var v crm.Validation
			v.Add("position", "out_of_range")
			return in, v.Err()
		}
		in.Position = &n
	}
	if create {
		entity, key, typ := f.Get("entity"), strings.TrimSpace(f.Get("key")), f.Get("type")
		in.Entity, in.Key, in.Type = &entity, &key, &typ
	}
	return in, nil
}

func (s *server) adminFieldCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := fieldInput(r.PostForm, true)
	if err == nil {
		_, err = s.svc.CustomFields.CreateCustomField(r.Context(), in)
	}
	if err != nil {
		v, verr := s.fieldsView(r, r.PostForm)
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_fields", v)
	}
	http.Redirect(w, r, "/admin/fields", http.StatusSeeOther)
	return nil
}

func (s *server) adminFieldUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in, err := fieldInput(r.PostForm, false)
	if err != nil {
		return err
	}
	if _, err := s.svc.CustomFields.UpdateCustomField(r.Context(), id, in); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/fields", http.StatusSeeOther)
	return nil
}

func (s *server) adminFieldDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.svc.CustomFields.FindCustomFieldByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.fields.delete_title")
	v.Data = confirmPage{Message: v.L.T("console.fields.delete_confirm", d.Label), Detail: []string{d.Key},
		Action: "/admin/fields/" + strconv.FormatInt(id, 10) + "/delete", Submit: v.L.T("console.delete"),
		Cancel: "/admin/fields", Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) adminFieldDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.CustomFields.DeleteCustomField(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/fields", http.StatusSeeOther)
	return nil
}
