package recs

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/recommend"
	"github.com/ecrm/ecrm/internal/store"
)

// maxSignals caps the items of a customer a lookup scores from (the most
// recent ones), like the build's cap per customer.
const maxSignals = 50

// popularRead is how many best sellers a lookup reads for its fill: some
// may be owned, inactive or out of stock.
const popularRead = 200

// Recommend answers a lookup: a contact's next best products, or the
// products similar to one product (by id or SKU). Only active products
// with stock available are recommended. A lookup is three queries: what
// the contact did (or the product's neighbours), the neighbours of what
// they did, and the details of the products it lists.
func (s *Store) Recommend(ctx context.Context, q crm.RecommendationQuery) (*crm.RecommendationList, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read))
	if err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	build, builtAt, err := s.live(ctx)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	out := &crm.RecommendationList{BuiltAt: builtAt, Items: []crm.Recommendation{}}
	if q.ContactID != 0 {
		out.ContactID = &q.ContactID
		err = s.forContact(ctx, a, build, q, out)
	} else {
		err = s.similar(ctx, build, q, out)
	}
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	out.Fallback = len(out.Items) > 0
	for _, r := range out.Items {
		if r.Source == recommend.SourceSimilar {
			out.Fallback = false
		}
	}
	return out, nil
}

// liveTTL is how long a server trusts the live build it read: a build
// made by another server's job is used within this time.
const liveTTL = time.Second

// live is the current build, read at most once per liveTTL (a rebuild on
// this store resets it at once).
func (s *Store) live(ctx context.Context) (int64, *time.Time, error) {
	s.mu.Lock()
	if time.Since(s.liveRead) < liveTTL {
		id, at := s.liveID, s.liveAt
		s.mu.Unlock()
		return id, at, nil
	}
	s.mu.Unlock()
	id, at, err := s.current(ctx)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	s.liveID, s.liveAt, s.liveRead = id, at, time.Now()
	s.mu.Unlock()
	return id, at, nil
}

// forgetLive makes the next lookup read the live build again.
func (s *Store) forgetLive() {
	s.mu.Lock()
	s.liveRead = time.Time{}
	s.mu.Unlock()
}

// forContact scores the neighbours of what the contact bought (weight 1)
// and viewed lately (weight 1/2), never recommending a product they have
// in any order that was not cancelled. One query reads the contact's
// owner (not found: no such contact, or another owner's for an own-only
// actor), the products of their orders and their recent product views.
func (s *Store) forContact(ctx context.Context, a *crm.Actor, build int64, q crm.RecommendationQuery, out *crm.RecommendationList) error {
	since := store.MS(s.db.Now()) - int64(s.RecentViewDays)*dayMS
	rows, err := s.db.Query(ctx, `SELECT 'c', COALESCE(owner_id, 0), '', 0 FROM contacts WHERE id = $1
		UNION ALL
		SELECT 'o', l.product_id, o.status, MAX(o.placed_at) FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.contact_id = $1 AND o.kind = 'order' AND o.status <> 'cancelled' AND l.product_id IS NOT NULL GROUP BY l.product_id, o.status
		UNION ALL
		SELECT 'v', p.id, '', MAX(e.occurred_at) FROM visitors v JOIN events e ON e.visitor_id = v.id JOIN products p ON p.sku = e.product_sku
		WHERE v.contact_id = $1 AND e.name = 'product_view' AND e.occurred_at >= $2 GROUP BY p.id`, q.ContactID, since)
	if err != nil {
		return err
	}
	found := false
	owned := map[int64]bool{}
	bought := map[int64]int64{}
	viewed := map[int64]int64{}
	for rows.Next() {
		var kind, status string
		var id, at int64
		if err := rows.Scan(&kind, &id, &status, &at); err != nil {
			rows.Close()
			return err
		}
		switch kind {
		case "c":
			found = !a.Restricted() || id == a.UserID
		case "o":
			owned[id] = true
			if crm.Purchased(status) {
				bought[id] = max(bought[id], at)
			}
		case "v":
			viewed[id] = at
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return crm.Errorf(crm.ENOTFOUND, "contact %d not found", q.ContactID)
	}
	signals := make([]recommend.Signal, 0, len(bought)+len(viewed))
	for item, at := range bought {
		signals = append(signals, recommend.Signal{Item: item, Kind: recommend.KindBought, Weight: 1, At: at})
	}
	for item, at := range viewed {
		if !owned[item] {
			signals = append(signals, recommend.Signal{Item: item, Kind: recommend.KindViewed, Weight: recommend.ViewedWeight, At: at})
		}
	}
	signals = recommend.Latest(signals, maxSignals)
	ids := make([]int64, len(signals))
	for i, sg := range signals {
		ids[i] = sg.Item
	}
	sims, err := s.neighbours(ctx, build, ids)
	if err != nil {
		return err
	}
	popular, err := s.popular(ctx, build)
	if err != nil {
		return err
	}
	// Every similar product, best first; then the first that may be sold.
	ranked := recommend.Next(signals, func(item int64) []recommend.Neighbor { return sims[item] }, owned, nil, nil, math.MaxInt32)
	// The products the strongest reasons name come with the first read.
	prods := productSet{}
	var named []int64
	for _, r := range ranked[:min(len(ranked), 2*q.Limit)] {
		for _, b := range r.Because {
			named = append(named, b.Item)
		}
	}
	recs, err := s.pick(ctx, prods, ranked, popular, owned, q.Limit, named)
	if err != nil {
		return err
	}
	if err := s.names(ctx, prods, recs); err != nil {
		return err
	}
	out.Items = prods.render(recs, sims)
	return nil
}

// similar lists a product's neighbours (best sellers when it has none),
// reading the product and its neighbours in one query.
func (s *Store) similar(ctx context.Context, build int64, q crm.RecommendationQuery, out *crm.RecommendationList) error {
	var rows *sql.Rows
	var err error
	const cols = `SELECT p.id, p.sku, COALESCE(s.similar_id, 0), COALESCE(s.score, 0), COALESCE(s.co_count, 0), COALESCE(s.co_views, 0),
		COALESCE(s.purchase_score, 0), COALESCE(s.view_score, 0) FROM products p LEFT JOIN product_similarity s ON s.product_id = p.id AND s.build_id = $1`
	if q.ProductID != 0 {
		rows, err = s.db.Query(ctx, cols+` WHERE p.id = $2 ORDER BY s.rank`, build, q.ProductID)
	} else {
		rows, err = s.db.Query(ctx, cols+` WHERE p.sku = $2 ORDER BY s.rank`, build, q.SKU)
	}
	if err != nil {
		return err
	}
	var id int64
	var sku string
	var list []recommend.Neighbor
	for rows.Next() {
		var n recommend.Neighbor
		if err := rows.Scan(&id, &sku, &n.Item, &n.Score, &n.CoCount, &n.CoViews, &n.PurchaseScore, &n.ViewScore); err != nil {
			rows.Close()
			return err
		}
		if n.Item != 0 {
			list = append(list, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if id == 0 {
		return crm.Errorf(crm.ENOTFOUND, "product not found")
	}
	out.ProductID, out.SKU = &id, sku
	popular, err := s.popular(ctx, build)
	if err != nil {
		return err
	}
	var ranked []recommend.Rec
	for _, n := range list {
		ranked = append(ranked, recommend.Rec{Item: n.Item, Score: n.Score, Source: recommend.SourceSimilar})
	}
	prods := productSet{}
	recs, err := s.pick(ctx, prods, ranked, popular, map[int64]bool{id: true}, q.Limit, nil)
	if err != nil {
		return err
	}
	out.Items = prods.render(recs, map[int64][]recommend.Neighbor{id: list})
	return nil
}

// pick keeps the first limit candidates that may be sold (active, with
// stock available), then fills with best sellers not owned: product
// details are read a few at a time as the walk needs them, so a lookup
// reads about as many products as it lists.
//
// extra are products to read with the first candidates (the ones the
// reasons name).
func (s *Store) pick(ctx context.Context, prods productSet, ranked []recommend.Rec, popular []recommend.Popular, owned map[int64]bool, limit int, extra []int64) ([]recommend.Rec, error) {
	var out []recommend.Rec
	listed := map[int64]bool{}
	// walk goes through n candidates: itemAt names the i-th, rec makes
	// its recommendation (false: skip it, it is owned).
	walk := func(n int, itemAt func(i int) int64, rec func(i int) (recommend.Rec, bool)) error {
		for i := 0; i < n && len(out) < limit; i++ {
			if _, known := prods[itemAt(i)]; !known {
				// Read the details of this and the next few candidates.
				ids := extra
				extra = nil
				for j, want := i, len(ids)+2*limit+4; j < n && len(ids) < want; j++ {
					ids = append(ids, itemAt(j))
				}
				if err := s.products(ctx, prods, ids); err != nil {
					return err
				}
			}
			r, ok := rec(i)
			if !ok || listed[r.Item] || prods.excluded(r.Item) {
				continue
			}
			listed[r.Item] = true
			out = append(out, r)
		}
		return nil
	}
	err := walk(len(ranked), func(i int) int64 { return ranked[i].Item }, func(i int) (recommend.Rec, bool) { return ranked[i], true })
	if err != nil {
		return nil, err
	}
	err = walk(len(popular), func(i int) int64 { return popular[i].Item }, func(i int) (recommend.Rec, bool) {
		p := popular[i]
		return recommend.Rec{Item: p.Item, Source: recommend.SourcePopular, Because: []recommend.Because{{Item: p.Item, Kind: recommend.KindPopular, Score: p.Score}}}, !owned[p.Item]
	})
	return out, err
}

// names reads the products the reasons name that are not read yet.
func (s *Store) names(ctx context.Context, prods productSet, recs []recommend.Rec) error {
	var ids []int64
	for _, r := range recs {
		for _, b := range r.Because {
			if _, ok := prods[b.Item]; !ok {
				ids = append(ids, b.Item)
			}
		}
	}
	return s.products(ctx, prods, ids)
}

// neighbours reads the stored neighbours of items in build.
func (s *Store) neighbours(ctx context.Context, build int64, items []int64) (map[int64][]recommend.Neighbor, error) {
	out := map[int64][]recommend.Neighbor{}
	if len(items) == 0 || build == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if len(items) == 1 {
		rows, err = s.db.Query(ctx, `SELECT product_id, similar_id, score, co_count, co_views, purchase_score, view_score FROM product_similarity
			WHERE build_id = $1 AND product_id = $2 ORDER BY product_id, rank`, build, items[0])
	} else {
		// Built text: the list of ids is the caller's, every value a parameter.
		args := []any{build}
		ph := make([]string, len(items))
		for i, it := range items {
			args = append(args, it)
			ph[i] = store.Ph(i + 2)
		}
		rows, err = s.db.Read().QueryContext(ctx, `SELECT product_id, similar_id, score, co_count, co_views, purchase_score, view_score FROM product_similarity
			WHERE build_id = $1 AND product_id IN (`+strings.Join(ph, ", ")+`) ORDER BY product_id, rank`, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var item int64
		var n recommend.Neighbor
		if err := rows.Scan(&item, &n.Item, &n.Score, &n.CoCount, &n.CoViews, &n.PurchaseScore, &n.ViewScore); err != nil {
			return nil, err
		}
		out[item] = append(out[item], n)
	}
	return out, rows.Err()
}

// popular reads the best sellers of build, best first. A build's rows
// never change, so the list is kept in memory until the next build.
func (s *Store) popular(ctx context.Context, build int64) ([]recommend.Popular, error) {
	s.mu.Lock()
	if s.popularOf == build && build != 0 {
		list := s.popularList
		s.mu.Unlock()
		return list, nil
	}
	s.mu.Unlock()
	list, err := s.readPopular(ctx, build)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.popularOf, s.popularList = build, list
	s.mu.Unlock()
	return list, nil
}

func (s *Store) readPopular(ctx context.Context, build int64) ([]recommend.Popular, error) {
	rows, err := s.db.Query(ctx, `SELECT product_id, buyers, recent_buyers, score FROM product_popularity WHERE build_id = $1 ORDER BY rank LIMIT `+strconv.Itoa(popularRead), build)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recommend.Popular
	for rows.Next() {
		var p recommend.Popular
		if err := rows.Scan(&p.Item, &p.Buyers, &p.RecentBuyers, &p.Score); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

type product struct {
	id, price, available int64
	sku, name, category  string
	currency             string
	names                map[string]string
	active               bool
}

type productSet map[int64]*product

// excluded: unknown (deleted), inactive or nothing available to sell.
func (ps productSet) excluded(item int64) bool {
	p := ps[item]
	return p == nil || !p.active || p.available <= 0
}

// products reads into out the products of ids not read yet, with the
// stock available over every location (on hand less reserved); an id
// without a product is recorded as nil.
func (s *Store) products(ctx context.Context, out productSet, ids []int64) error {
	args := []any{}
	var ph []string
	for _, id := range ids {
		if _, seen := out[id]; !seen {
			out[id] = nil
			args = append(args, id)
			ph = append(ph, store.Ph(len(args)))
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT p.id, p.sku, p.name, p.names, p.category, p.price, p.currency, p.active,
		COALESCE((SELECT SUM(on_hand - reserved) FROM stock_levels sl WHERE sl.product_id = p.id), 0)
		FROM products p WHERE p.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p := &product{}
		var names string
		if err := rows.Scan(&p.id, &p.sku, &p.name, &names, &p.category, &p.price, &p.currency, &p.active, &p.available); err != nil {
			return err
		}
		_ = json.Unmarshal([]byte(names), &p.names)
		out[p.id] = p
	}
	return rows.Err()
}

// render turns scored items into the API's recommendations, naming the
// products behind each reason; sims supplies a similar item's evidence
// (from its strongest reason).
func (ps productSet) render(recs []recommend.Rec, sims map[int64][]recommend.Neighbor) []crm.Recommendation {
	out := make([]crm.Recommendation, 0, len(recs))
	for _, r := range recs {
		p := ps[r.Item]
		if p == nil {
			continue
		}
		x := crm.Recommendation{ProductID: p.id, SKU: p.sku, Name: p.name, Names: p.names, Category: p.category, Price: p.price,
			Currency: p.currency, Available: p.available, Score: r.Score, Source: r.Source, Reasons: []crm.RecReason{}}
		for _, b := range r.Because {
			reason := crm.RecReason{Kind: b.Kind, ProductID: b.Item, Score: b.Score}
			if q := ps[b.Item]; q != nil {
				reason.SKU, reason.Name = q.sku, q.name
			}
			x.Reasons = append(x.Reasons, reason)
		}
		// The evidence of the pair with the strongest reason (or, for a
		// product's similar items, with the product itself).
		from := int64(0)
		if len(r.Because) > 0 {
			from = r.Because[0].Item
		}
		for k, list := range sims {
			if r.Source != recommend.SourceSimilar || (from != 0 && k != from) {
				continue
			}
			for _, n := range list {
				if n.Item == r.Item {
					x.CoCount, x.CoViews = int64(n.CoCount), int64(n.CoViews)
				}
			}
		}
		out = append(out, x)
	}
	return out
}
