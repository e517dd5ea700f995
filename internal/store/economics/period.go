package economics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// scope is what every report reads first: who asks (own-only users see
// their own customers), the shop currency and the period.
type scope struct {
	owner    int64 // restricted to this owner's customers when not 0
	currency string
	cal      crm.Calendar
	from, to time.Time
	months   []time.Time // month starts of cal from from to to
}

// maxMonths bounds a report's range (ten years).
const maxMonths = 120

func (s *Store) scope(ctx context.Context, from, to *time.Time, cal crm.Calendar, defMonths int) (*scope, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read))
	if err != nil {
		return nil, err
	}
	if cal == nil {
		cal = crm.Gregorian{}
	}
	sc := &scope{currency: store.DefaultCurrency, cal: cal}
	if a.Restricted() {
		sc.owner = a.UserID
	}
	var cur string
	switch err := s.db.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&cur); {
	case err == nil && cur != "":
		sc.currency = cur
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, s.db.MapErr(err)
	}
	switch {
	case from != nil && to != nil:
		sc.from, sc.to = from.UTC(), to.UTC()
	case to != nil:
		sc.to = to.UTC()
		sc.from = cal.AddMonths(cal.MonthStart(sc.to.Add(-time.Millisecond)), 1-defMonths)
	case from != nil:
		sc.from = from.UTC()
		sc.to = cal.AddMonths(cal.MonthStart(sc.from), defMonths)
	default:
		// The months up to the last one with a purchase, so an old data
		// set shows without choosing dates (as the sales report).
		var last sql.NullInt64
		err := s.db.QueryRow(ctx, `SELECT MAX(m) FROM (
  SELECT MAX(placed_at) AS m FROM orders WHERE status = 'paid'
  UNION ALL SELECT MAX(placed_at) FROM orders WHERE status = 'shipped'
  UNION ALL SELECT MAX(placed_at) FROM orders WHERE status = 'delivered') x`).Scan(&last)
		if err != nil {
			return nil, s.db.MapErr(err)
		}
		end := s.db.Now().UTC()
		if last.Valid {
			end = store.FromMS(last.Int64)
		}
		sc.to = cal.AddMonths(cal.MonthStart(end), 1)
		sc.from = cal.AddMonths(sc.to, -defMonths)
	}
	var v crm.Validation
	if !sc.from.Before(sc.to) {
		v.Add("to", "out_of_range")
	} else if sc.to.Sub(sc.from) > 3700*24*time.Hour {
		v.Add("from", "out_of_range")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for m := cal.MonthStart(sc.from); m.Before(sc.to) && len(sc.months) < maxMonths+1; m = cal.AddMonths(m, 1) {
		sc.months = append(sc.months, m)
	}
	return sc, nil
}

// monthOf is the index in months of the month holding t (-1 before).
func (sc *scope) monthOf(t time.Time) int {
	i := -1
	for j, m := range sc.months {
		if !t.Before(m) {
			i = j
		}
	}
	return i
}

// query builds SQL with numbered placeholders: arg adds a value and
// returns its placeholder.
type query struct {
	args []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return store.Ph(len(q.args))
}

// bucket is a CASE expression numbering the month of col: values below
// the first end are 0 (the caller's WHERE bounds the start), NULL is
// null, and values past the last end are len(ends). scale divides the
// boundaries (1: milliseconds, dayMS: day numbers).
func (q *query) bucket(col string, ends []time.Time, scale int64) string {
	var b strings.Builder
	b.WriteString("CASE WHEN " + col + " IS NULL THEN -2")
	for i, e := range ends {
		fmt.Fprintf(&b, " WHEN %s < %s THEN %d", col, q.arg(store.MS(e)/scale), i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(ends))
	return b.String()
}

// ends are the months' ends.
func (sc *scope) ends() []time.Time {
	out := make([]time.Time, len(sc.months))
	for i, m := range sc.months {
		out[i] = sc.cal.AddMonths(m, 1)
		if out[i].After(sc.to) {
			out[i] = sc.to
		}
	}
	return out
}

// ownerJoin restricts rows of alias.contact_id to the scope's owner.
func (sc *scope) ownerJoin(q *query, col string) string {
	if sc.owner == 0 {
		return ""
	}
	return " JOIN contacts own ON own.id = " + col + " AND own.owner_id = " + q.arg(sc.owner)
}

// purchased are the statuses that count as a purchase (crm.Purchased).
const purchased = `('paid', 'shipped', 'delivered')`

// eachRow runs a built query, scanning every row with scan.
func (s *Store) eachRow(ctx context.Context, q *query, sqlText string, scan func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if s.rd != nil {
		rows, err = s.rd.QueryContext(ctx, sqlText, q.args...)
	} else {
		rows, err = s.db.Read().QueryContext(ctx, sqlText, q.args...)
	}
	if err != nil {
		return s.db.MapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// snapshot returns a copy of the store whose report queries run in one
// read transaction, so every figure of a report comes from the same
// snapshot (repeatable read on PostgreSQL, where JIT compilation, which
// cost seconds on these one-off queries, is switched off for it). done
// ends the transaction.
func (s *Store) snapshot(ctx context.Context) (*Store, func(), error) {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if s.db.Engine() != "postgres" {
		opts = nil // the SQLite read pool is query_only; a transaction is a snapshot
	}
	tx, err := s.db.Read().BeginTx(ctx, opts)
	if err != nil {
		return nil, nil, s.db.MapErr(err)
	}
	if s.db.Engine() == "postgres" {
		if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
			tx.Rollback()
			return nil, nil, s.db.MapErr(err)
		}
	}
	return &Store{db: s.db, rd: tx}, func() { tx.Rollback() }, nil
}
