package web

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
)

type forecastPage struct {
	dealFmt
	F         *crm.Forecast
	Pipelines []*crm.Pipeline
	Users     []*crm.User
	Pipeline  string
	Owner     string
	Charts    []forecastChartData
}

type forecastChartData struct {
	Currency string
	SVG      template.HTML
}

// MonthLabel names a forecast month in the reader's language.
func (p forecastPage) MonthLabel(m string) string { return monthLabel(p.L, m) }

// OwnerLabel names a forecast owner, or says there is none.
func (p forecastPage) OwnerLabel(r crm.ForecastRow) string {
	if r.OwnerID == nil {
		return p.L.T("deals.nobody")
	}
	return r.OwnerName
}

func (s *server) dealForecast(w http.ResponseWriter, r *http.Request) error {
	ctx, q := r.Context(), r.URL.Query()
	f := crm.ForecastFilter{From: q.Get("from"), To: q.Get("to")}
	p := forecastPage{dealFmt: s.dealFmt(r)}
	if id, err := strconv.ParseInt(q.Get("pipeline"), 10, 64); err == nil && id > 0 {
		f.PipelineID, p.Pipeline = &id, q.Get("pipeline")
	}
	switch o := q.Get("owner"); o {
	case "":
	case "none":
		f.OwnerID, p.Owner = new(int64), o
	default:
		if id, err := strconv.ParseInt(o, 10, 64); err == nil && id > 0 {
			f.OwnerID, p.Owner = &id, o
		}
	}
	v := s.newView(r, "deals")
	v.Title = v.L.T("deals.forecast.title")
	fc, err := s.svc.Deals.Forecast(ctx, f)
	if err != nil {
		return redisplay(err, "deal_forecast", v)
	}
	p.F = fc
	for _, cur := range fc.Currency {
		p.Charts = append(p.Charts, forecastChartData{cur, forecastChart(v.L, fc.ByMonth, cur, fc.From, fc.To)})
	}
	if p.Pipelines, err = s.svc.Pipelines.FindPipelines(ctx); err != nil {
		return err
	}
	if p.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return err
	}
	v.Data = p
	v.Form = newForm(q)
	return s.ok(w, r, "deal_forecast", v)
}
