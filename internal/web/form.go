package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// The forms console (marketing): the list with views, submissions and
// conversion, the builder, and per form its embed code and submissions.
// The builder works without JavaScript: adding, removing and moving a
// field posts the whole form back with an op and redisplays it unsaved.

type formsPage struct {
	Forms []*crm.Form
}

func (s *server) formList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Forms.FindForms(r.Context(), "")
	if err != nil {
		return err
	}
	v := s.newView(r, "forms")
	v.Title = v.L.T("forms.title")
	v.Data = formsPage{Forms: list}
	return s.ok(w, r, "forms", v)
}

// consentRow is one topic in the builder: whether the form asks it, and
// the words.
type consentRow struct {
	Purpose, Channel, Key string
	On                    bool
	Wording               string
	Version               int
	ErrKey                string
}

type mapOption struct{ Value, Label string }

type formEditPage struct {
	F        *crm.Form // nil while creating
	Fields   []crm.FormField
	Topics   []consentRow
	Users    []*crm.User
	Maps     []mapOption
	Types    []string
	Versions []*crm.FormConsentVersion
	Action   string
	Langs    []string
	Statuses []string
}

// IsLast reports whether row i is the last field (no "move down").
func (p formEditPage) IsLast(i int) bool { return i == len(p.Fields)-1 }

// FieldErr is the error key of field i's property, for the template.
func (formEditPage) FieldErr(i int, prop string) string {
	return "fields[" + strconv.Itoa(i) + "]." + prop
}

// OptionsText writes a field's options one per line for the textarea.
func (formEditPage) OptionsText(f crm.FormField) string { return strings.Join(f.Options, "\n") }

func (s *server) formEditView(r *http.Request, f *crm.Form, vals url.Values, fields []crm.FormField, consents []crm.FormConsent) (*view, error) {
	ctx := r.Context()
	v := s.newView(r, "forms")
	p := formEditPage{F: f, Fields: fields, Types: crm.FormFieldTypes, Action: "/forms", Langs: crm.Languages, Statuses: crm.FormStatuses}
	var err error
	if p.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return nil, err
	}
	defs, err := s.svc.CustomFields.FindCustomFields(ctx, "contact")
	if err != nil {
		return nil, err
	}
	p.Maps = append(p.Maps, mapOption{"", v.L.T("forms.builder.maps_none")})
	for _, m := range crm.FormContactFields {
		p.Maps = append(p.Maps, mapOption{m, v.L.T("forms.maps." + m)})
	}
	for _, d := range defs {
		p.Maps = append(p.Maps, mapOption{"custom." + d.Key, d.Label})
	}
	i := 0
	for _, t := range crm.ConsentTopics {
		row := consentRow{Purpose: t.Purpose, Channel: t.Channel, Key: t.Purpose + "." + t.Channel}
		for _, c := range consents {
			if c.Purpose == t.Purpose && c.Channel == t.Channel {
				row.On, row.Wording, row.Version = true, c.Wording, c.Version
				row.ErrKey = "consents[" + strconv.Itoa(i) + "].wording"
				i++
			}
		}
		p.Topics = append(p.Topics, row)
	}
	if f != nil {
		v.Title = v.L.T("forms.edit_title", f.Name)
		p.Action = "/forms/" + strconv.FormatInt(f.ID, 10)
		if p.Versions, err = s.svc.Forms.FormConsentVersions(ctx, f.ID); err != nil {
			return nil, err
		}
	} else {
		v.Title = v.L.T("forms.new")
	}
	v.Form = newForm(vals)
	v.Data = p
	return v, nil
}

// formValues are the builder's plain inputs for a stored form.
func formValues(f *crm.Form) url.Values {
	vals := url.Values{"name": {f.Name}, "slug": {f.Slug}, "status": {f.Status}, "language": {f.Language}, "title": {f.Title},
		"intro": {f.Intro}, "submit_label": {f.SubmitLabel}, "success_message": {f.SuccessMessage}, "redirect_url": {f.RedirectURL}}
	if f.DoubleOptIn {
		vals.Set("double_opt_in", "1")
	}
	if f.OwnerID != nil {
		vals.Set("owner_id", strconv.FormatInt(*f.OwnerID, 10))
	}
	return vals
}

func (s *server) formNew(w http.ResponseWriter, r *http.Request) error {
	vals := url.Values{"status": {crm.FormActive}, "double_opt_in": {"1"}}
	if u := stateOf(r).user; u != nil {
		vals.Set("owner_id", strconv.FormatInt(u.ID, 10))
		vals.Set("language", u.Language)
	}
	fields := []crm.FormField{
		{Name: "first_name", Label: "First name", Maps: "first_name", Type: crm.FieldText},
		{Name: "email", Label: "Email", Maps: "email", Type: crm.FieldEmail, Required: true},
	}
	consents := []crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: ""}}
	v, err := s.formEditView(r, nil, vals, fields, consents)
	if err != nil {
		return err
	}
	return s.ok(w, r, "form_edit", v)
}

func (s *server) formEdit(w http.ResponseWriter, r *http.Request) error {
	f, err := s.pathForm(r)
	if err != nil {
		return err
	}
	v, err := s.formEditView(r, f, formValues(f), f.Fields, f.Consents)
	if err != nil {
		return err
	}
	return s.ok(w, r, "form_edit", v)
}

func (s *server) pathForm(r *http.Request) (*crm.Form, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Forms.FindFormByID(r.Context(), id)
}

// builderInput reads the builder: plain inputs, the field rows as
// parallel lists, and one wording box per consent topic.
func builderInput(vals url.Values) (crm.FormInput, []crm.FormField, []crm.FormConsent) {
	at := func(k string, i int) string {
		if list := vals[k]; i < len(list) {
			return list[i]
		}
		return ""
	}
	var fields []crm.FormField
	for i := range vals["field_label"] {
		f := crm.FormField{Name: at("field_name", i), Label: at("field_label", i), Maps: at("field_maps", i), Type: at("field_type", i),
			Required: at("field_required", i) == "1", Help: at("field_help", i)}
		f.MaxLength, _ = strconv.Atoi(strings.TrimSpace(at("field_max", i)))
		for o := range strings.SplitSeq(at("field_options", i), "\n") {
			if o = strings.TrimSpace(o); o != "" {
				f.Options = append(f.Options, o)
			}
		}
		fields = append(fields, f)
	}
	consents := []crm.FormConsent{}
	for _, t := range crm.ConsentTopics {
		key := t.Purpose + "." + t.Channel
		if vals.Get("consent_on."+key) == "1" {
			consents = append(consents, crm.FormConsent{Purpose: t.Purpose, Channel: t.Channel, Wording: vals.Get("consent_wording." + key)})
		}
	}
	str := func(k string) *string { s := vals.Get(k); return &s }
	doi := vals.Get("double_opt_in") == "1"
	in := crm.FormInput{Name: str("name"), Slug: str("slug"), Status: str("status"), Language: str("language"), Title: str("title"),
		Intro: str("intro"), SubmitLabel: str("submit_label"), SuccessMessage: str("success_message"), RedirectURL: str("redirect_url"),
		DoubleOptIn: &doi, Fields: &fields, Consents: &consents}
	owner, _ := strconv.ParseInt(vals.Get("owner_id"), 10, 64)
	in.OwnerID = &owner
	return in, fields, consents
}

// builderOp applies an add/remove/move request to the field rows; it
// reports false for "save".
func builderOp(op string, fields []crm.FormField) ([]crm.FormField, bool) {
	name, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	ok := err == nil && i >= 0 && i < len(fields)
	switch name {
	case "add":
		if len(fields) < crm.MaxFormFields {
			fields = append(fields, crm.FormField{Type: crm.FieldText})
		}
	case "remove":
		if ok {
			fields = append(fields[:i], fields[i+1:]...)
		}
	case "up":
		if ok && i > 0 {
			fields[i-1], fields[i] = fields[i], fields[i-1]
		}
	case "down":
		if ok && i+1 < len(fields) {
			fields[i+1], fields[i] = fields[i], fields[i+1]
		}
	default:
		return fields, false
	}
	return fields, true
}

func (s *server) formCreate(w http.ResponseWriter, r *http.Request) error {
	return s.formSave(w, r, nil)
}

func (s *server) formUpdate(w http.ResponseWriter, r *http.Request) error {
	f, err := s.pathForm(r)
	if err != nil {
		return err
	}
	return s.formSave(w, r, f)
}

func (s *server) formSave(w http.ResponseWriter, r *http.Request, f *crm.Form) error {
	r.ParseForm()
	in, fields, consents := builderInput(r.PostForm)
	if rows, edited := builderOp(r.PostForm.Get("op"), fields); edited {
		if f != nil {
			for i, c := range consents {
				for _, old := range f.Consents {
					if old.Purpose == c.Purpose && old.Channel == c.Channel {
						consents[i].Version = old.Version
					}
				}
			}
		}
		v, err := s.formEditView(r, f, r.PostForm, rows, consents)
		if err != nil {
			return err
		}
		return s.ok(w, r, "form_edit", v)
	}
	var saved *crm.Form
	var err error
	if f == nil {
		saved, err = s.svc.Forms.CreateForm(r.Context(), in)
	} else {
		saved, err = s.svc.Forms.UpdateForm(r.Context(), f.ID, in)
	}
	if err != nil {
		v, verr := s.formEditView(r, f, r.PostForm, fields, consents)
		if verr != nil {
			return verr
		}
		return redisplay(err, "form_edit", v)
	}
	http.Redirect(w, r, "/forms/"+strconv.FormatInt(saved.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

type formShowPage struct {
	F         *crm.Form
	Subs      crm.Page[*crm.FormSubmission]
	Status    string
	Statuses  []string
	HostedURL string
	Embed     string
	NextURL   template.URL
	Versions  []*crm.FormConsentVersion
	// DefaultURL: no public address is set, so the links point at
	// crm.DefaultPublicURL and will not work from other machines.
	DefaultURL bool
}

// Answer is a submission's value of field f as text.
func (formShowPage) Answer(s *crm.FormSubmission, name string) string {
	v, ok := s.Values[name]
	if !ok {
		return ""
	}
	return answerString(v)
}

func (s *server) formShow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.pathForm(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := formShowPage{F: f, Status: q.Get("status"), Statuses: crm.SubmissionStatuses}
	if p.Subs, err = s.svc.Forms.FindFormSubmissions(r.Context(), crm.FormSubmissionFilter{FormID: f.ID, Status: p.Status, After: q.Get("after"), Limit: 50}); err != nil {
		return err
	}
	if p.Versions, err = s.svc.Forms.FormConsentVersions(r.Context(), f.ID); err != nil {
		return err
	}
	base := s.svc.Links.PublicURL(r.Context())
	p.HostedURL, p.DefaultURL = base+"/f/"+f.Slug, base == crm.DefaultPublicURL
	p.Embed = `<script src="` + base + `/f/` + f.Slug + `/embed.js" async></script>`
	if p.Subs.Next != "" {
		p.NextURL = "?" + withParam(r.URL.Query(), "after", p.Subs.Next)
	}
	v := s.newView(r, "forms")
	v.Title = f.Name
	if q.Get("done") == "saved" {
		v.Message = v.L.T("forms.saved")
	}
	v.Data = p
	return s.ok(w, r, "form_show", v)
}

func (s *server) formDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	f, err := s.pathForm(r)
	if err != nil {
		return err
	}
	path := "/forms/" + strconv.FormatInt(f.ID, 10)
	v := s.newView(r, "forms")
	v.Title = v.L.T("forms.delete_title")
	msg := v.L.T("forms.delete_confirm", f.Name)
	if f.Submissions > 0 {
		msg = v.L.T("forms.archive_confirm", f.Name, f.Submissions)
	}
	v.Data = confirmPage{Message: msg, Action: path + "/delete", Submit: v.L.T("console.delete"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

// formDelete deletes a form without submissions and archives one with
// them: the submissions are the record of what people agreed to.
func (s *server) formDelete(w http.ResponseWriter, r *http.Request) error {
	f, err := s.pathForm(r)
	if err != nil {
		return err
	}
	if f.Submissions > 0 {
		archived := crm.FormArchived
		if _, err := s.svc.Forms.UpdateForm(r.Context(), f.ID, crm.FormInput{Status: &archived}); err != nil {
			return err
		}
		http.Redirect(w, r, "/forms/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
		return nil
	}
	if err := s.svc.Forms.DeleteForm(r.Context(), f.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/forms", http.StatusSeeOther)
	return nil
}
