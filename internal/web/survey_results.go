package web

import (
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// Chart fills (SVG presentation attributes; the CSP forbids style).
const (
	fillPromoter  = "#2e7d32"
	fillPassive   = "#9e9e9e"
	fillDetractor = "#c62828"
)

// surveyPage is a survey's results page. Numbers are formatted here, in
// the reader's digits, so the template only places them.
type surveyPage struct {
	Survey     *crm.Survey
	Res        *crm.SurveyResults
	Bucket     string
	PublicURL  string
	Total      scoreRow
	Periods    []scoreRow
	Managers   []scoreRow
	TimeChart  template.HTML
	DistChart  template.HTML
	Rate       string
	Sent       string
	Answered   string
	Anonymous  string
	Comments   []responseRow
	ActiveSend bool
	Questions  []questionBlock
}

// questionBlock is the results of one custom question.
type questionBlock struct {
	Label   string
	Type    string
	Answers string
	Average string
	Rows    []answerShare
}

type answerShare struct{ Option, Count, Share string }

// scoreRow is one line of a results table.
type scoreRow struct {
	Label      string
	ManagerID  int64
	Responses  string
	Promoters  string
	Passives   string
	Detractors string
	NPS        string
	Average    string
	CSAT       string
	Empty      bool
}

// responseRow is one answer as staff read it.
type responseRow struct {
	R       *crm.SurveyResponse
	Score   string
	Band    string
	Answers []answerRow
	When    string
}

type answerRow struct{ Label, Text string }

func scoreRowOf(l *i18n.Locale, label string, sc crm.SurveyScore) scoreRow {
	pct := func(f float64) string { return l.T("surveys.percent", l.Decimal(f, 1)) }
	return scoreRow{Label: label, Responses: l.Number(int64(sc.Responses)), Promoters: l.Number(int64(sc.Promoters)),
		Passives: l.Number(int64(sc.Passives)), Detractors: l.Number(int64(sc.Detractors)),
		NPS: l.Decimal(sc.NPS, 1), Average: l.Decimal(sc.Average, 2), CSAT: pct(sc.CSAT), Empty: sc.Responses == 0}
}

func (s *server) surveyShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sv, err := s.svc.Surveys.FindSurveyByID(ctx, id)
	if err != nil {
		return err
	}
	bucket := crm.BucketMonth
	if r.URL.Query().Get("bucket") == crm.BucketWeek {
		bucket = crm.BucketWeek
	}
	res, err := s.svc.Surveys.SurveyResults(ctx, id, crm.SurveyResultsFilter{Bucket: bucket})
	if err != nil {
		return err
	}
	v := s.newView(r, "surveys")
	v.Title = sv.Name
	v.Data = s.buildSurveyPage(r, v.L, sv, res, bucket)
	return s.ok(w, r, "survey", v)
}

func (s *server) buildSurveyPage(r *http.Request, l *i18n.Locale, sv *crm.Survey, res *crm.SurveyResults, bucket string) surveyPage {
	p := surveyPage{Survey: sv, Res: res, Bucket: bucket, PublicURL: s.svc.Links.PublicURL(r.Context()) + "/s/" + sv.Slug,
		Total: scoreRowOf(l, "", res.Total), Rate: l.T("surveys.percent", l.Decimal(res.ResponseRate, 1)),
		Sent: l.Number(int64(res.Sent)), Answered: l.Number(int64(res.Answered)), Anonymous: l.Number(int64(res.Anonymous)),
		ActiveSend: sv.Status == crm.SurveyActive}
	labels := make([]string, len(res.Periods))
	pro, pas, det := make([]int64, len(res.Periods)), make([]int64, len(res.Periods)), make([]int64, len(res.Periods))
	for i, per := range res.Periods {
		labels[i] = periodLabel(l, per.Start, bucket, true)
		p.Periods = append(p.Periods, scoreRowOf(l, periodLabel(l, per.Start, bucket, false), per.SurveyScore))
		switch sv.Kind {
		case crm.SurveyNPS:
			pro[i], pas[i], det[i] = int64(per.Promoters), int64(per.Passives), int64(per.Detractors)
		default:
			pro[i], det[i] = int64(per.Satisfied), int64(per.Responses-per.Satisfied)
		}
	}
	count := func(v int64) string { return l.Number(v) }
	if sv.Scored() && len(labels) > 0 {
		series := []barSeries{{Name: l.T("surveys.promoters"), Fill: fillPromoter, Values: pro},
			{Name: l.T("surveys.passives"), Fill: fillPassive, Values: pas},
			{Name: l.T("surveys.detractors"), Fill: fillDetractor, Values: det}}
		if sv.Kind == crm.SurveyCSAT {
			series = []barSeries{{Name: l.T("surveys.satisfied"), Fill: fillPromoter, Values: pro},
				{Name: l.T("surveys.not_satisfied"), Fill: fillDetractor, Values: det}}
		}
		p.TimeChart = barChart{ID: "chart-time", Title: l.T("surveys.chart_time"), Labels: labels, Series: series, Value: count}.svg(l)
	}
	if sv.Scored() && res.Total.Responses > 0 {
		lo, _ := sv.ScoreRange()
		dl := make([]string, len(res.Distribution))
		dv := make([]int64, len(res.Distribution))
		for i, n := range res.Distribution {
			dl[i], dv[i] = l.Number(int64(lo+i)), int64(n)
		}
		p.DistChart = barChart{ID: "chart-dist", Title: l.T("surveys.chart_distribution"), Labels: dl,
			Series: []barSeries{{Name: l.T("surveys.responses"), Fill: fillPassive, Values: dv}}, Value: count}.svg(l)
	}
	for _, m := range res.Managers {
		label := m.ManagerName
		row := scoreRowOf(l, label, m.SurveyScore)
		if m.ManagerID == nil {
			row.Label = l.T("surveys.no_manager")
		} else {
			row.ManagerID = *m.ManagerID
		}
		p.Managers = append(p.Managers, row)
	}
	for _, q := range res.Questions {
		b := questionBlock{Label: q.Label, Type: q.Type, Answers: l.Number(int64(q.Answers))}
		if q.Type == crm.QuestionRating && q.Answers > 0 {
			b.Average = l.Decimal(q.Average, 2)
		}
		for _, o := range q.Options {
			share := 0.0
			if q.Answers > 0 {
				share = math.Round(1000*float64(o.Count)/float64(q.Answers)) / 10
			}
			label := o.Option
			if q.Type == crm.QuestionRating {
				if n, err := strconv.Atoi(o.Option); err == nil {
					label = l.Number(int64(n))
				}
			}
			b.Rows = append(b.Rows, answerShare{Option: label, Count: l.Number(int64(o.Count)), Share: l.T("surveys.percent", l.Decimal(share, 1))})
		}
		p.Questions = append(p.Questions, b)
	}
	for _, c := range res.Comments {
		p.Comments = append(p.Comments, responseRowOf(l, sv, c))
	}
	return p
}

// periodLabel names a month ("Mar 2026", Jalali for fa) or a week by its
// Monday's date.
func periodLabel(l *i18n.Locale, t time.Time, bucket string, short bool) string {
	if bucket == crm.BucketWeek {
		return l.T("surveys.week_of", l.Date(t))
	}
	if short {
		return reportMonthShort(l, t)
	}
	return reportMonth(l, t)
}

func responseRowOf(l *i18n.Locale, sv *crm.Survey, r *crm.SurveyResponse) responseRow {
	row := responseRow{R: r, When: l.DateTime(r.UpdatedAt)}
	if r.Score != nil {
		_, hi := sv.ScoreRange()
		row.Score = l.T("surveys.score_of", l.Number(int64(*r.Score)), l.Number(int64(hi)))
		row.Band = sv.Band(r.Score)
	}
	for _, q := range sv.Questions {
		if a, ok := r.Answers[q.Key]; ok {
			text := crm.AnswerText(a)
			if f, ok := a.(float64); ok && f == math.Trunc(f) {
				text = l.Number(int64(f))
			}
			row.Answers = append(row.Answers, answerRow{Label: q.Label, Text: text})
		}
	}
	return row
}

// surveyResponsesPage lists a survey's answers, newest first.
type surveyResponsesPage struct {
	Survey  *crm.Survey
	Rows    []responseRow
	NextURL string
	Manager string
}

func (s *server) surveyResponses(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sv, err := s.svc.Surveys.FindSurveyByID(ctx, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := crm.SurveyResponseFilter{SurveyID: id, After: q.Get("after"), Limit: 50}
	if m, err := strconv.ParseInt(q.Get("manager"), 10, 64); err == nil && m >= 0 {
		f.ManagerID = &m
	}
	page, err := s.svc.Surveys.FindSurveyResponses(ctx, f)
	if err != nil {
		return err
	}
	v := s.newView(r, "surveys")
	v.Title = v.L.T("surveys.responses_title", sv.Name)
	p := surveyResponsesPage{Survey: sv, Manager: q.Get("manager")}
	for _, x := range page.Items {
		p.Rows = append(p.Rows, responseRowOf(v.L, sv, x))
	}
	if page.Next != "" {
		next := url.Values{"after": {page.Next}}
		if p.Manager != "" {
			next.Set("manager", p.Manager)
		}
		p.NextURL = "/surveys/" + strconv.FormatInt(id, 10) + "/responses?" + next.Encode()
	}
	v.Data = p
	return s.ok(w, r, "survey_responses", v)
}
