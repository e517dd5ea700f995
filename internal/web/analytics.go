package web

import (
	"html/template"
	"math"
	"net/http"
	"strconv"

	"github.com/ecrm/ecrm/internal/clv"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// analyticsPage is the analytics home: what a shop owner checks weekly.
// The customer value part comes from the score job (store/scores); the
// economics tiles are the partial analytics_home_economics.
type analyticsPage struct {
	Currency     string
	Customers    string
	TotalCLV     string
	Empty        bool
	Groups       []groupRow
	Grid         [][]gridCell // R 5..1 × F 1..5
	AtRisk       []atRiskRow
	CLVChart     template.HTML
	Buckets      []bucketRow
	Run          *runView // the run whose scores are shown
	Failed       *runView // a newer run that failed, if any
	CanRecompute bool
	// Economics are the repeat-rate and retention-vs-acquisition tiles
	// (economics_report.go), nil without analytics:read.
	Economics any
}

type groupRow struct {
	Group, Name, Customers, Share, CLV, AvgPAlive string
}

type gridCell struct {
	Group, Name, Customers string
	R, F                   int64
}

type atRiskRow struct {
	ID                                                  int64
	Name, Email, Group, CLV, PAlive, Churn, Days, Owner string
	Orders                                              string
}

type bucketRow struct{ Range, Customers string }

// runView is a run's record in the reader's digits.
type runView struct {
	ID                         int64
	AsOf, Finished, Customers  string
	Repeat, Discount, Error    string
	R, Alpha, A, B, LL         string
	P, Q, Gamma, GGLL          string
	FitMS, BGMS, GGMS, TotalMS string
	Regularized                bool
	Holdout                    *holdoutView
	HoldoutError               string
}

type holdoutView struct {
	CalEnd, Weeks, Customers, Actual, Predicted, Error, MAE, RMSE, Corr string
	Bins                                                                []holdoutBin
}

type holdoutBin struct{ X, Customers, Actual, Predicted string }

// analytics renders /analytics.
func (s *server) analytics(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "analytics")
	l := v.L
	ctx := r.Context()
	rep, err := s.svc.Scores.ValueReport(ctx, 25)
	if err != nil {
		return err
	}
	p := analyticsPage{Currency: rep.Currency, Customers: l.Number(int64(rep.Customers)),
		TotalCLV: reportMoney(l, rep.TotalCLV, rep.Currency), Empty: rep.Customers == 0,
		CanRecompute: v.Actor.Can(crm.P(crm.ResAnalytics, crm.Write))}
	pct := func(f float64) string { return l.T("reports.percent", l.Decimal(math.Round(f*1000)/10, 1)) }
	for _, g := range rep.Groups {
		share := 0.0
		if rep.Customers > 0 {
			share = float64(g.Customers) / float64(rep.Customers)
		}
		p.Groups = append(p.Groups, groupRow{Group: g.Group, Name: l.T("scores.group." + g.Group), Customers: l.Number(int64(g.Customers)),
			Share: pct(share), CLV: reportMoney(l, g.CLV, rep.Currency), AvgPAlive: pct(g.AvgPAlive)})
	}
	for i, row := range rep.Grid {
		var cells []gridCell
		for j, n := range row {
			rs, fs := 5-i, j+1
			g := clv.Group(rs, fs)
			cells = append(cells, gridCell{Group: g, Name: l.T("scores.group." + g), Customers: l.Number(int64(n)), R: int64(rs), F: int64(fs)})
		}
		p.Grid = append(p.Grid, cells)
	}
	for _, a := range rep.AtRisk {
		row := atRiskRow{ID: a.ContactID, Name: a.Name, Email: a.Email, Group: l.T("scores.group." + a.RFMGroup),
			CLV: reportMoney(l, a.CLV12m, rep.Currency), PAlive: pct(a.PAlive), Churn: pct(a.ChurnRisk),
			Days: l.Number(int64(math.Round(a.RecencyDays))), Owner: a.OwnerName, Orders: l.Number(int64(a.Frequency + 1))}
		if row.Name == "" {
			row.Name = a.Email
		}
		p.AtRisk = append(p.AtRisk, row)
	}
	if len(rep.CLV) > 0 {
		pow := int64(math.Pow10(crm.CurrencyDigits(rep.Currency)))
		whole := func(v int64) string { return l.Number(v / pow) }
		labels := make([]string, len(rep.CLV))
		counts := make([]int64, len(rep.CLV))
		for i, b := range rep.CLV {
			switch {
			case b.To == 0:
				labels[i] = l.T("scores.clv.at_least", whole(b.From))
			case b.From == 0:
				labels[i] = l.T("scores.clv.below", whole(b.To))
			default:
				labels[i] = l.T("scores.clv.range", whole(b.From), whole(b.To))
			}
			counts[i] = int64(b.Customers)
			p.Buckets = append(p.Buckets, bucketRow{Range: labels[i], Customers: l.Number(counts[i])})
		}
		p.CLVChart = hbarChart{ID: "chart-clv", Title: l.T("scores.clv.chart", rep.Currency), Labels: labels, Values: counts,
			Fill: fillRevenue, Value: func(v int64) string { return l.Number(v) }}.svg(l)
	}
	if rep.Run != nil {
		p.Run = s.runView(l, rep.Run)
	}
	if latest, err := s.svc.Scores.LatestScoreRun(ctx); err == nil && latest.Status == "failed" && (rep.Run == nil || latest.ID > rep.Run.ID) {
		p.Failed = s.runView(l, latest)
	} else if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
		return err
	}
	if p.Economics, err = loadEconomicsTiles(ctx, s.svc, l); err != nil {
		return err
	}
	if r.URL.Query().Get("requested") == "1" {
		v.Message = l.T("scores.recompute_requested")
	}
	v.Title = l.T("scores.analytics.title")
	v.Data = p
	return s.ok(w, r, "analytics", v)
}

func (s *server) runView(l *i18n.Locale, run *crm.ScoreRun) *runView {
	dec := func(f float64, n int) string { return l.Decimal(f, n) }
	ms := func(f float64) string { return l.T("scores.ms", l.Decimal(math.Round(f*10)/10, 1)) }
	rv := &runView{ID: run.ID, AsOf: run.AsOf, Customers: l.Number(int64(run.Customers)), Repeat: l.Number(int64(run.RepeatCustomers)),
		Discount: l.T("reports.percent", l.Decimal(run.DiscountRate*100, 1)), Error: run.Error,
		FitMS: ms(run.FitMS), BGMS: ms(run.BGNBDMS), GGMS: ms(run.GammaGammaMS), TotalMS: ms(run.TotalMS), HoldoutError: run.HoldoutError}
	if run.FinishedAt != nil {
		rv.Finished = l.Date(*run.FinishedAt)
	}
	if b := run.BGNBD; b != nil {
		rv.R, rv.Alpha, rv.A, rv.B, rv.LL = dec(b.R, 4), dec(b.Alpha, 4), dec(b.A, 4), dec(b.B, 4), dec(b.LogLikelihood, 2)
		rv.Regularized = b.Regularized
	}
	if g := run.GammaGamma; g != nil {
		rv.P, rv.Q, rv.Gamma, rv.GGLL = dec(g.P, 4), dec(g.Q, 4), dec(g.Gamma, 2), dec(g.LogLikelihood, 2)
		rv.Regularized = rv.Regularized || g.Regularized
	}
	if h := run.Holdout; h != nil {
		errPct := 0.0
		if h.Actual > 0 {
			errPct = (h.Predicted - h.Actual) / h.Actual * 100
		}
		hv := &holdoutView{CalEnd: h.CalibrationEnd, Weeks: dec(h.Weeks, 1), Customers: l.Number(int64(h.Customers)),
			Actual: l.Number(int64(math.Round(h.Actual))), Predicted: dec(h.Predicted, 1),
			Error: l.T("reports.percent", l.Decimal(math.Round(errPct*10)/10, 1)), MAE: dec(h.MAE, 3), RMSE: dec(h.RMSE, 3), Corr: dec(h.Correlation, 3)}
		for _, b := range h.ByFrequency {
			x := l.Number(int64(b.X))
			if b.X == 7 {
				x = l.T("scores.holdout.or_more", x)
			}
			hv.Bins = append(hv.Bins, holdoutBin{X: x, Customers: l.Number(int64(b.Customers)), Actual: dec(b.Actual, 3), Predicted: dec(b.Predicted, 3)})
		}
		rv.Holdout = hv
	}
	return rv
}

// analyticsRecompute asks the score job to run at its next tick (within
// the jobs' tick, 15 s by default): a fit over a large shop takes longer
// than a page should wait.
func (s *server) analyticsRecompute(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Scores.RequestScores(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/analytics?requested=1", http.StatusSeeOther)
	return nil
}

// contactScores is the 360 page's scores block (partial contact_scores).
type contactScores struct {
	Has                                        bool
	Group, GroupKey, RFM, PAlive               string
	Exp30, Exp90, Exp365, CLV, Spend, Monetary string
	Churn, Band, Avg, Next, Recency, Orders    string
	AsOf                                       string
}

// scoreSection reads a contact's scores for the 360 page; nil when the
// viewer may not see analytics.
func (s *server) scoreSection(r *http.Request, contactID int64) (*contactScores, error) {
	st := stateOf(r)
	if !st.actor.Can(crm.P(crm.ResAnalytics, crm.Read)) {
		return nil, nil
	}
	l := st.locale
	sc, err := s.svc.Scores.FindContactScore(r.Context(), contactID)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return &contactScores{}, nil
	}
	if err != nil {
		return nil, err
	}
	pct := func(f float64) string { return l.T("reports.percent", l.Decimal(math.Round(f*1000)/10, 1)) }
	money := func(v int64) string { return reportMoney(l, v, sc.Currency) }
	c := &contactScores{Has: true, Group: l.T("scores.group." + sc.RFMGroup), GroupKey: sc.RFMGroup,
		RFM:    l.Digits(strconv.Itoa(sc.RScore) + "-" + strconv.Itoa(sc.FScore) + "-" + strconv.Itoa(sc.MScore)),
		PAlive: pct(sc.PAlive), Exp30: l.Decimal(sc.ExpPurchases30, 2), Exp90: l.Decimal(sc.ExpPurchases90, 2), Exp365: l.Decimal(sc.ExpPurchases365, 2),
		CLV: money(sc.CLV12m), Spend: money(sc.ExpSpend), Monetary: money(sc.Monetary), Churn: pct(sc.ChurnRisk),
		Band: sc.ChurnBand, Recency: l.Number(int64(math.Round(sc.RecencyDays))), Orders: l.Number(int64(sc.Frequency + 1)),
		AsOf: l.Date(sc.ComputedAt)}
	if sc.AvgDaysBetween != nil {
		c.Avg = l.T("scores.days", l.Decimal(math.Round(*sc.AvgDaysBetween*10)/10, 1))
	}
	if sc.NextOrderAt != nil {
		c.Next = l.Date(*sc.NextOrderAt)
	}
	return c, nil
}
