// Package scores stores the customer value scores of issue 10: the score
// job (job.go) reads every customer's purchase days from the customer_days
// rollup, fits the models of internal/clv, and writes one contact_scores
// row per customer with orders and one score_runs row per fit; the
// service reads them back for the 360 page, the run record and the value
// report (report.go).
package scores

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// Store implements crm.ScoreService on the one store.
type Store struct {
	db  *store.DB
	log *slog.Logger
}

var _ crm.ScoreService = (*Store)(nil)

// New returns the score service of db.
func New(db *store.DB) *Store { return &Store{db: db, log: slog.Default()} }

const scoreCols = `s.contact_id, s.run_id, s.computed_at, s.frequency, s.recency_days, s.monetary, s.r_score, s.f_score, s.m_score,
  s.rfm_group, s.p_alive, s.exp_purchases_30, s.exp_purchases_90, s.exp_purchases_365, s.exp_spend, s.clv_12m,
  s.churn_risk, s.churn_band, s.avg_days_between, s.next_order_at`

// FindContactScore returns a contact's scores. The contact must be
// visible to the actor (own-only users see their own customers).
func (s *Store) FindContactScore(ctx context.Context, contactID int64) (*crm.ContactScore, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read)); err != nil {
		return nil, err
	}
	if _, err := s.db.FindContactByID(ctx, contactID); err != nil {
		return nil, err
	}
	var c crm.ContactScore
	var computed int64
	var avg sql.NullFloat64
	var next sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT `+scoreCols+` FROM contact_scores s WHERE s.contact_id = $1`, contactID).Scan(
		&c.ContactID, &c.RunID, &computed, &c.Frequency, &c.RecencyDays, &c.Monetary, &c.RScore, &c.FScore, &c.MScore,
		&c.RFMGroup, &c.PAlive, &c.ExpPurchases30, &c.ExpPurchases90, &c.ExpPurchases365, &c.ExpSpend, &c.CLV12m,
		&c.ChurnRisk, &c.ChurnBand, &avg, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, crm.Errorf(crm.ENOTFOUND, "this contact has no scores (no orders, or the scores were not computed yet)")
	}
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	c.ComputedAt = store.FromMS(computed)
	if avg.Valid {
		c.AvgDaysBetween = &avg.Float64
	}
	if next.Valid {
		t := store.FromMS(next.Int64)
		c.NextOrderAt = &t
	}
	c.Currency = s.currency(ctx)
	return &c, nil
}

const runCols = `id, started_at, finished_at, as_of, status, message, customers, record`

func scanRun(sc interface{ Scan(...any) error }) (*crm.ScoreRun, error) {
	var r crm.ScoreRun
	var started int64
	var finished sql.NullInt64
	var asOf, record string
	var customers int
	if err := sc.Scan(&r.ID, &started, &finished, &asOf, &r.Status, &r.Message, &customers, &record); err != nil {
		return nil, err
	}
	if record != "" {
		_ = json.Unmarshal([]byte(record), &r.ScoreRecord)
	}
	r.StartedAt = store.FromMS(started)
	if finished.Valid {
		t := store.FromMS(finished.Int64)
		r.FinishedAt = &t
	}
	r.AsOf, r.Customers = asOf, customers
	return &r, nil
}

// LatestScoreRun is the newest finished run.
func (s *Store) LatestScoreRun(ctx context.Context) (*crm.ScoreRun, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read)); err != nil {
		return nil, err
	}
	r, err := scanRun(s.db.QueryRow(ctx, `SELECT `+runCols+` FROM score_runs WHERE status <> 'running' ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, crm.Errorf(crm.ENOTFOUND, "no score run yet")
	}
	return r, s.db.MapErr(err)
}

// latestOK is the newest successful run, whose scores are in the table.
func (s *Store) latestOK(ctx context.Context) (*crm.ScoreRun, error) {
	r, err := scanRun(s.db.QueryRow(ctx, `SELECT `+runCols+` FROM score_runs WHERE status = 'ok' ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// FindScoreRuns lists runs, newest first (limit 1..200, default 20).
func (s *Store) FindScoreRuns(ctx context.Context, limit int) ([]*crm.ScoreRun, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read)); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	rows, err := s.db.Query(ctx, `SELECT `+runCols+` FROM score_runs ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	defer rows.Close()
	out := []*crm.ScoreRun{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RequestScores asks the scheduled job for a run at its next tick.
func (s *Store) RequestScores(ctx context.Context) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Write)); err != nil {
		return err
	}
	return s.db.RequestJob(ctx, crm.JobScores)
}

// currency is the shop currency, the one the scores are computed in.
func (s *Store) currency(ctx context.Context) string {
	var cur string
	if err := s.db.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&cur); err != nil || cur == "" {
		return store.DefaultCurrency
	}
	return cur
}

// settingDiscount is the settings key of the annual CLV discount rate.
const settingDiscount = "scores.discount_rate"

func (s *Store) discountRate(ctx context.Context) float64 {
	var v string
	if err := s.db.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'scores.discount_rate'`).Scan(&v); err != nil {
		return crm.DefaultDiscountRate
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		return crm.DefaultDiscountRate
	}
	return f
}

func (s *Store) setDiscountRate(ctx context.Context, rate float64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingDiscount, strconv.FormatFloat(rate, 'g', -1, 64))
		if err != nil {
			return err
		}
		return tx.Audit(ctx, "update", "setting", 0, nil, map[string]any{settingDiscount: rate})
	})
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
