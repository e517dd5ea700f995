// Package economics stores costs (migration 0017) and computes the cohort
// and economics reports from them and the sales rollups (migration 0011).
package economics

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// Store implements crm.CostService on the one store. rd is a report's
// read transaction (snapshot) when set, else the read pool is used.
type Store struct {
	db *store.DB
	rd interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

// New returns the cost service of db.
func New(db *store.DB) *Store { return &Store{db: db} }

const dayMS = 86400000

const costCols = `id, kind, key, day, amount, per, currency, note, created_at, updated_at`

func scanCost(sc interface{ Scan(...any) error }) (*crm.Cost, error) {
	var c crm.Cost
	var day, created, updated int64
	if err := sc.Scan(&c.ID, &c.Kind, &c.Key, &day, &c.Amount, &c.Per, &c.Currency, &c.Note, &created, &updated); err != nil {
		return nil, err
	}
	c.Date = dayDate(day)
	c.Created, c.Updated = store.FromMS(created), store.FromMS(updated)
	return &c, nil
}

// dayDate is a UTC day number as YYYY-MM-DD.
func dayDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format(time.DateOnly) }

type costCursor struct {
	Day int64 `json:"d"`
	ID  int64 `json:"i"`
}

// FindCosts lists costs by date, then id.
func (s *Store) FindCosts(ctx context.Context, f crm.CostFilter) (crm.Page[*crm.Cost], error) {
	var page crm.Page[*crm.Cost]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Read)); err != nil {
		return page, err
	}
	var v crm.Validation
	where, args := []string{"true"}, []any{}
	arg := func(x any) string { args = append(args, x); return store.Ph(len(args)) }
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.Key != "" {
		where = append(where, "key = "+arg(strings.TrimSpace(f.Key)))
	}
	if f.Currency != "" {
		where = append(where, "currency = "+arg(strings.ToUpper(strings.TrimSpace(f.Currency))))
	}
	for _, d := range []struct{ name, val, op string }{{"from", f.From, ">="}, {"to", f.To, "<="}} {
		if d.val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.val)
		if err != nil {
			v.Add(d.name, "invalid_date")
			continue
		}
		where = append(where, "day "+d.op+" "+arg(t.Unix()/86400))
	}
	if f.After != "" {
		var c costCursor
		b, err := base64.RawURLEncoding.DecodeString(f.After)
		if err != nil || json.Unmarshal(b, &c) != nil {
			v.Add("after", "invalid_cursor")
		} else {
			where = append(where, "(day > "+arg(c.Day)+" OR (day = "+arg(c.Day)+" AND id > "+arg(c.ID)+"))")
		}
	}
	if err := v.Err(); err != nil {
		return page, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT ` + costCols + `, COUNT(*) OVER () FROM costs WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY day, id LIMIT ` + arg(limit+1)
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return page, s.db.MapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c crm.Cost
		var day, created, updated int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Key, &day, &c.Amount, &c.Per, &c.Currency, &c.Note, &created, &updated, &page.Total); err != nil {
			return page, err
		}
		c.Date = dayDate(day)
		c.Created, c.Updated = store.FromMS(created), store.FromMS(updated)
		page.Items = append(page.Items, &c)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		b, _ := json.Marshal(costCursor{crm.CostDay(last), last.ID})
		page.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	if f.After != "" {
		// The window count covers the rows after the cursor only.
		page.Total = 0
	}
	return page, nil
}

// FindCostByID returns one cost.
func (s *Store) FindCostByID(ctx context.Context, id int64) (*crm.Cost, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Read)); err != nil {
		return nil, err
	}
	c, err := scanCost(s.db.QueryRow(ctx, `SELECT `+costCols+` FROM costs WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(s.db, err)
	}
	return c, nil
}

func notFound(db *store.DB, err error) error {
	if err == sql.ErrNoRows {
		return crm.Errorf(crm.ENOTFOUND, "cost not found")
	}
	return db.MapErr(err)
}

// CreateCost stores a new cost; one with the same kind, key, date and
// currency is a conflict.
func (s *Store) CreateCost(ctx context.Context, in crm.CostInput) (*crm.Cost, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Write)); err != nil {
		return nil, err
	}
	var out *crm.Cost
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		shop, err := tx.ShopCurrency(ctx)
		if err != nil {
			return err
		}
		c := &crm.Cost{}
		if err := crm.ApplyCost(c, in, shop); err != nil {
			return err
		}
		if err := insertCost(ctx, tx, c); err != nil {
			return err
		}
		out = c
		return tx.Audit(ctx, "create", "cost", c.ID, nil, c)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return out, nil
}

func insertCost(ctx context.Context, tx *store.Tx, c *crm.Cost) error {
	now := tx.Now()
	c.Created, c.Updated = now, now
	err := tx.QueryRowContext(ctx, `INSERT INTO costs (kind, key, day, amount, per, currency, note, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, c.Kind, c.Key, crm.CostDay(c), c.Amount, c.Per, c.Currency, c.Note, store.MS(now)).Scan(&c.ID)
	if crm.ErrorCode(tx.DB().MapErr(err)) == crm.ECONFLICT {
		return conflict()
	}
	return err
}

func conflict() error {
	return &crm.Error{Code: crm.ECONFLICT, Message: "a cost of this kind, key, date and currency exists",
		Fields: []crm.FieldError{{Field: "date", Key: "cost_exists"}}}
}

func updateCost(ctx context.Context, tx *store.Tx, c *crm.Cost) error {
	c.Updated = tx.Now()
	_, err := tx.ExecContext(ctx, `UPDATE costs SET kind = $1, key = $2, day = $3, amount = $4, per = $5, currency = $6, note = $7, updated_at = $8 WHERE id = $9`,
		c.Kind, c.Key, crm.CostDay(c), c.Amount, c.Per, c.Currency, c.Note, store.MS(c.Updated), c.ID)
	if crm.ErrorCode(tx.DB().MapErr(err)) == crm.ECONFLICT {
		return conflict()
	}
	return err
}

// UpdateCost changes the fields sent.
func (s *Store) UpdateCost(ctx context.Context, id int64, in crm.CostInput) (*crm.Cost, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Write)); err != nil {
		return nil, err
	}
	var out *crm.Cost
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := scanCost(tx.QueryRowContext(ctx, `SELECT `+costCols+` FROM costs WHERE id = $1`, id))
		if err != nil {
			return notFound(s.db, err)
		}
		shop, err := tx.ShopCurrency(ctx)
		if err != nil {
			return err
		}
		c := *before
		if err := crm.ApplyCost(&c, in, shop); err != nil {
			return err
		}
		if err := updateCost(ctx, tx, &c); err != nil {
			return err
		}
		out = &c
		return tx.Audit(ctx, "update", "cost", id, before, &c)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return out, nil
}

// DeleteCost removes a cost.
func (s *Store) DeleteCost(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Write)); err != nil {
		return err
	}
	return s.db.MapErr(s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := scanCost(tx.QueryRowContext(ctx, `SELECT `+costCols+` FROM costs WHERE id = $1`, id))
		if err != nil {
			return notFound(s.db, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM costs WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.Audit(ctx, "delete", "cost", id, before, nil)
	}))
}
