package crm

import (
	"context"
	"time"
)

// Customer value scores (issue 10, item 2): the score job fits the BG/NBD
// and Gamma-Gamma models (internal/clv) on every customer's purchase days
// and stores one ContactScore per customer with orders, and one ScoreRun
// per fit with the fitted model and its holdout check.

// JobScores is the scheduled job that recomputes the scores.
const JobScores = "scores.recompute"

// DefaultDiscountRate is the annual discount rate of the 12-month CLV
// until the shop sets one (settings "scores.discount_rate").
const DefaultDiscountRate = 0.10

// ContactScore is one customer's value figures as of the run that wrote
// them. Money is in minor units of Currency.
type ContactScore struct {
	ContactID       int64      `json:"contact_id"`
	RunID           int64      `json:"run_id"`
	ComputedAt      time.Time  `json:"computed_at"`
	Currency        string     `json:"currency"`
	Frequency       int        `json:"frequency" doc:"Repeat purchase days (purchase days after the first): the BG/NBD x"`
	RecencyDays     float64    `json:"recency_days" doc:"Days from the last purchase day to the run's as-of day"`
	Monetary        int64      `json:"monetary" doc:"Mean net spend per purchase day"`
	RScore          int        `json:"r_score" minimum:"1" maximum:"5"`
	FScore          int        `json:"f_score" minimum:"1" maximum:"5"`
	MScore          int        `json:"m_score" minimum:"1" maximum:"5"`
	RFMGroup        string     `json:"rfm_group" enum:"champions,loyal,potential_loyalists,promising,new,need_attention,at_risk,cant_lose,hibernating,lost"`
	PAlive          float64    `json:"p_alive" doc:"Probability the customer is still active (BG/NBD)"`
	ExpPurchases30  float64    `json:"exp_purchases_30"`
	ExpPurchases90  float64    `json:"exp_purchases_90"`
	ExpPurchases365 float64    `json:"exp_purchases_365"`
	ExpSpend        int64      `json:"exp_spend" doc:"Expected value of a future purchase (Gamma-Gamma)"`
	CLV12m          int64      `json:"clv_12m" doc:"Discounted expected value of the next 12 months"`
	ChurnRisk       float64    `json:"churn_risk" doc:"Probability of no purchase in the next 90 days"`
	ChurnBand       string     `json:"churn_band" enum:"low,medium,high"`
	AvgDaysBetween  *float64   `json:"avg_days_between,omitempty" doc:"Mean days between purchase days; absent with one purchase day"`
	NextOrderAt     *time.Time `json:"next_order_at,omitempty" doc:"Date by which another purchase is more likely than not; absent when the customer is more likely gone"`
}

// ScoreRun is one fit: when, on which purchases, and its record.
type ScoreRun struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status" enum:"running,ok,failed"`
	Message    string     `json:"message,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ScoreRecord
}

// ScoreRecord is what a run found: the record
// {"customers", "bgnbd", "gamma_gamma", "fit_ms"} and the holdout check.
type ScoreRecord struct {
	AsOf            string          `json:"as_of" doc:"Purchases up to this day (YYYY-MM-DD) were used"`
	Customers       int             `json:"customers"`
	RepeatCustomers int             `json:"repeat_customers"`
	Currency        string          `json:"currency"`
	DiscountRate    float64         `json:"discount_rate"`
	BGNBD           *BGNBDParams    `json:"bgnbd,omitempty" doc:"The fitted BG/NBD model (absent when the fit failed)"`
	GammaGamma      *GammaGammaParm `json:"gamma_gamma,omitempty" doc:"The fitted Gamma-Gamma model (absent when the fit failed)"`
	FitMS           float64         `json:"fit_ms" doc:"BG/NBD plus Gamma-Gamma fit time"`
	BGNBDMS         float64         `json:"bgnbd_ms"`
	GammaGammaMS    float64         `json:"gamma_gamma_ms"`
	ReadMS          float64         `json:"read_ms"`
	WriteMS         float64         `json:"write_ms"`
	TotalMS         float64         `json:"total_ms"`
	Holdout         *HoldoutCheck   `json:"holdout,omitempty"`
	HoldoutError    string          `json:"holdout_error,omitempty"`
	Error           string          `json:"error,omitempty"`
}

// BGNBDParams are a fitted BG/NBD model.
type BGNBDParams struct {
	R             float64 `json:"r"`
	Alpha         float64 `json:"alpha"`
	A             float64 `json:"a"`
	B             float64 `json:"b"`
	LogLikelihood float64 `json:"log_likelihood"`
	Regularized   bool    `json:"regularized,omitempty" doc:"The maximum likelihood ran to a boundary (customers too alike to tell a distribution apart) and a weak prior on the log shape parameters chose the estimate"`
}

// GammaGammaParm are a fitted Gamma-Gamma model (spend in minor units).
type GammaGammaParm struct {
	P             float64 `json:"p"`
	Q             float64 `json:"q"`
	Gamma         float64 `json:"gamma"`
	LogLikelihood float64 `json:"log_likelihood"`
	Regularized   bool    `json:"regularized,omitempty"`
}

// HoldoutCheck is the BG/NBD refitted on the purchases before the last
// weeks of history and compared with what the customers then did.
type HoldoutCheck struct {
	CalibrationEnd string        `json:"calibration_end"`
	Weeks          float64       `json:"weeks"`
	Customers      int           `json:"customers"`
	BGNBD          BGNBDParams   `json:"bgnbd,omitempty" doc:"The fitted BG/NBD model (absent when the fit failed)"`
	Actual         float64       `json:"actual" doc:"Repeat purchase days in the holdout"`
	Predicted      float64       `json:"predicted"`
	MAE            float64       `json:"mae" doc:"Mean absolute error per customer"`
	RMSE           float64       `json:"rmse"`
	Correlation    float64       `json:"correlation" doc:"Pearson correlation of predicted and actual per customer"`
	ByFrequency    []HoldoutFreq `json:"by_frequency"`
}

// HoldoutFreq is the mean actual and predicted holdout purchases of the
// customers with X calibration repeat purchases (the last bin: X or more).
type HoldoutFreq struct {
	X         int     `json:"x"`
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// ScoreOptions tune a recompute.
type ScoreOptions struct {
	// AsOf is the last day of purchases used (YYYY-MM-DD); empty = today (UTC).
	AsOf string `json:"as_of,omitempty" pattern:"^\\d{4}-\\d{2}-\\d{2}$"`
	// DiscountRate, when set, becomes the shop's annual CLV discount rate.
	DiscountRate *float64 `json:"discount_rate,omitempty" minimum:"0" maximum:"1"`
}

// Validate checks the options.
func (o ScoreOptions) Validate() error {
	var v Validation
	if o.AsOf != "" {
		if _, err := time.Parse("2006-01-02", o.AsOf); err != nil {
			v.Add("as_of", "invalid_date")
		}
	}
	if o.DiscountRate != nil && !(*o.DiscountRate >= 0 && *o.DiscountRate <= 1) {
		v.Add("discount_rate", "out_of_range")
	}
	return v.Err()
}

// ValueReport is the analytics home's customer value: customers by RFM
// group and by R×F cell, the CLV distribution and the call list of
// at-risk customers with the highest CLV. An own-only user sees only
// their own customers.
type ValueReport struct {
	Run       *ScoreRun     `json:"run"`
	Currency  string        `json:"currency"`
	Customers int           `json:"customers"`
	TotalCLV  int64         `json:"total_clv"`
	Groups    []ValueGroup  `json:"groups"`
	Grid      [][]int       `json:"grid" doc:"Customers by R score (rows 5..1) and F score (columns 1..5)"`
	CLV       []ValueBucket `json:"clv_buckets"`
	AtRisk    []AtRiskRow   `json:"at_risk"`
}

// ValueGroup is one RFM group's customers and value.
type ValueGroup struct {
	Group     string  `json:"group"`
	Customers int     `json:"customers"`
	CLV       int64   `json:"clv" doc:"Sum of the group's 12-month CLV"`
	AvgPAlive float64 `json:"avg_p_alive"`
}

// ValueBucket counts customers with From ≤ CLV < To (To 0: no upper bound).
type ValueBucket struct {
	From      int64 `json:"from"`
	To        int64 `json:"to"`
	Customers int   `json:"customers"`
}

// AtRiskRow is a customer to call: lapsing (RFM at_risk or cant_lose)
// and worth the most.
type AtRiskRow struct {
	ContactID   int64   `json:"contact_id"`
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	OwnerID     *int64  `json:"owner_id,omitempty"`
	OwnerName   string  `json:"owner_name,omitempty"`
	RFMGroup    string  `json:"rfm_group"`
	CLV12m      int64   `json:"clv_12m"`
	PAlive      float64 `json:"p_alive"`
	ChurnRisk   float64 `json:"churn_risk"`
	RecencyDays float64 `json:"recency_days"`
	Frequency   int     `json:"frequency"`
}

// ScoreService reads and recomputes the customer value scores.
type ScoreService interface {
	// FindContactScore returns a contact's scores (not found: no orders
	// or not scored yet).
	FindContactScore(ctx context.Context, contactID int64) (*ContactScore, error)
	// LatestScoreRun is the newest finished run (ok or failed).
	LatestScoreRun(ctx context.Context) (*ScoreRun, error)
	// FindScoreRuns lists runs, newest first.
	FindScoreRuns(ctx context.Context, limit int) ([]*ScoreRun, error)
	// RecomputeScores fits the models now and writes the scores. A fit
	// that cannot converge keeps the previous scores and is returned as a
	// run with status "failed" and the reason (not as an error).
	RecomputeScores(ctx context.Context, opt ScoreOptions) (*ScoreRun, error)
	// RequestScores asks the scheduled job to run at its next tick.
	RequestScores(ctx context.Context) error
	// ValueReport is the customer value report (atRisk rows at most).
	ValueReport(ctx context.Context, atRisk int) (*ValueReport, error)
}
