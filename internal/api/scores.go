package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Customer value (analytics:read|write): per-contact scores (RFM, BG/NBD
// P(alive) and expected purchases, Gamma-Gamma spend, 12-month CLV,
// churn risk), the model runs with their fitted parameters and holdout
// check, recomputing now, and the value report.

const scoreRunDoc = "The run record: `customers`, `bgnbd` {r, alpha, a, b, log_likelihood}, `gamma_gamma` {p, q, gamma, log_likelihood} " +
	"(spend in minor units of the shop currency), `fit_ms`, the holdout check (the BG/NBD refitted without the last third of the " +
	"history, at most 39 weeks, and its predicted against actual repeat purchase days, in total and per customer), and the run's " +
	"status. A fit that cannot converge (too few customers, no repeat buyers) has status `failed`, the reason in `error`, and " +
	"leaves the previous scores in place."

const recomputeDoc = "Fits the models now on the purchases up to `as_of` (default today, UTC) and rewrites every customer's scores; " +
	"answers with the run (status `failed` and the reason when the models cannot be fitted: the previous scores stay). " +
	"`discount_rate`, when given, becomes the shop's annual CLV discount rate for this and later runs. The daily job " +
	"(`scores.recompute`) does the same on its own."

func (s *server) scoreRoutes(a huma.API) {
	handle(s, a, op(get, "/contacts/{id}/scores", "contact-scores", "A contact's customer value scores: RFM, P(alive), expected purchases, CLV, churn risk",
		analyticsR, contactsR), s.contactScores)
	handle(s, a, op(get, "/scores/runs/latest", "latest-score-run", "The newest model run and its record", analyticsR).doc(scoreRunDoc), s.latestScoreRun)
	handle(s, a, op(get, "/scores/runs", "list-score-runs", "Model runs, newest first", analyticsR), s.listScoreRuns)
	handle(s, a, op(post, "/scores/runs", "recompute-scores", "Fit the customer value models now", analyticsW).status(201).doc(recomputeDoc), s.recomputeScores)
	handle(s, a, op(get, "/reports/value", "value-report", "Customer value: RFM groups and grid, CLV distribution, at-risk customers with the highest CLV",
		analyticsR).doc("An own-only user's figures are those of the customers they own. `at_risk` lists customers of the RFM groups "+
		"at_risk and cant_lose (frequent buyers who stopped), highest 12-month CLV first: the list an account manager calls."), s.valueReport)
}

type contactScoreOut struct{ Body *crm.ContactScore }

func (s *server) contactScores(ctx context.Context, in *IDPath) (*contactScoreOut, error) {
	sc, err := s.svc.Scores.FindContactScore(ctx, in.ID)
	return &contactScoreOut{sc}, err
}

type scoreRunOut struct{ Body *crm.ScoreRun }

func (s *server) latestScoreRun(ctx context.Context, _ *struct{}) (*scoreRunOut, error) {
	r, err := s.svc.Scores.LatestScoreRun(ctx)
	return &scoreRunOut{r}, err
}

type scoreRunsInput struct {
	Limit int `query:"limit" minimum:"0" maximum:"200" doc:"How many runs (default 20)."`
}

func (s *server) listScoreRuns(ctx context.Context, in *scoreRunsInput) (*items[*crm.ScoreRun], error) {
	list, err := s.svc.Scores.FindScoreRuns(ctx, in.Limit)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type recomputeInput struct {
	Body *crm.ScoreOptions `required:"false"`
}

func (s *server) recomputeScores(ctx context.Context, in *recomputeInput) (*scoreRunOut, error) {
	var opt crm.ScoreOptions
	if in.Body != nil {
		opt = *in.Body
	}
	r, err := s.svc.Scores.RecomputeScores(ctx, opt)
	return &scoreRunOut{r}, err
}

type valueReportInput struct {
	AtRisk int `query:"at_risk" minimum:"0" maximum:"200" doc:"How many at-risk customers to list (default 25)."`
}

type valueReportOut struct{ Body *crm.ValueReport }

func (s *server) valueReport(ctx context.Context, in *valueReportInput) (*valueReportOut, error) {
	r, err := s.svc.Scores.ValueReport(ctx, in.AtRisk)
	return &valueReportOut{r}, err
}
