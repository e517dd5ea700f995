package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// Sending surveys from the console: to one contact from the 360 page
// (the block in partials_surveys.html), or to every contact a contacts
// list filter matches (/surveys/send, linked from the contacts list with
// the list's query).

// contactSurveys is the 360 page's surveys block: the contact's answers
// and, for those who may send, the active surveys to send.
type contactSurveys struct {
	L         *i18n.Locale
	CSRF      string
	CanSend   bool
	ContactID int64
	HasEmail  bool
	Rows      []contactSurveyRow
	Active    []*crm.Survey
	Report    *crm.SurveySendReport
}

type contactSurveyRow struct {
	Survey *crm.Survey
	responseRow
}

// contactSurveySection loads the block; it is empty for roles that
// cannot read surveys.
func (s *server) contactSurveySection(r *http.Request, c *crm.Contact) (*contactSurveys, error) {
	st := stateOf(r)
	if !st.actor.Can(crm.P(crm.ResSurveys, crm.Read)) {
		return nil, nil
	}
	ctx := r.Context()
	b := &contactSurveys{L: st.locale, CanSend: st.actor.Can(crm.P(crm.ResSurveys, crm.Write)), ContactID: c.ID, HasEmail: c.Email != ""}
	if st.session != nil {
		b.CSRF = st.session.CSRF
	}
	list, err := s.svc.Surveys.FindSurveys(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*crm.Survey{}
	for _, sv := range list {
		byID[sv.ID] = sv
		if sv.Status == crm.SurveyActive {
			b.Active = append(b.Active, sv)
		}
	}
	resp, err := s.svc.Surveys.FindContactSurveyResponses(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range resp {
		if sv := byID[x.SurveyID]; sv != nil {
			b.Rows = append(b.Rows, contactSurveyRow{Survey: sv, responseRow: responseRowOf(st.locale, sv, x)})
		}
	}
	return b, nil
}

// contactSurveySend sends one survey to the contact of the page; htmx
// swaps the block with the report in it.
func (s *server) contactSurveySend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sid, err := strconv.ParseInt(r.PostFormValue("survey_id"), 10, 64)
	if err != nil || sid <= 0 {
		var v crm.Validation
		v.Add("survey_id", "required")
		return v.Err()
	}
	rep, err := s.svc.Surveys.SendSurvey(r.Context(), sid, []int64{id})
	if err != nil {
		return err
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
	c, err := s.svc.Contacts.FindContactByID(r.Context(), id)
	if err != nil {
		return err
	}
	b, err := s.contactSurveySection(r, c)
	if err != nil {
		return err
	}
	b.Report = rep
	s.renderFragment(w, r, http.StatusOK, "contact", "contact-surveys", b)
	return nil
}

// surveySendPage sends a survey to a contacts list: the filter comes as
// the contacts list's query, is shown as the number of contacts it
// matches, and is sent back hidden with the chosen survey.
type surveySendPage struct {
	Query      string
	Hidden     url.Values
	Matched    string
	Active     []*crm.Survey
	Report     *crm.SurveySendReport
	Skipped    []skipRow
	Survey     *crm.Survey
	SurveyName string
	Sent       string
	Capped     string
	Cap        string
}

type skipRow struct{ Reason, Count string }

// listFilterKeys are the contacts list parameters a send carries; the
// page's own fields (survey_id, _csrf) and the list's display options
// are not part of the filter.
func listFilter(vals url.Values) url.Values {
	out := url.Values{}
	for k, vs := range vals {
		if k == "survey_id" || k == "_csrf" || k == "col" || k == "after" || k == "sort" {
			continue
		}
		out[k] = vs
	}
	return out
}

func (s *server) surveySendView(r *http.Request, vals url.Values) (*view, surveySendPage, error) {
	ctx := r.Context()
	defs, err := s.svc.CustomFields.FindCustomFields(ctx, "contact")
	if err != nil {
		return nil, surveySendPage{}, err
	}
	filter := listFilter(vals)
	lp := parseList("contact", filter, defs)
	lp.Digits = s.shopDigits(r)
	f := lp.contactFilter(stateOf(r).actor)
	f.Limit, f.WithTotal = 1, true
	page, err := s.svc.Contacts.FindContacts(ctx, f)
	if err != nil {
		return nil, surveySendPage{}, err
	}
	list, err := s.svc.Surveys.FindSurveys(ctx)
	if err != nil {
		return nil, surveySendPage{}, err
	}
	v := s.newView(r, "surveys")
	v.Title = v.L.T("surveys.send_title")
	p := surveySendPage{Query: filter.Encode(), Hidden: filter, Matched: v.L.Number(int64(page.Total)), Cap: v.L.Number(crm.MaxSurveySend)}
	for _, sv := range list {
		if sv.Status == crm.SurveyActive {
			p.Active = append(p.Active, sv)
		}
	}
	v.Form = newForm(url.Values{"survey_id": {vals.Get("survey_id")}})
	return v, p, nil
}

func (s *server) surveySendForm(w http.ResponseWriter, r *http.Request) error {
	v, p, err := s.surveySendView(r, r.URL.Query())
	if err != nil {
		return err
	}
	v.Data = p
	return s.ok(w, r, "survey_send", v)
}

func (s *server) surveySendList(w http.ResponseWriter, r *http.Request) error {
	v, p, err := s.surveySendView(r, r.PostForm)
	if err != nil {
		return err
	}
	v.Data = p
	sid, err := strconv.ParseInt(r.PostFormValue("survey_id"), 10, 64)
	if err != nil || sid <= 0 {
		var verr crm.Validation
		verr.Add("survey_id", "required")
		return redisplay(verr.Err(), "survey_send", v)
	}
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), "contact")
	if err != nil {
		return err
	}
	lp := parseList("contact", listFilter(r.PostForm), defs)
	lp.Digits = s.shopDigits(r)
	rep, err := s.svc.Surveys.SendSurveyToList(r.Context(), sid, lp.contactFilter(stateOf(r).actor))
	if err != nil {
		return redisplay(err, "survey_send", v)
	}
	p.Report, p.Capped, p.Sent = rep, v.L.Number(int64(rep.Capped)), v.L.Number(int64(rep.Sent))
	reasons := []string{crm.SkipNoEmail, crm.SkipOptedOut, crm.SkipAnswered, crm.SkipRecent}
	for _, k := range reasons {
		if n := rep.Skipped[k]; n > 0 {
			p.Skipped = append(p.Skipped, skipRow{Reason: k, Count: v.L.Number(int64(n))})
		}
	}
	if i := slices.IndexFunc(p.Active, func(x *crm.Survey) bool { return x.ID == sid }); i >= 0 {
		p.Survey, p.SurveyName = p.Active[i], p.Active[i].Name
	}
	v.Data = p
	return s.ok(w, r, "survey_send", v)
}
