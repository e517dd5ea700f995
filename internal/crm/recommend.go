package crm

import (
	"context"
	"time"
)

// Recommendations (issue 10): item-to-item collaborative filtering over
// co-purchases and co-views (internal/recommend), rebuilt by the
// recs.rebuild job into the similarity and popularity tables.

// JobRecsRebuild is the scheduled job that rebuilds the recommendation
// tables (hourly, and on request after an order import or a restore).
const JobRecsRebuild = "recs.rebuild"

// Recommendation limits: a lookup returns 1..MaxRecommendations items.
const (
	DefaultRecommendations = 10
	MaxRecommendations     = 50
)

// RecReason explains a recommendation: the customer bought or viewed a
// product similar to it, or it is a best seller (popular).
type RecReason struct {
	Kind      string  `json:"kind" enum:"bought,viewed,popular"`
	ProductID int64   `json:"product_id"`
	SKU       string  `json:"sku"`
	Name      string  `json:"name"`
	Score     float64 `json:"score" doc:"What this reason added to the recommendation's score."`
}

// Recommendation is one recommended product.
type Recommendation struct {
	ProductID int64             `json:"product_id"`
	SKU       string            `json:"sku"`
	Name      string            `json:"name"`
	Names     map[string]string `json:"names,omitempty" doc:"Translated names by language."`
	Category  string            `json:"category"`
	Price     int64             `json:"price" doc:"Minor units of currency."`
	Currency  string            `json:"currency"`
	Available int64             `json:"available"`
	// Score is the summed similarity (0 for a best-seller fill).
	Score float64 `json:"score"`
	// Source is "similar" or "popular" (the fallback).
	Source string `json:"source" enum:"similar,popular"`
	// CoCount is, for a similar item, the customers who bought both.
	CoCount int64       `json:"co_count"`
	CoViews int64       `json:"co_views"`
	Reasons []RecReason `json:"reasons"`
}

// RecommendationList answers a lookup: next best products for a contact,
// or the products similar to one product.
type RecommendationList struct {
	ContactID *int64           `json:"contact_id,omitempty"`
	ProductID *int64           `json:"product_id,omitempty"`
	SKU       string           `json:"sku,omitempty"`
	Items     []Recommendation `json:"items"`
	// Fallback is true when nothing similar was known and the list is
	// best sellers only.
	Fallback bool `json:"fallback"`
	// BuiltAt is when the tables were last rebuilt (nil: never).
	BuiltAt *time.Time `json:"built_at"`
}

// RecommendationQuery selects a lookup: exactly one of ContactID,
// ProductID or SKU.
type RecommendationQuery struct {
	ContactID int64
	ProductID int64
	SKU       string
	Limit     int
}

// Validate checks the query and applies the default limit.
func (q *RecommendationQuery) Validate() error {
	var v Validation
	n := 0
	for _, set := range []bool{q.ContactID != 0, q.ProductID != 0, q.SKU != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		v.Add("contact_id", "recs_one_target")
	case n > 1:
		v.Add("sku", "recs_one_target")
	}
	if q.ContactID < 0 {
		v.Add("contact_id", "invalid_value")
	}
	if q.ProductID < 0 {
		v.Add("product_id", "invalid_value")
	}
	if q.Limit == 0 {
		q.Limit = DefaultRecommendations
	}
	if q.Limit < 1 || q.Limit > MaxRecommendations {
		v.Add("limit", "out_of_range")
	}
	return v.Err()
}

// RecsMetrics are top-N quality figures (0..1) of one recommender.
type RecsMetrics struct {
	HitRate5    float64 `json:"hit_rate_5"`
	HitRate10   float64 `json:"hit_rate_10"`
	Precision5  float64 `json:"precision_5"`
	Precision10 float64 `json:"precision_10"`
}

// RecsEvaluation is the offline test of a build on a time split of the
// order history: fitted on purchases before Cutoff, scored on what each
// customer bought from then on that they had not bought before, next to
// the best sellers before Cutoff as the baseline.
type RecsEvaluation struct {
	Cutoff         time.Time   `json:"cutoff"`
	Customers      int         `json:"customers" doc:"Customers who bought before the cutoff and something new after it."`
	TrainPurchases int         `json:"train_purchases"`
	TestPurchases  int         `json:"test_purchases"`
	Model          RecsMetrics `json:"model"`
	Popularity     RecsMetrics `json:"popularity"`
	EvalMS         int64       `json:"eval_ms"`
}

// RecsBuild is one rebuild of the recommendation tables.
type RecsBuild struct {
	ID         int64      `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Status     string     `json:"status" enum:"running,ok,failed"`
	Trigger    string     `json:"trigger" enum:"job,manual,demo"`
	Message    string     `json:"message"`
	// Skipped is true when nothing changed since the last build (no new or
	// changed orders, no new product views, built within a day): the
	// tables were left as they were and no build row was written.
	Skipped     bool            `json:"skipped"`
	Purchases   int64           `json:"purchases" doc:"Order lines read (purchases of known products)."`
	Views       int64           `json:"views" doc:"Product views read (last 180 days)."`
	Customers   int64           `json:"customers"`
	Products    int64           `json:"products"`
	Pairs       int64           `json:"pairs" doc:"Product pairs with a similarity."`
	SimilarRows int64           `json:"similar_rows" doc:"Rows kept (the best neighbours of each product)."`
	BuildMS     int64           `json:"build_ms" doc:"Reading the history and computing the similarities."`
	WriteMS     int64           `json:"write_ms"`
	Evaluation  *RecsEvaluation `json:"evaluation,omitempty" doc:"Absent when the history was too short to split."`
}

// RecommendationService looks up and rebuilds recommendations
// (analytics:read to look up, analytics:write to rebuild). An own-only
// user gets recommendations only for their own contacts.
type RecommendationService interface {
	Recommend(ctx context.Context, q RecommendationQuery) (*RecommendationList, error)
	// RebuildRecommendations rebuilds now (trigger manual, demo or job);
	// with force false an unchanged history is skipped.
	RebuildRecommendations(ctx context.Context, trigger string, force bool) (*RecsBuild, error)
	// LatestRecsBuild is the newest finished build with its evaluation
	// (not found before the first).
	LatestRecsBuild(ctx context.Context) (*RecsBuild, error)
}
