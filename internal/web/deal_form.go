package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/ecrm/ecrm/internal/crm"
)

type dealFormPage struct {
	dealFmt
	Deal      *crm.Deal // nil when new
	Pipelines []*crm.Pipeline
	Users     []*crm.User
	CanAssign bool
	v         *view
	srv       *server
}

// The form lives in templates/deal_parts/form.html, outside the page
// sets, so the form page and the deal page show the same form.
var (
	dealFormOnce sync.Once
	dealFormTmpl *template.Template
	dealFormErr  error
)

// FormHTML renders the form with the view's values and errors as they are
// when the page is written (after redisplay has added the errors).
func (p dealFormPage) FormHTML() (template.HTML, error) {
	dealFormOnce.Do(func() {
		dealFormTmpl, dealFormErr = template.New("form.html").Funcs(funcs(p.srv.assets)).
			ParseFS(templateFS, "templates/partials.html", "templates/deal_parts/form.html")
	})
	if dealFormErr != nil {
		return "", dealFormErr
	}
	var buf bytes.Buffer
	if err := dealFormTmpl.ExecuteTemplate(&buf, "deal-form", p.v); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// dealValues fills the form from a deal; amounts are in major units.
func dealValues(d *crm.Deal) url.Values {
	v := url.Values{}
	v.Set("title", d.Title)
	v.Set("stage_id", strconv.FormatInt(d.StageID, 10))
	v.Set("currency", d.Currency)
	v.Set("amount", majorText(d.Amount, d.Currency))
	v.Set("expected_close", d.ExpectedClose)
	v.Set("lost_reason", d.LostReason)
	if d.ProbabilitySet {
		v.Set("probability", strconv.Itoa(d.Probability))
	}
	for k, p := range map[string]*int64{"owner_id": d.OwnerID, "contact_id": d.ContactID, "company_id": d.CompanyID} {
		if p != nil {
			v.Set(k, strconv.FormatInt(*p, 10))
		}
	}
	var lines []string
	for _, l := range d.Lines {
		s := l.SKU + " " + strconv.FormatInt(l.Quantity, 10)
		if l.Discount > 0 {
			s += " " + majorText(l.Discount, d.Currency)
		}
		lines = append(lines, s)
	}
	v.Set("lines", strings.Join(lines, "\n"))
	return v
}

// dealInput reads a posted deal form. The stage select names the
// pipeline too; blank id fields clear the link on edit.
func dealInput(f url.Values, a *crm.Actor, pipelines []*crm.Pipeline, create bool) (crm.DealInput, error) {
	var v crm.Validation
	str := func(k string) *string { s := strings.TrimSpace(f.Get(k)); return &s }
	in := crm.DealInput{Title: str("title"), Currency: str("currency"), ExpectedClose: str("expected_close"), LostReason: str("lost_reason")}
	cur, _ := crm.NormalizeCurrency(*in.Currency)
	if id, err := parseInt(f.Get("stage_id")); err == nil && id > 0 {
		in.StageID = &id
		// The stage select spans pipelines: the deal goes to the stage's.
		for _, p := range pipelines {
			if p.Stage(id) != nil {
				in.PipelineID = &p.ID
			}
		}
	}
	if p := strings.TrimSpace(f.Get("probability")); p != "" {
		n, err := parseInt(p)
		if err != nil {
			v.Add("probability", "out_of_range")
		}
		pi := int(n)
		in.Probability = &pi
	} else if !create {
		stageDefault := -1
		in.Probability = &stageDefault
	}
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"contact_id", &in.ContactID}, {"company_id", &in.CompanyID}, {"owner_id", &in.OwnerID}} {
		if ref.name == "owner_id" && a.Restricted() {
			continue
		}
		s := strings.TrimSpace(f.Get(ref.name))
		switch n, err := parseInt(s); {
		case s == "" && !create:
			*ref.dst = new(int64)
		case s == "":
		case err != nil || n < 0:
			v.Add(ref.name, "out_of_range")
		default:
			*ref.dst = &n
		}
	}
	lines := parseDealLines(&v, f.Get("lines"), cur)
	if len(lines) > 0 || !create {
		in.Lines = &lines
	}
	if len(lines) == 0 {
		if amount, ok := parseMajor(f.Get("amount"), cur); ok {
			in.Amount = &amount
		} else {
			v.Add("amount", "out_of_range")
		}
	}
	return in, v.Err()
}

// parseDealLines reads "SKU quantity [discount]" lines.
func parseDealLines(v *crm.Validation, text, currency string) []crm.DealLineInput {
	out := []crm.DealLineInput{}
	for i, line := range strings.Split(text, "\n") {
		parts := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' || r == '\r' })
		if len(parts) == 0 {
			continue
		}
		l := crm.DealLineInput{SKU: parts[0], Quantity: 1}
		ok := len(parts) <= 3
		if len(parts) > 1 {
			q, err := parseInt(parts[1])
			l.Quantity, ok = q, ok && err == nil
		}
		if len(parts) > 2 {
			d, good := parseMajor(parts[2], currency)
			l.Discount, ok = d, ok && good
		}
		if !ok {
			v.Add("lines", "invalid_lines_at", i+1)
			continue
		}
		out = append(out, l)
	}
	return out
}

// foldLineErrors shows errors of single lines ("lines[2].sku") under the
// lines field, numbered as the reader counts.
func foldLineErrors(f *form) {
	for k, msgs := range f.Errors {
		rest, ok := strings.CutPrefix(k, "lines[")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ']')])
		for _, m := range msgs {
			f.Errors["lines"] = append(f.Errors["lines"], fmt.Sprintf("%d: %s", n+1, m))
		}
		delete(f.Errors, k)
	}
}

func (s *server) dealFormView(r *http.Request, d *crm.Deal, vals url.Values) (*view, error) {
	ctx := r.Context()
	p := dealFormPage{dealFmt: s.dealFmt(r), Deal: d, CanAssign: !stateOf(r).actor.Restricted()}
	var err error
	if p.Pipelines, err = s.svc.Pipelines.FindPipelines(ctx); err != nil {
		return nil, err
	}
	if p.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return nil, err
	}
	v := s.newView(r, "deals")
	v.Title = v.L.T("deals.new")
	if d != nil {
		v.Title = v.L.T("deals.edit_title", d.Title)
	}
	v.Form = newForm(vals)
	p.v, p.srv = v, s
	v.Data = p
	return v, nil
}

func (s *server) dealNew(w http.ResponseWriter, r *http.Request) error {
	vals := url.Values{"currency": {"EUR"}}
	if set, err := s.svc.Facts.ShopSettings(r.Context()); err == nil && set.Currency != "" {
		vals.Set("currency", set.Currency)
	}
	// Arriving from a contact or company page links the deal to it.
	for _, k := range []string{"contact_id", "company_id", "stage_id"} {
		if id, err := strconv.ParseInt(r.URL.Query().Get(k), 10, 64); err == nil && id > 0 {
			vals.Set(k, strconv.FormatInt(id, 10))
		}
	}
	v, err := s.dealFormView(r, nil, vals)
	if err != nil {
		return err
	}
	return s.ok(w, r, "deal_form", v)
}

func (s *server) dealCreate(w http.ResponseWriter, r *http.Request) error {
	v, err := s.dealFormView(r, nil, r.PostForm)
	if err != nil {
		return err
	}
	in, err := dealInput(r.PostForm, stateOf(r).actor, v.Data.(dealFormPage).Pipelines, true)
	if err == nil {
		var d *crm.Deal
		if d, err = s.svc.Deals.CreateDeal(r.Context(), in); err == nil {
			http.Redirect(w, r, "/deals/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
			return nil
		}
	}
	err = redisplay(err, "deal_form", v)
	foldLineErrors(v.Form)
	return err
}

func (s *server) dealEdit(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	v, err := s.dealFormView(r, d, dealValues(d))
	if err != nil {
		return err
	}
	return s.ok(w, r, "deal_form", v)
}

func (s *server) dealUpdate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	v, err := s.dealFormView(r, d, r.PostForm)
	if err != nil {
		return err
	}
	in, err := dealInput(r.PostForm, stateOf(r).actor, v.Data.(dealFormPage).Pipelines, false)
	if err == nil {
		if _, err = s.svc.Deals.UpdateDeal(r.Context(), d.ID, in); err == nil {
			http.Redirect(w, r, "/deals/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
			return nil
		}
	}
	err = redisplay(err, "deal_form", v)
	foldLineErrors(v.Form)
	return err
}
