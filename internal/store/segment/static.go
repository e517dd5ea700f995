package segment

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// MaxIDs bounds one add or remove call.
const MaxIDs = 1000

func invalid(field, key string, args ...any) error {
	return &crm.Error{Code: crm.EINVALID, Message: "validation failed", Fields: []crm.FieldError{{Field: field, Key: key, Args: args}}}
}

func checkIDs(contactIDs []int64) error {
	if len(contactIDs) == 0 {
		return invalid("contact_ids", "required")
	}
	if len(contactIDs) > MaxIDs {
		return invalid("contact_ids", "too_many", MaxIDs)
	}
	for i, id := range contactIDs {
		if id <= 0 {
			return invalid(fmt.Sprintf("contact_ids[%d]", i), "segment_unknown_contact")
		}
	}
	return nil
}

// lockStatic locks a segment that must be a static list.
func lockStatic(ctx context.Context, tx *store.Tx, id int64) (string, error) {
	name, kind, _, err := lock(ctx, tx, id)
	if err != nil {
		return "", err
	}
	if kind != crm.SegmentStatic {
		return "", invalid("kind", "segment_not_static")
	}
	return name, nil
}

func inList(first int, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = store.Ph(first + i)
	}
	return strings.Join(ps, ", ")
}

// AddMembers adds contacts to a static list. Every id must be a contact
// the actor may see.
func (s *Store) AddMembers(ctx context.Context, id int64, contactIDs []int64) (int64, error) {
	a, err := write(ctx)
	if err != nil {
		return 0, err
	}
	if err := checkIDs(contactIDs); err != nil {
		return 0, err
	}
	var added int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		name, err := lockStatic(ctx, tx, id)
		if err != nil {
			return err
		}
		args := []any{}
		for _, c := range contactIDs {
			args = append(args, c)
		}
		visible := `SELECT c.id FROM contacts c WHERE c.id IN (` + inList(1, len(args)) + `)`
		if o := owner(a); o != 0 {
			args = append(args, o)
			visible += ` AND c.owner_id = ` + store.Ph(len(args))
		}
		found, err := ids(tx.QueryContext(ctx, visible, args...))
		if err != nil {
			return err
		}
		have := map[int64]bool{}
		for _, f := range found {
			have[f] = true
		}
		for i, c := range contactIDs {
			if !have[c] {
				return invalid(fmt.Sprintf("contact_ids[%d]", i), "segment_unknown_contact")
			}
		}
		n, err := s.addWhere(ctx, tx, id, name, "c.id IN ("+inList(3, len(found))+")", toAny(found))
		added = n
		if err != nil {
			return err
		}
		return tx.Audit(ctx, "add_members", "segment", id, nil, map[string]any{"contact_ids": contactIDs, "added": n})
	})
	return added, s.db.MapErr(err)
}

func toAny(xs []int64) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// addWhere inserts into a static list the contacts matching cond (its
// placeholders start at $3) that are not members yet, logs them and
// recounts the list.
func (s *Store) addWhere(ctx context.Context, tx *store.Tx, id int64, name, cond string, args []any) (int64, error) {
	args = append([]any{id, store.MS(tx.Now())}, args...)
	entered, err := ids(tx.QueryContext(ctx, `INSERT INTO segment_members (segment_id, contact_id, added_at)
		SELECT CAST($1 AS BIGINT), c.id, CAST($2 AS BIGINT) FROM contacts c WHERE `+cond+`
		AND NOT EXISTS (SELECT 1 FROM segment_members sm WHERE sm.segment_id = $1 AND sm.contact_id = c.id) RETURNING contact_id`, args...))
	if err != nil {
		return 0, err
	}
	if err := record(ctx, tx, id, name, crm.SegmentEntered, entered); err != nil {
		return 0, err
	}
	return int64(len(entered)), recount(ctx, tx, id)
}

func recount(ctx context.Context, tx *store.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE segments SET member_count = (SELECT COUNT(*) FROM segment_members WHERE segment_id = $1), updated_at = $2 WHERE id = $1`,
		id, store.MS(tx.Now()))
	return err
}

// AddMatching adds everyone a definition selects now (that the actor may
// see) to a static list: a snapshot that does not follow later changes.
func (s *Store) AddMatching(ctx context.Context, id int64, definition json.RawMessage) (int64, error) {
	a, err := write(ctx)
	if err != nil {
		return 0, err
	}
	if len(definition) == 0 || string(definition) == "null" {
		return 0, invalid("definition", "required")
	}
	var added int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		name, err := lockStatic(ctx, tx, id)
		if err != nil {
			return err
		}
		d, opt, err := s.parse(ctx, tx, definition, id)
		if err != nil {
			return err
		}
		cond, args, err := s.compile(d, opt, tx.Now(), 3, owner(a))
		if err != nil {
			return err
		}
		if added, err = s.addWhere(ctx, tx, id, name, cond, args); err != nil {
			return err
		}
		return tx.Audit(ctx, "add_matching", "segment", id, nil, map[string]any{"definition": d, "added": added})
	})
	return added, s.db.MapErr(err)
}

// RemoveMembers takes contacts out of a static list (own-only actors:
// only their own contacts).
func (s *Store) RemoveMembers(ctx context.Context, id int64, contactIDs []int64) (int64, error) {
	a, err := write(ctx)
	if err != nil {
		return 0, err
	}
	if err := checkIDs(contactIDs); err != nil {
		return 0, err
	}
	var removed int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		name, err := lockStatic(ctx, tx, id)
		if err != nil {
			return err
		}
		args := append([]any{id}, toAny(contactIDs)...)
		q := `DELETE FROM segment_members WHERE segment_id = $1 AND contact_id IN (` + inList(2, len(contactIDs)) + `)`
		if o := owner(a); o != 0 {
			args = append(args, o)
			q += ` AND contact_id IN (SELECT c.id FROM contacts c WHERE c.owner_id = ` + store.Ph(len(args)) + `)`
		}
		left, err := ids(tx.QueryContext(ctx, q+` RETURNING contact_id`, args...))
		if err != nil {
			return err
		}
		if err := record(ctx, tx, id, name, crm.SegmentLeft, left); err != nil {
			return err
		}
		removed = int64(len(left))
		if err := recount(ctx, tx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, "remove_members", "segment", id, nil, map[string]any{"contact_ids": contactIDs, "removed": removed})
	})
	return removed, s.db.MapErr(err)
}
