package scores

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ecrm/ecrm/internal/clv"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/store"
)

const dayMS = 86400000

// RecomputeScores fits the models on the purchases up to opt.AsOf and
// rewrites contact_scores. A fit that fails (too few customers, no
// repeat buyers, no convergence) is recorded as a failed run and keeps the
// previous scores; it is returned with status "failed", not as an error.
func (s *Store) RecomputeScores(ctx context.Context, opt crm.ScoreOptions) (*crm.ScoreRun, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Write)); err != nil {
		return nil, err
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.DiscountRate != nil {
		if err := s.setDiscountRate(ctx, *opt.DiscountRate); err != nil {
			return nil, err
		}
	}
	asOf := s.db.Now().UTC().Truncate(24 * time.Hour)
	if opt.AsOf != "" {
		asOf, _ = time.Parse("2006-01-02", opt.AsOf)
	}
	begun := time.Now()
	rec := crm.ScoreRecord{AsOf: asOf.Format("2006-01-02"), Currency: s.currency(ctx), DiscountRate: s.discountRate(ctx)}
	var runID int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO score_runs (started_at, as_of, status) VALUES ($1, $2, 'running') RETURNING id`,
			store.MS(tx.Now()), rec.AsOf).Scan(&runID)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	fail := func(msg string) (*crm.ScoreRun, error) {
		rec.Error = msg
		rec.TotalMS = msSince(begun)
		return s.finish(ctx, runID, "failed", msg, rec)
	}

	t0 := time.Now()
	asOfDay := int32(asOf.Unix() / 86400)
	ids, h, err := s.readHistories(ctx, rec.Currency, asOfDay)
	if err != nil {
		_, _ = fail("reading purchases: " + err.Error())
		return nil, err
	}
	rec.ReadMS = msSince(t0)
	res, err := Compute(ids, h, asOfDay, rec.DiscountRate)
	res.Record.AsOf, res.Record.Currency, res.Record.DiscountRate, res.Record.ReadMS = rec.AsOf, rec.Currency, rec.DiscountRate, rec.ReadMS
	rec = res.Record
	if err != nil {
		return fail(err.Error())
	}
	t1 := time.Now()
	if err := s.write(ctx, runID, res.Rows); err != nil {
		_, _ = fail("writing scores: " + err.Error())
		return nil, err
	}
	rec.WriteMS = msSince(t1)
	rec.TotalMS = msSince(begun)
	return s.finish(ctx, runID, "ok", "", rec)
}

func (s *Store) finish(ctx context.Context, id int64, status, msg string, rec crm.ScoreRecord) (*crm.ScoreRun, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	// Written even when the caller's context ended: a run is never left
	// "running" for a reason the record could tell.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var run *crm.ScoreRun
	err = s.db.InTx(wctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(wctx, `UPDATE score_runs SET finished_at = $1, status = $2, message = $3, customers = $4, record = $5 WHERE id = $6`,
			store.MS(tx.Now()), status, msg, rec.Customers, string(b), id); err != nil {
			return err
		}
		r, err := scanRun(tx.QueryRowContext(wctx, `SELECT `+runCols+` FROM score_runs WHERE id = $1`, id))
		run = r
		return err
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	if status == "failed" {
		s.log.Warn("score fit failed", "run", id, "reason", msg)
	}
	return run, nil
}

// readHistories reads every customer's purchase days up to asOfDay from
// the customer_days rollup (migration 0011): a day with purchases (orders
// of kind 'order' in a purchased status) is a purchase day worth its net
// revenue; a day with only credit notes is no purchase, and its (negative)
// total nets the customer's preceding purchase day. Only the shop
// currency counts.
func (s *Store) readHistories(ctx context.Context, currency string, asOfDay int32) ([]int64, *clv.Histories, error) {
	rows, err := s.db.Query(ctx, `SELECT contact_id, day, orders, revenue FROM customer_days
WHERE currency = $1 AND day <= $2 ORDER BY contact_id, day`, currency, asOfDay)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	h := &clv.Histories{}
	var ids []int64
	var last int64 = -1
	for rows.Next() {
		var id, day, orders, revenue int64
		if err := rows.Scan(&id, &day, &orders, &revenue); err != nil {
			return nil, nil, err
		}
		if id != last {
			if len(ids) > 0 && len(h.Days) == h.Start[len(h.Start)-1] {
				// The previous contact had credit notes only.
				ids, h.Start = ids[:len(ids)-1], h.Start[:len(h.Start)-1]
			}
			ids = append(ids, id)
			h.Start = append(h.Start, len(h.Days))
			last = id
		}
		if orders > 0 {
			h.Days = append(h.Days, int32(day))
			h.Value = append(h.Value, float64(revenue))
		} else if len(h.Days) > h.Start[len(h.Start)-1] {
			h.Value[len(h.Value)-1] += float64(revenue)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(ids) > 0 && len(h.Days) == h.Start[len(h.Start)-1] {
		ids, h.Start = ids[:len(ids)-1], h.Start[:len(h.Start)-1]
	}
	h.Start = append(h.Start, len(h.Days))
	for i, v := range h.Value {
		if v < 0 {
			h.Value[i] = 0
		}
	}
	return ids, h, nil
}

// Row is one customer's scores as written.
type Row struct {
	ContactID    int64
	Frequency    int64
	RecencyDays  float64
	Monetary     int64
	R, F, M      int
	Group        string
	Score        clv.Score
	ExpSpend     int64
	CLV          int64
	AvgBetween   *float64
	NextOrderDay *int64 // UTC day number
}

// Result is a computed run: its record and the rows to write.
type Result struct {
	Record crm.ScoreRecord
	Rows   []Row
}

// HoldoutMaxDays and HoldoutMinDays bound the holdout check: the last
// third of the history, at most 39 weeks (the literature's CDNOW holdout)
// and at least four weeks.
const (
	HoldoutMaxDays = 273
	HoldoutMinDays = 28
)

// Compute fits the models on the histories as of asOfDay and scores every
// customer; it touches no database (the bench program and tests call it).
func Compute(ids []int64, h *clv.Histories, asOfDay int32, discount float64) (Result, error) {
	var res Result
	n := h.Len()
	cs := make([]clv.Customer, n)
	ss := make([]clv.Spend, n)
	var firstDay int32 = math.MaxInt32
	for i := 0; i < n; i++ {
		d, v := h.Customer(i)
		cs[i], ss[i], _ = clv.Summarize(d, v, asOfDay)
		if cs[i].X > 0 {
			res.Record.RepeatCustomers++
		}
		firstDay = min(firstDay, d[0])
	}
	res.Record.Customers = n
	t := time.Now()
	bg, err := clv.FitBGNBD(cs)
	res.Record.BGNBDMS = msSince(t)
	if err != nil {
		res.Record.FitMS = res.Record.BGNBDMS
		return res, fmt.Errorf("BG/NBD: %w", err)
	}
	res.Record.BGNBD = &crm.BGNBDParams{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B, LogLikelihood: bg.LogLikelihood, Regularized: bg.Regularized}
	t = time.Now()
	gg, err := clv.FitGammaGamma(ss)
	res.Record.GammaGammaMS = msSince(t)
	res.Record.FitMS = res.Record.BGNBDMS + res.Record.GammaGammaMS
	if err != nil {
		return res, fmt.Errorf("Gamma-Gamma: %w", err)
	}
	res.Record.GammaGamma = &crm.GammaGammaParm{P: gg.P, Q: gg.Q, Gamma: gg.Gamma, LogLikelihood: gg.LogLikelihood, Regularized: gg.Regularized}

	// The holdout check: refit on all but the last third of the history.
	if span := asOfDay - firstDay; n > 0 {
		hd := min(int32(HoldoutMaxDays), span/3)
		if hd < HoldoutMinDays {
			res.Record.HoldoutError = fmt.Sprintf("the purchase history spans %d days: a holdout check needs at least %d", span, 3*HoldoutMinDays)
		} else if ho, err := clv.CheckHoldout(h, asOfDay-hd, asOfDay); err != nil {
			res.Record.HoldoutError = err.Error()
		} else {
			hc := &crm.HoldoutCheck{CalibrationEnd: time.Unix(int64(asOfDay-hd)*86400, 0).UTC().Format("2006-01-02"),
				Weeks: ho.Weeks, Customers: ho.Customers,
				BGNBD:  crm.BGNBDParams{R: ho.BGNBD.R, Alpha: ho.BGNBD.Alpha, A: ho.BGNBD.A, B: ho.BGNBD.B, LogLikelihood: ho.LogLikelihood},
				Actual: ho.Actual, Predicted: ho.Predicted, MAE: ho.MAE, RMSE: ho.RMSE, Correlation: ho.Correlation}
			for _, b := range ho.ByFrequency {
				hc.ByFrequency = append(hc.ByFrequency, crm.HoldoutFreq{X: b.X, Customers: b.Customers, Actual: b.Actual, Predicted: b.Predicted})
			}
			res.Record.Holdout = hc
		}
	}

	// RFM quintiles over the whole customer base.
	rec := make([]float64, n)
	freq := make([]float64, n)
	mon := make([]float64, n)
	for i := 0; i < n; i++ {
		d, v := h.Customer(i)
		rec[i] = float64(asOfDay - d[len(d)-1])
		freq[i] = float64(len(d))
		var sum float64
		for _, x := range v {
			sum += x
		}
		mon[i] = sum / float64(len(d))
	}
	rq, fq, mq := clv.Quintiles(rec, true), clv.Quintiles(freq, false), clv.Quintiles(mon, false)

	m := clv.NewModels(bg.BGNBD, gg.GammaGamma, discount)
	res.Rows = make([]Row, n)
	for i := 0; i < n; i++ {
		sc := m.Score(cs[i], ss[i])
		r := Row{ContactID: ids[i], Frequency: int64(cs[i].X), RecencyDays: rec[i], Monetary: int64(math.Round(mon[i])),
			R: int(rq[i]), F: int(fq[i]), M: int(mq[i]), Score: sc,
			ExpSpend: int64(math.Round(sc.ExpSpend)), CLV: int64(math.Round(sc.CLV12))}
		r.Group = clv.Group(r.R, r.F)
		if cs[i].X >= 1 {
			v := sc.AvgBetween
			r.AvgBetween = &v
		}
		// The next order only within two years: beyond that it is no date
		// anyone plans by.
		if sc.HasNext && sc.NextWeeks*7 <= 730 {
			d := int64(asOfDay) + int64(math.Ceil(sc.NextWeeks*7))
			r.NextOrderDay = &d
		}
		res.Rows[i] = r
	}
	return res, nil
}

// JobEvery is how often the scheduled job refits: daily, since the scores
// are of days (recency, expected purchases).
const JobEvery = 24 * time.Hour

// Job is the leased daily score job (internal/jobs); RequestScores runs
// it at the next tick. A failed fit is a finished job whose run says why.
func Job(db *store.DB) jobs.Job {
	s := New(db)
	return jobs.Job{Name: crm.JobScores, Every: JobEvery, Lease: 5 * time.Minute, Run: func(ctx context.Context) error {
		run, err := s.RecomputeScores(ctx, crm.ScoreOptions{})
		if err == nil && run.Status == "failed" {
			return fmt.Errorf("score fit failed: %s", run.Message)
		}
		return err
	}}
}
