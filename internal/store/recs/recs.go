// Package recs stores and serves recommendations (issue 10): it reads the
// order history and the tracked product views, has internal/recommend
// build the item-to-item similarities and the best sellers, writes them
// as one build of the product_similarity and product_popularity tables
// (migration 0018), and answers lookups from the newest finished build.
package recs

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/recommend"
	"github.com/ecrm/ecrm/internal/store"
)

// Store implements crm.RecommendationService.
type Store struct {
	db *store.DB
	// Options tune the builds (zero: the package defaults).
	Options recommend.Options
	// MaxAge forces a rebuild of an unchanged history after this long, so
	// "recent best sellers" move with the calendar: a day.
	MaxAge time.Duration
	// ViewDays is how far back a build reads product views: 180.
	ViewDays int
	// RecentViewDays is how far back a lookup takes a customer's views
	// as signals: 30.
	RecentViewDays int

	mu          sync.Mutex
	popularOf   int64 // the build popularList belongs to
	popularList []recommend.Popular
	liveID      int64 // the live build, as read at liveRead
	liveAt      *time.Time
	liveRead    time.Time
}

// New returns the recommendation store of db.
func New(db *store.DB) *Store {
	return &Store{db: db, MaxAge: 24 * time.Hour, ViewDays: 180, RecentViewDays: 30}
}

var _ crm.RecommendationService = (*Store)(nil)

// purchased is crm.Purchased as SQL.
const purchased = `('paid', 'shipped', 'delivered')`

const dayMS = 86_400_000

// buildCols are the columns of recs_builds a reader scans.
const buildCols = `id, started_at, finished_at, status, cause, message, purchases, views, customers, products, pairs, similar_rows, build_ms, write_ms, evaluation`

func scanBuild(row interface{ Scan(...any) error }) (*crm.RecsBuild, error) {
	var b crm.RecsBuild
	var started int64
	var finished sql.NullInt64
	var eval string
	if err := row.Scan(&b.ID, &started, &finished, &b.Status, &b.Trigger, &b.Message, &b.Purchases, &b.Views, &b.Customers,
		&b.Products, &b.Pairs, &b.SimilarRows, &b.BuildMS, &b.WriteMS, &eval); err != nil {
		return nil, err
	}
	b.StartedAt = store.FromMS(started)
	if finished.Valid {
		t := store.FromMS(finished.Int64)
		b.FinishedAt = &t
	}
	if eval != "" {
		var e crm.RecsEvaluation
		if err := json.Unmarshal([]byte(eval), &e); err == nil {
			b.Evaluation = &e
		}
	}
	return &b, nil
}

// LatestRecsBuild is the newest finished build (ok or failed).
func (s *Store) LatestRecsBuild(ctx context.Context) (*crm.RecsBuild, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read)); err != nil {
		return nil, err
	}
	b, err := scanBuild(s.db.QueryRow(ctx, `SELECT `+buildCols+` FROM recs_builds WHERE status <> 'running' ORDER BY id DESC LIMIT 1`))
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return b, nil
}

// current is the newest ok build's id and finish time (id 0: none).
func (s *Store) current(ctx context.Context) (int64, *time.Time, error) {
	var id, at int64
	err := s.db.QueryRow(ctx, `SELECT id, finished_at FROM recs_builds WHERE status = 'ok' ORDER BY id DESC LIMIT 1`).Scan(&id, &at)
	if err == sql.ErrNoRows {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	t := store.FromMS(at)
	return id, &t, nil
}
