package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// The surveys console: the list, the builder (new and edit) and delete.
// Results and responses are in survey_results.go, sending in
// survey_send.go, the public pages in survey_public.go.

// builderBlanks is how many empty question rows the builder offers below
// the existing ones: the page works without script, so more questions
// are added by saving and editing again.
const builderBlanks = 3

type surveysPage struct {
	Surveys []*crm.Survey
	Counts  map[int64]string // answers per survey, in the reader's digits
}

func (s *server) surveyList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Surveys.FindSurveys(r.Context())
	if err != nil {
		return err
	}
	counts, err := s.svc.Surveys.SurveyResponseCounts(r.Context())
	if err != nil {
		return err
	}
	v := s.newView(r, "surveys")
	v.Title = v.L.T("surveys.title")
	p := surveysPage{Surveys: list, Counts: map[int64]string{}}
	for _, sv := range list {
		p.Counts[sv.ID] = v.L.Number(int64(counts[sv.ID]))
	}
	v.Data = p
	return s.ok(w, r, "surveys", v)
}

// surveyFormPage is the builder: the survey (nil when new) and the
// question rows to show.
type surveyFormPage struct {
	Survey *crm.Survey
	Rows   []builderRow
	Action string
	Kinds  []string
	States []string
	Types  []string
}

// builderRow is one question row: its index in the form names and its
// number as shown.
type builderRow struct{ I, N int }

func (s *server) surveyFormView(r *http.Request, sv *crm.Survey, vals url.Values) *view {
	v := s.newView(r, "surveys")
	p := surveyFormPage{Survey: sv, Action: "/surveys", Kinds: crm.SurveyKinds, States: crm.SurveyStatuses, Types: crm.QuestionTypes}
	v.Title = v.L.T("surveys.new")
	if sv != nil {
		p.Action = "/surveys/" + strconv.FormatInt(sv.ID, 10)
		v.Title = v.L.T("surveys.edit_title", sv.Name)
	}
	if vals == nil {
		vals = surveyValues(sv)
	}
	n := 0
	for vals.Has("questions." + strconv.Itoa(n) + ".label") {
		n++
	}
	for i := range min(n+builderBlanks, crm.MaxSurveyQuestions) {
		p.Rows = append(p.Rows, builderRow{I: i, N: i + 1})
	}
	v.Form = newForm(vals)
	v.Data = p
	return v
}

// surveyValues writes a survey as the builder's form values.
func surveyValues(sv *crm.Survey) url.Values {
	if sv == nil {
		return url.Values{"kind": {crm.SurveyNPS}, "status": {crm.SurveyDraft}}
	}
	vals := url.Values{"name": {sv.Name}, "slug": {sv.Slug}, "kind": {sv.Kind}, "status": {sv.Status}, "question": {sv.Question},
		"intro": {sv.Intro}, "thank_you": {sv.ThankYou}}
	if sv.Anonymous {
		vals.Set("anonymous", "true")
	}
	for i, q := range sv.Questions {
		f := "questions." + strconv.Itoa(i) + "."
		vals.Set(f+"key", q.Key)
		vals.Set(f+"type", q.Type)
		vals.Set(f+"label", q.Label)
		vals.Set(f+"options", strings.Join(q.Options, "\n"))
		if q.Required {
			vals.Set(f+"required", "true")
		}
		if q.Type == crm.QuestionRating {
			vals.Set(f+"min", strconv.Itoa(q.Min))
			vals.Set(f+"max", strconv.Itoa(q.Max))
		}
	}
	return vals
}

// inputValues writes a submitted survey back as form values, its
// questions renumbered without the blank rows: the numbers of the field
// errors are those of the questions as the store saw them.
func inputValues(in crm.SurveyInput) url.Values {
	sv := &crm.Survey{Name: *in.Name, Slug: *in.Slug, Kind: *in.Kind, Status: *in.Status, Question: *in.Question,
		Intro: *in.Intro, ThankYou: *in.ThankYou, Anonymous: *in.Anonymous, Questions: *in.Questions}
	vals := surveyValues(sv)
	for i, q := range sv.Questions {
		f := "questions." + strconv.Itoa(i) + "."
		if q.Min != 0 || q.Max != 0 {
			vals.Set(f+"min", strconv.Itoa(q.Min))
			vals.Set(f+"max", strconv.Itoa(q.Max))
		}
	}
	return vals
}

// surveyInput reads the builder. A question row without a label and
// key is an unused blank; a row with a label but no key gets the next
// free key q1, q2…, so staff never have to invent one.
func surveyInput(f url.Values) crm.SurveyInput {
	str := func(k string) *string { x := f.Get(k); return &x }
	anon := f.Get("anonymous") == "true"
	in := crm.SurveyInput{Name: str("name"), Slug: str("slug"), Kind: str("kind"), Status: str("status"), Question: str("question"),
		Intro: str("intro"), ThankYou: str("thank_you"), Anonymous: &anon}
	qs := []crm.SurveyQuestion{}
	used := map[string]bool{}
	for i := 0; i < crm.MaxSurveyQuestions+builderBlanks; i++ {
		p := "questions." + strconv.Itoa(i) + "."
		used[strings.TrimSpace(f.Get(p+"key"))] = true
	}
	next := 1
	for i := 0; i < crm.MaxSurveyQuestions+builderBlanks; i++ {
		p := "questions." + strconv.Itoa(i) + "."
		label, key := strings.TrimSpace(f.Get(p+"label")), strings.TrimSpace(f.Get(p+"key"))
		if label == "" && key == "" {
			continue
		}
		if key == "" {
			for used["q"+strconv.Itoa(next)] {
				next++
			}
			key = "q" + strconv.Itoa(next)
			used[key] = true
		}
		q := crm.SurveyQuestion{Key: key, Type: f.Get(p + "type"), Label: label, Required: f.Get(p+"required") == "true"}
		for _, o := range strings.Split(f.Get(p+"options"), "\n") {
			if o = strings.TrimSpace(o); o != "" {
				q.Options = append(q.Options, o)
			}
		}
		q.Min, q.Max = formInt(f.Get(p+"min")), formInt(f.Get(p+"max"))
		qs = append(qs, q)
	}
	in.Questions = &qs
	return in
}

// formInt reads a small number; anything else is -1, out of every range.
func formInt(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > 1000 {
		return -1
	}
	return n
}

func (s *server) surveyNew(w http.ResponseWriter, r *http.Request) error {
	return s.ok(w, r, "survey_form", s.surveyFormView(r, nil, nil))
}

func (s *server) surveyCreate(w http.ResponseWriter, r *http.Request) error {
	in := surveyInput(r.PostForm)
	sv, err := s.svc.Surveys.CreateSurvey(r.Context(), in)
	if err != nil {
		return redisplay(err, "survey_form", s.surveyFormView(r, nil, inputValues(surveyInput(r.PostForm))))
	}
	http.Redirect(w, r, "/surveys/"+strconv.FormatInt(sv.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *server) surveyEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sv, err := s.svc.Surveys.FindSurveyByID(r.Context(), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, "survey_form", s.surveyFormView(r, sv, nil))
}

func (s *server) surveyUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sv, err := s.svc.Surveys.FindSurveyByID(r.Context(), id)
	if err != nil {
		return err
	}
	if _, err := s.svc.Surveys.UpdateSurvey(r.Context(), id, surveyInput(r.PostForm)); err != nil {
		return redisplay(err, "survey_form", s.surveyFormView(r, sv, inputValues(surveyInput(r.PostForm))))
	}
	http.Redirect(w, r, "/surveys/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *server) surveyDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sv, err := s.svc.Surveys.FindSurveyByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "surveys")
	v.Title = v.L.T("surveys.delete_title")
	u := "/surveys/" + strconv.FormatInt(id, 10)
	v.Data = confirmPage{Message: v.L.T("surveys.delete_confirm"), Detail: []string{sv.Name},
		Action: u + "/delete", Submit: v.L.T("console.delete"), Cancel: u, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) surveyDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Surveys.DeleteSurvey(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/surveys", http.StatusSeeOther)
	return nil
}
