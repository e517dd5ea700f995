package store

import (
	"context"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// FindViews lists the caller's saved views of an entity list.
func (db *DB) FindViews(ctx context.Context, entity string) ([]*crm.SavedView, error) {
	a := crm.ActorFrom(ctx)
	if a == nil || a.UserID == 0 {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, user_id, entity, name, query, columns FROM saved_views WHERE user_id = $1 AND entity = $2 ORDER BY name, id`, a.UserID, entity)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var out []*crm.SavedView
	for rows.Next() {
		var v crm.SavedView
		var cols string
		if err := rows.Scan(&v.ID, &v.UserID, &v.Entity, &v.Name, &v.Query, &cols); err != nil {
			return nil, err
		}
		v.Columns = strings.Fields(cols)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// CreateView saves a view for the caller.
func (db *DB) CreateView(ctx context.Context, sv crm.SavedView) (*crm.SavedView, error) {
	a := crm.ActorFrom(ctx)
	if a == nil || a.UserID == 0 {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	var v crm.Validation
	sv.Name = strings.TrimSpace(sv.Name)
	if sv.Name == "" || len([]rune(sv.Name)) > crm.MaxName {
		v.Add("name", "required")
	}
	if sv.Entity != "contact" && sv.Entity != "company" {
		v.Add("entity", "invalid_choice")
	}
	if len(sv.Query) > 2000 {
		v.Add("query", "too_long", 2000)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sv.UserID = a.UserID
	err := db.inTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO saved_views (user_id, entity, name, query, columns, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			sv.UserID, sv.Entity, sv.Name, sv.Query, strings.Join(sv.Columns, " "), ms(tx.now)).Scan(&sv.ID)
	})
	if err != nil {
		return nil, err
	}
	return &sv, nil
}

// DeleteView removes one of the caller's views.
func (db *DB) DeleteView(ctx context.Context, id int64) error {
	a := crm.ActorFrom(ctx)
	if a == nil || a.UserID == 0 {
		return crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	res, err := db.write.ExecContext(ctx, `DELETE FROM saved_views WHERE id = $1 AND user_id = $2`, id, a.UserID)
	if err != nil {
		return db.mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return crm.Errorf(crm.ENOTFOUND, "view not found")
	}
	return nil
}
