package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/ratelimit"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// The public survey pages: GET /s/{slug} shows the survey, POST answers
// it. They need no login. With ?t= (the personal link of an invitation)
// the answer is the contact's; without, the survey must allow anonymous
// answers, and then the page may be embedded in another site's iframe.
// Everything the visitor sends is bounded (crm.Survey.CheckAnswer) and
// each IP is rate-limited, in this process's memory like the login
// limiter.

// surveyLimits: per IP, pages in bursts of 60 then one a second; answers
// in bursts of 10 then one every 6 s (a household or an office behind
// one address still answers; a script filling an anonymous survey does
// not get far).
type surveyLimits struct {
	view, answer *ratelimit.Keyed
}

func newSurveyLimits() *surveyLimits {
	return &surveyLimits{view: ratelimit.Every(time.Second, 60), answer: ratelimit.Every(6*time.Second, 10)}
}

// maxSurveyForm bounds an answer's body: 30 questions of 2,000
// characters fit with room to spare.
const maxSurveyForm = 256 << 10

// publicSurvey is the data of the public page.
type publicSurvey struct {
	L        *i18n.Locale
	Survey   *crm.Survey
	Token    string
	Question string
	Intro    string
	Scale    []scalePoint
	Ratings  map[string][]scalePoint // rating questions' scales by key
	LowLabel string
	HiLabel  string
	Form     *form
	Done     bool
	Thanks   string
	Refusal  string // a translated reason the link cannot be used
	Answered bool   // the form shows the contact's earlier answer
	Status   int
	Path     string
}

type scalePoint struct {
	Value int
	Label string
}

func (s *server) publicSurveyPage(w http.ResponseWriter, r *http.Request) error {
	if !s.surveys.view.Allow(clientIP(r), s.now()) {
		return s.surveyRefusal(w, r, http.StatusTooManyRequests, "surveys.public.rate_limited", false)
	}
	return s.servePublicSurvey(w, r, r.URL.Query().Get("t"), nil, nil)
}

func (s *server) publicSurveyAnswer(w http.ResponseWriter, r *http.Request) error {
	if !s.surveys.answer.Allow(clientIP(r), s.now()) {
		return s.surveyRefusal(w, r, http.StatusTooManyRequests, "surveys.public.rate_limited", false)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSurveyForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return crm.Errorf(crm.ETOOLARGE, "request too large")
		}
		return crm.Errorf(crm.EINVALID, "malformed form")
	}
	f := r.PostForm
	in := crm.SurveyAnswer{Slug: r.PathValue("slug"), Token: f.Get("t"), Comment: f.Get("comment"), Answers: map[string][]string{},
		IP: clientIP(r), UserAgent: r.UserAgent()}
	if sc := f.Get("score"); sc != "" {
		n, err := strconv.Atoi(sc)
		if err != nil {
			n = -1 // out of every scale: a field error, not a 500
		}
		in.Score = &n
	}
	for k, vs := range f {
		if key, ok := strings.CutPrefix(k, "q."); ok {
			in.Answers[key] = vs
		}
	}
	if len(in.Answers) > crm.MaxSurveyQuestions || len(f) > crm.MaxSurveyQuestions+8 {
		return crm.Errorf(crm.EINVALID, "too many fields")
	}
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	_, err := s.svc.Surveys.AnswerSurvey(ctx, in)
	switch {
	case err == nil:
		return s.servePublicSurvey(w, r, in.Token, nil, &in)
	case crm.ErrorCode(err) == crm.EINVALID:
		return s.servePublicSurvey(w, r, in.Token, err, &in)
	}
	return s.publicSurveyError(w, r, err)
}

// servePublicSurvey renders the survey (or, after an answer, the thanks;
// with a field error, the form again with the visitor's input).
func (s *server) servePublicSurvey(w http.ResponseWriter, r *http.Request, token string, answerErr error, in *crm.SurveyAnswer) error {
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	slug := r.PathValue("slug")
	st := stateOf(r)
	l := st.locale
	var sv *crm.Survey
	var c *crm.Contact
	var err error
	if token != "" {
		sv, c, err = s.svc.Surveys.CheckSurveyToken(ctx, slug, token)
		// The contact's language, unless the visitor chose one.
		if err == nil && r.URL.Query().Get("lang") == "" && slices.Contains(i18n.Langs, c.Language) {
			if _, cerr := r.Cookie(langCookie); cerr != nil {
				l = i18n.Get(c.Language)
			}
		}
	} else {
		sv, err = s.svc.Surveys.FindSurveyBySlug(ctx, slug)
		if err == nil && !sv.Anonymous {
			err = crm.ErrSurveyLinkInvalid
		}
	}
	if err != nil {
		return s.publicSurveyError(w, r, err)
	}
	if sv.Status != crm.SurveyActive {
		return s.surveyRefusal(w, r, http.StatusGone, "surveys.public.closed", token == "")
	}
	p := publicSurvey{L: l, Survey: sv, Token: token, Intro: sv.Intro, Question: sv.Question, Form: newForm(nil), Status: http.StatusOK, Path: r.URL.RequestURI()}
	if p.Question == "" && sv.Scored() {
		p.Question = l.T("surveys.public.question_" + sv.Kind)
	}
	if sv.Scored() {
		lo, hi := sv.ScoreRange()
		for n := lo; n <= hi; n++ {
			p.Scale = append(p.Scale, scalePoint{Value: n, Label: l.Number(int64(n))})
		}
		p.LowLabel, p.HiLabel = l.T("surveys.public.low_"+sv.Kind), l.T("surveys.public.high_"+sv.Kind)
	}
	p.Ratings = map[string][]scalePoint{}
	for _, q := range sv.Questions {
		if q.Type == crm.QuestionRating {
			for n := q.Min; n <= q.Max; n++ {
				p.Ratings[q.Key] = append(p.Ratings[q.Key], scalePoint{Value: n, Label: l.Number(int64(n))})
			}
		}
	}
	if token != "" {
		p.Path = "/s/" + sv.Slug + "?t=" + url.QueryEscape(token)
	}
	if in == nil && c != nil {
		// A personal link opens on the answer already given, so changing
		// it starts from what the person said.
		prev, err := s.svc.Surveys.FindContactSurveyResponses(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, r := range prev {
			if r.SurveyID == sv.ID {
				p.Form = newForm(responseValues(r))
				p.Answered = true
			}
		}
	}
	if in != nil {
		vals := map[string][]string{"comment": {in.Comment}}
		if in.Score != nil {
			vals["score"] = []string{strconv.Itoa(*in.Score)}
		}
		for k, vs := range in.Answers {
			vals["q."+k] = vs
		}
		p.Form = newForm(vals)
		if answerErr != nil {
			p.Form.addErrors(l, answerErr)
			p.Status = http.StatusUnprocessableEntity
		} else {
			p.Done = true
			p.Thanks = sv.ThankYou
			if p.Thanks == "" {
				p.Thanks = l.T("surveys.public.thanks")
			}
		}
	}
	if token == "" {
		allowFraming(w)
	}
	s.renderFragment(w, r, p.Status, "survey_public", "survey-page", p)
	return nil
}

// allowFraming lets other sites embed an anonymous survey: it holds no
// personal data and acts for nobody, so clickjacking it gains nothing.
// Personal links stay unframeable.
func allowFraming(w http.ResponseWriter) {
	h := w.Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors *", 1))
}

// publicSurveyError turns a refused link or a missing survey into a
// page that says so in the visitor's language.
func (s *server) publicSurveyError(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, crm.ErrSurveyLinkExpired):
		return s.surveyRefusal(w, r, http.StatusForbidden, "surveys.public.expired", false)
	case errors.Is(err, crm.ErrSurveyLinkInvalid):
		return s.surveyRefusal(w, r, http.StatusForbidden, "surveys.public.invalid", false)
	case crm.ErrorCode(err) == crm.ENOTFOUND:
		return s.surveyRefusal(w, r, http.StatusNotFound, "surveys.public.not_found", false)
	case errors.Is(err, crm.ErrSurveyClosed):
		return s.surveyRefusal(w, r, http.StatusGone, "surveys.public.closed", false)
	}
	return err
}

func (s *server) surveyRefusal(w http.ResponseWriter, r *http.Request, status int, key string, frame bool) error {
	l := stateOf(r).locale
	if frame {
		allowFraming(w)
	}
	s.renderFragment(w, r, status, "survey_public", "survey-page", publicSurvey{L: l, Refusal: l.T(key), Status: status, Form: newForm(nil), Path: r.URL.RequestURI()})
	return nil
}

// responseValues writes a stored answer as the public form's values.
func responseValues(r *crm.SurveyResponse) url.Values {
	vals := url.Values{"comment": {r.Comment}}
	if r.Score != nil {
		vals.Set("score", strconv.Itoa(*r.Score))
	}
	for k, a := range r.Answers {
		switch v := a.(type) {
		case []any:
			for _, x := range v {
				vals.Add("q."+k, fmt.Sprint(x))
			}
		default:
			vals.Set("q."+k, crm.AnswerText(a))
		}
	}
	return vals
}
