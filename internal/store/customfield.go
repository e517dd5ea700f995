package store

import (
	"context"
	"encoding/json"

	"github.com/ecrm/ecrm/internal/crm"
)

const customFieldCols = `id, entity, key, label, type, options, required, position, created_at`

func scanCustomField(row interface{ Scan(...any) error }) (*crm.CustomField, error) {
	var f crm.CustomField
	var opts string
	var created int64
	if err := row.Scan(&f.ID, &f.Entity, &f.Key, &f.Label, &f.Type, &opts, &f.Required, &f.Position, &created); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(opts), &f.Options)
	if f.Options == nil {
		f.Options = []string{}
	}
	f.CreatedAt = fromMS(created)
	return &f, nil
}

// FindCustomFieldByID returns one definition.
func (db *DB) FindCustomFieldByID(ctx context.Context, id int64) (*crm.CustomField, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCustomFields, crm.Read)); err != nil {
		return nil, err
	}
	f, err := scanCustomField(db.read.QueryRowContext(ctx, `SELECT `+customFieldCols+` FROM custom_fields WHERE id = $1`, id))
	return f, db.mapErr(err)
}

// FindCustomFields lists the definitions of an entity ("" for all). Anyone
// who can read contacts can read their field definitions, since the forms
// and lists need them.
func (db *DB) FindCustomFields(ctx context.Context, entity string) ([]*crm.CustomField, error) {
	a := crm.ActorFrom(ctx)
	if a == nil {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	if !a.Can(crm.P(crm.ResCustomFields, crm.Read)) && !a.Can(crm.P(crm.ResContacts, crm.Read)) && !a.Can(crm.P(crm.ResCompanies, crm.Read)) {
		return nil, crm.Errorf(crm.EFORBIDDEN, "you do not have permission custom-fields:read")
	}
	return db.customFields(ctx, db.read, entity)
}

func (db *DB) customFields(ctx context.Context, q queryer, entity string) ([]*crm.CustomField, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+customFieldCols+` FROM custom_fields WHERE entity = $1 OR $1 = '' ORDER BY entity, position, id`, entity)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.CustomField{}
	for rows.Next() {
		f, err := scanCustomField(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CreateCustomField defines a new field (admins only).
func (db *DB) CreateCustomField(ctx context.Context, in crm.CustomFieldInput) (*crm.CustomField, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCustomFields, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	var id int64
	err := db.inTx(ctx, func(tx *Tx) error {
		opts, _ := json.Marshal(deref(in.Options))
		if in.Options == nil {
			opts = []byte("[]")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO custom_fields (entity, key, label, type, options, required, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			*in.Entity, *in.Key, *in.Label, *in.Type, string(opts), deref(in.Required), deref(in.Position), ms(tx.now)).Scan(&id); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "custom_field", id, nil, in)
	})
	if err != nil {
		return nil, err
	}
	return db.FindCustomFieldByID(ctx, id)
}

// UpdateCustomField changes label, options, required flag or position.
// Entity, key and type are fixed: stored values depend on them.
func (db *DB) UpdateCustomField(ctx context.Context, id int64, in crm.CustomFieldInput) (*crm.CustomField, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCustomFields, crm.Write)); err != nil {
		return nil, err
	}
	in.Entity, in.Key, in.Type = nil, nil, nil
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		f, err := scanCustomField(tx.QueryRowContext(ctx, `SELECT `+customFieldCols+` FROM custom_fields WHERE id = $1`, id))
		if err != nil {
			return err
		}
		before := *f
		if in.Label != nil {
			f.Label = *in.Label
		}
		if in.Options != nil {
			f.Options = *in.Options
		}
		if in.Required != nil {
			f.Required = *in.Required
		}
		if in.Position != nil {
			f.Position = *in.Position
		}
		opts, _ := json.Marshal(f.Options)
		if _, err := tx.ExecContext(ctx, `UPDATE custom_fields SET label = $1, options = $2, required = $3, position = $4 WHERE id = $5`,
			f.Label, string(opts), f.Required, f.Position, id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "custom_field", id, &before, f)
	})
	if err != nil {
		return nil, err
	}
	return db.FindCustomFieldByID(ctx, id)
}

// DeleteCustomField removes a definition; values already stored stay in
// the records' JSON (and in exports) but are no longer shown or validated.
func (db *DB) DeleteCustomField(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCustomFields, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		f, err := scanCustomField(tx.QueryRowContext(ctx, `SELECT `+customFieldCols+` FROM custom_fields WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM custom_fields WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "custom_field", id, f, nil)
	})
}
