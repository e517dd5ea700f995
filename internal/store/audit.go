package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/ecrm/ecrm/internal/crm"
)

// audit records an action in the same transaction as the change, so the
// log can never disagree with the data.
func (tx *Tx) audit(ctx context.Context, action, entity string, id int64, before, after any) error {
	a := crm.ActorFrom(ctx)
	var actorID any
	if a != nil && a.UserID != 0 {
		actorID = a.UserID
	}
	var entityID any
	if id != 0 {
		entityID = id
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, actor_id, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ms(tx.now), a.Label(), actorID, action, entity, entityID, auditJSON(before), auditJSON(after))
	return err
}

func auditJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// RecordAudit writes an entry for actions that change nothing in the
// database themselves, such as an export or a login.
func (db *DB) RecordAudit(ctx context.Context, e crm.AuditEntry) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var id int64
		if e.EntityID != nil {
			id = *e.EntityID
		}
		return tx.audit(ctx, e.Action, e.Entity, id, nil, json.RawMessage(orNull(e.After)))
	})
}

func orNull(s string) string {
	if s == "" || !json.Valid([]byte(s)) {
		b, _ := json.Marshal(s)
		if s == "" {
			return "null"
		}
		return string(b)
	}
	return s
}

// FindAudit lists audit entries, newest first (admins only).
func (db *DB) FindAudit(ctx context.Context, f crm.AuditFilter) (crm.Page[*crm.AuditEntry], error) {
	var page crm.Page[*crm.AuditEntry]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAudit, crm.Read)); err != nil {
		return page, err
	}
	where, args := []string{"1=1"}, []any{}
	if f.Entity != "" {
		args = append(args, f.Entity)
		where = append(where, "entity = "+ph(len(args)))
	}
	if f.EntityID != nil {
		args = append(args, *f.EntityID)
		where = append(where, "entity_id = "+ph(len(args)))
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		args = append(args, c.ID)
		where = append(where, "id < "+ph(len(args)))
	}
	limit := clampLimit(f.Limit)
	args = append(args, limit+1)
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, actor, actor_id, action, entity, entity_id, before, after FROM audit_log WHERE `+
		joinAnd(where)+` ORDER BY id DESC LIMIT `+ph(len(args)), args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e crm.AuditEntry
		var at int64
		var actorID, entityID sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &actorID, &e.Action, &e.Entity, &entityID, &e.Before, &e.After); err != nil {
			return page, err
		}
		e.At, e.ActorID, e.EntityID = fromMS(at), idPtr(actorID), idPtr(entityID)
		page.Items = append(page.Items, &e)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(idCursor{ID: page.Items[limit-1].ID})
	}
	return page, rows.Err()
}
