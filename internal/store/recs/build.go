package recs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/recommend"
	"github.com/ecrm/ecrm/internal/store"
)

// Causes of a build.
var causes = map[string]bool{"job": true, "manual": true, "demo": true}

// RebuildRecommendations rebuilds the tables from the whole history. A
// build is not incremental in its arithmetic (the similarities of a pair
// move with every buyer of either product) but in when it runs: with
// force false it is skipped while the orders are unchanged (same count,
// highest id and latest update), no product view arrived and the last
// build is younger than MaxAge. It also runs the offline evaluation on a
// time split of the same history.
func (s *Store) RebuildRecommendations(ctx context.Context, cause string, force bool) (*crm.RecsBuild, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Write))
	if err != nil {
		return nil, err
	}
	if !causes[cause] {
		var v crm.Validation
		v.Add("cause", "invalid_choice")
		return nil, v.Err()
	}
	ordersMark, err := s.ordersMark(ctx)
	if err != nil {
		return nil, err
	}
	if !force {
		skip, err := s.unchanged(ctx, ordersMark)
		if err != nil || skip {
			return &crm.RecsBuild{Skipped: true, Status: "ok", Trigger: cause}, err
		}
	}
	started := s.db.Now().UTC()
	asOf := store.MS(started)
	var id int64
	if err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO recs_builds (started_at, status, cause, orders_mark) VALUES ($1, 'running', $2, $3) RETURNING id`,
			asOf, cause, ordersMark).Scan(&id)
	}); err != nil {
		return nil, s.db.MapErr(err)
	}
	if err := s.build(ctx, id, asOf); err != nil {
		msg := err.Error()
		bg := context.WithoutCancel(ctx)
		_ = s.db.InTx(bg, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(bg, `DELETE FROM product_similarity WHERE build_id = $1`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(bg, `DELETE FROM product_popularity WHERE build_id = $1`, id); err != nil {
				return err
			}
			_, err := tx.ExecContext(bg, `UPDATE recs_builds SET status = 'failed', finished_at = $1, message = $2 WHERE id = $3`, store.MS(tx.Now()), msg, id)
			return err
		})
		return nil, s.db.MapErr(err)
	}
	if !a.System {
		// A person pressed "rebuild": the audit log says who.
		_ = s.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Audit(ctx, "recommendations.rebuild", "recs_build", id, nil, map[string]any{"force": force})
		})
	}
	return s.buildByID(ctx, id)
}

func (s *Store) buildByID(ctx context.Context, id int64) (*crm.RecsBuild, error) {
	b, err := scanBuild(s.db.QueryRow(ctx, `SELECT `+buildCols+` FROM recs_builds WHERE id = $1`, id))
	return b, s.db.MapErr(err)
}

// ordersMark fingerprints the orders: any order placed, imported, changed
// in status or deleted changes it.
func (s *Store) ordersMark(ctx context.Context) (string, error) {
	var n, maxID, maxUpd int64
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(MAX(updated_at), 0) FROM orders`).Scan(&n, &maxID, &maxUpd); err != nil {
		return "", s.db.MapErr(err)
	}
	return fmt.Sprintf("%d:%d:%d", n, maxID, maxUpd), nil
}

// unchanged reports whether the newest ok build saw the same orders, no
// product view arrived since and it is younger than MaxAge.
func (s *Store) unchanged(ctx context.Context, ordersMark string) (bool, error) {
	var mark string
	var viewsMark, finished int64
	err := s.db.QueryRow(ctx, `SELECT orders_mark, views_mark, finished_at FROM recs_builds WHERE status = 'ok' ORDER BY id DESC LIMIT 1`).Scan(&mark, &viewsMark, &finished)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, s.db.MapErr(err)
	}
	if mark != ordersMark || store.MS(s.db.Now())-finished > s.MaxAge.Milliseconds() {
		return false, nil
	}
	var newer int64
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE id > $1 AND name = 'product_view'`, viewsMark).Scan(&newer); err != nil {
		return false, s.db.MapErr(err)
	}
	return newer == 0, nil
}

// build reads the history, computes the model and its evaluation, writes
// the rows of build id and makes it the live one.
func (s *Store) build(ctx context.Context, id, asOf int64) error {
	t0 := time.Now()
	purchases, err := s.readPurchases(ctx)
	if err != nil {
		return err
	}
	views, viewsMark, err := s.readViews(ctx, asOf)
	if err != nil {
		return err
	}
	// The evaluation refits on the history before its cutoff: it gets its
	// own copies, since a build sorts its input.
	evPurchases, evViews := append([]recommend.Event(nil), purchases...), append([]recommend.Event(nil), views...)
	m := recommend.Build(purchases, views, asOf, s.Options)
	buildMS := time.Since(t0).Milliseconds()

	t1 := time.Now()
	var eval *crm.RecsEvaluation
	// No evaluation when the history is too short to split, or nobody
	// bought something new after the cutoff.
	if cut := recommend.DefaultCutoff(evPurchases); cut > 0 {
		if e := recommend.Evaluate(evPurchases, evViews, cut, s.Options); e.Customers > 0 {
			eval = &crm.RecsEvaluation{Cutoff: store.FromMS(cut), Customers: e.Customers, TrainPurchases: e.TrainPurchases, TestPurchases: e.TestPurchases,
				Model: crm.RecsMetrics(e.Model), Popularity: crm.RecsMetrics(e.Popularity)}
		}
	}
	evalMS := time.Since(t1).Milliseconds()
	if eval != nil {
		eval.EvalMS = evalMS
	}

	t2 := time.Now()
	rows, err := s.write(ctx, id, m)
	if err != nil {
		return err
	}
	evalJSON := ""
	if eval != nil {
		b, _ := json.Marshal(eval)
		evalJSON = string(b)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE recs_builds SET status = 'ok', finished_at = $1, views_mark = $2, purchases = $3, views = $4,
			customers = $5, products = $6, pairs = $7, similar_rows = $8, build_ms = $9, write_ms = $10, evaluation = $11 WHERE id = $12`,
			store.MS(tx.Now()), viewsMark, m.Purchases, m.Views, m.Customers, m.Items, m.Pairs, rows, buildMS, time.Since(t2).Milliseconds(), evalJSON, id)
		return err
	})
	if err != nil {
		return err
	}
	s.forgetLive()
	s.cleanup(ctx)
	return nil
}

// readPurchases reads every purchased order line of a known product: the
// customer is the contact, or for a guest order the order itself (a
// basket that adds co-purchases but is never a customer).
func (s *Store) readPurchases(ctx context.Context) ([]recommend.Event, error) {
	// CROSS JOIN makes SQLite scan the lines in storage order and look
	// each order up by its key (3 s for a million lines); left to itself
	// it walks orders by the status index and seeks every order's lines
	// (20 s). PostgreSQL plans it as the inner join it is (a hash join).
	rows, err := s.db.Query(ctx, `SELECT o.contact_id, o.id, l.product_id, o.placed_at FROM order_lines l CROSS JOIN orders o
		WHERE o.id = l.order_id AND o.kind = 'order' AND o.status IN `+purchased+` AND l.product_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recommend.Event
	for rows.Next() {
		var contact sql.NullInt64
		var e recommend.Event
		var order int64
		if err := rows.Scan(&contact, &order, &e.Item, &e.At); err != nil {
			return nil, err
		}
		e.Person = contact.Int64
		if !contact.Valid {
			e.Person = -order
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// readViews reads the product views of the last ViewDays: a linked
// visitor counts as their contact (so their browsers are one person and
// their views pair with their purchases' customer id), an anonymous one
// as itself. It returns the highest event id read, the next build's mark.
func (s *Store) readViews(ctx context.Context, asOf int64) ([]recommend.Event, int64, error) {
	since := asOf - int64(s.ViewDays)*dayMS
	rows, err := s.db.Query(ctx, `SELECT e.id, e.visitor_id, v.contact_id, p.id, e.occurred_at FROM events e
		JOIN products p ON p.sku = e.product_sku LEFT JOIN visitors v ON v.id = e.visitor_id
		WHERE e.name = 'product_view' AND e.occurred_at >= $1`, since)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []recommend.Event
	var mark int64
	anon := map[string]int64{}
	for rows.Next() {
		var id int64
		var visitor string
		var contact sql.NullInt64
		var e recommend.Event
		if err := rows.Scan(&id, &visitor, &contact, &e.Item, &e.At); err != nil {
			return nil, 0, err
		}
		mark = max(mark, id)
		if contact.Valid {
			e.Person = contact.Int64
		} else {
			// Anonymous visitors get ids below every guest order's.
			n, ok := anon[visitor]
			if !ok {
				n = int64(len(anon)) + 1
				anon[visitor] = n
			}
			e.Person = -(1 << 62) + n
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// Views newer than the window still count for the mark.
	var newest sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT MAX(id) FROM events WHERE id > $1 AND name = 'product_view'`, mark).Scan(&newest); err != nil {
		return nil, 0, err
	}
	return out, max(mark, newest.Int64), nil
}

// cleanup deletes the rows of the builds before the live one (a build
// still being written by another server is newer, and kept), and the
// build records beyond the newest 50.
func (s *Store) cleanup(ctx context.Context) {
	live, _, err := s.current(ctx)
	if err != nil {
		return
	}
	_ = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM product_similarity WHERE build_id < $1`, live); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM product_popularity WHERE build_id < $1`, live); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM recs_builds WHERE status <> 'running' AND id < (SELECT MIN(id) FROM (SELECT id FROM recs_builds ORDER BY id DESC LIMIT 50) k)`)
		return err
	})
}
