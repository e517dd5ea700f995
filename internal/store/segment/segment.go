// Package segment stores segments (internal/segment compiles their
// definitions): CRUD, previews, member lists and exports, static lists,
// and the refresh that keeps dynamic segments' members current and logs
// every entry and exit in segment_changes.
package segment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	engine "github.com/ecrm/ecrm/internal/segment"
	"github.com/ecrm/ecrm/internal/store"
)

// JobName is the scheduled refresh of every dynamic segment.
const JobName = "segments.refresh"

// Store implements crm.SegmentService.
type Store struct {
	db *store.DB
}

var _ crm.SegmentService = (*Store)(nil)

// New returns the segment store over db.
func New(db *store.DB) *Store { return &Store{db: db} }

// queryer is a transaction or the read pool.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func read(ctx context.Context) (*crm.Actor, error) {
	return crm.Authorize(ctx, crm.P(crm.ResSegments, crm.Read))
}

func write(ctx context.Context) (*crm.Actor, error) {
	return crm.Authorize(ctx, crm.P(crm.ResSegments, crm.Write))
}

// owner is the own-only restriction of an actor: 0 when unrestricted.
func owner(a *crm.Actor) int64 {
	if a.Restricted() {
		return a.UserID
	}
	return 0
}

// customFields loads the contact custom fields the catalog offers.
func customFields(ctx context.Context, q queryer) ([]engine.CustomField, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, label, type, options FROM custom_fields WHERE entity = 'contact' ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []engine.CustomField
	for rows.Next() {
		var cf engine.CustomField
		var opts string
		if err := rows.Scan(&cf.Key, &cf.Label, &cf.Type, &opts); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(opts), &cf.Options)
		out = append(out, cf)
	}
	return out, rows.Err()
}

// resolver reads referenced segments from q.
func resolver(ctx context.Context, q queryer) engine.Resolver {
	cache := map[int64]*engine.Ref{}
	return func(id int64) (*engine.Ref, error) {
		if r, ok := cache[id]; ok {
			return r, nil
		}
		var kind, def string
		if err := q.QueryRowContext(ctx, `SELECT kind, definition FROM segments WHERE id = $1`, id).Scan(&kind, &def); err != nil {
			return nil, err
		}
		r := &engine.Ref{Static: kind == crm.SegmentStatic}
		if !r.Static {
			r.Definition = &engine.Definition{}
			if err := json.Unmarshal([]byte(def), r.Definition); err != nil {
				return nil, fmt.Errorf("segment %d: stored definition: %w", id, err)
			}
		}
		cache[id] = r
		return r, nil
	}
}

// options are the validation options of a definition read through q.
func (s *Store) options(ctx context.Context, q queryer, self int64) (engine.Options, error) {
	custom, err := customFields(ctx, q)
	if err != nil {
		return engine.Options{}, s.db.MapErr(err)
	}
	return engine.Options{Custom: custom, Resolve: resolver(ctx, q), Self: self}, nil
}

// parse validates a definition; problems are crm validation errors under
// "definition".
func (s *Store) parse(ctx context.Context, q queryer, raw json.RawMessage, self int64) (*engine.Definition, engine.Options, error) {
	opt, err := s.options(ctx, q, self)
	if err != nil {
		return nil, opt, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte(`{"op":"and","groups":[]}`)
	}
	d, err := engine.Parse(raw, opt)
	if err != nil {
		return nil, opt, crm.SegmentDefinitionError(err)
	}
	return d, opt, nil
}

// compile returns the condition of d over contacts c with placeholders
// from first, restricted to owner's contacts when owner is not 0.
func (s *Store) compile(d *engine.Definition, opt engine.Options, now time.Time, first int, ownerID int64) (string, []any, error) {
	cond, args, err := engine.Compile(d, engine.Env{Engine: s.db.Engine(), Now: now, Options: opt}, first)
	if err != nil {
		return "", nil, err
	}
	if ownerID != 0 {
		cond += " AND c.owner_id = " + store.Ph(first+len(args))
		args = append(args, ownerID)
	}
	return cond, args, nil
}

// Catalog lists the built-in and custom fields.
func (s *Store) Catalog(ctx context.Context) ([]engine.Field, error) {
	if _, err := read(ctx); err != nil {
		return nil, err
	}
	custom, err := customFields(ctx, s.db.Read())
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return append(engine.Catalog(), engine.CustomFields(custom)...), nil
}

const segmentCols = `id, name, description, kind, definition, owner_id, member_count, refreshed_at, created_at, updated_at`

func scanSegment(row interface{ Scan(...any) error }) (*crm.Segment, error) {
	var sg crm.Segment
	var def string
	var ownerID, refreshed sql.NullInt64
	var created, updated int64
	if err := row.Scan(&sg.ID, &sg.Name, &sg.Description, &sg.Kind, &def, &ownerID, &sg.MemberCount, &refreshed, &created, &updated); err != nil {
		return nil, err
	}
	if sg.Kind == crm.SegmentDynamic && def != "" {
		sg.Definition = &engine.Definition{}
		if err := json.Unmarshal([]byte(def), sg.Definition); err != nil {
			return nil, err
		}
	}
	if ownerID.Valid {
		sg.OwnerID = &ownerID.Int64
	}
	if refreshed.Valid {
		t := store.FromMS(refreshed.Int64)
		sg.RefreshedAt = &t
	}
	sg.CreatedAt, sg.UpdatedAt = store.FromMS(created), store.FromMS(updated)
	return &sg, nil
}

func (s *Store) find(ctx context.Context, q queryer, id int64) (*crm.Segment, error) {
	sg, err := scanSegment(q.QueryRowContext(ctx, `SELECT `+segmentCols+` FROM segments WHERE id = $1`, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, crm.Errorf(crm.ENOTFOUND, "segment not found")
		}
		return nil, s.db.MapErr(err)
	}
	return sg, nil
}

// ownCount is the number of a segment's members owned by ownerID.
func ownCount(ctx context.Context, q queryer, id, ownerID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM segment_members sm JOIN contacts c ON c.id = sm.contact_id WHERE sm.segment_id = $1 AND c.owner_id = $2`, id, ownerID).Scan(&n)
	return n, err
}

// Find returns a segment; an own-only reader sees the count of their own members.
func (s *Store) Find(ctx context.Context, id int64) (*crm.Segment, error) {
	a, err := read(ctx)
	if err != nil {
		return nil, err
	}
	sg, err := s.find(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if o := owner(a); o != 0 {
		if sg.MemberCount, err = ownCount(ctx, s.db.Read(), id, o); err != nil {
			return nil, s.db.MapErr(err)
		}
	}
	return sg, nil
}

// List returns segments by name.
func (s *Store) List(ctx context.Context, f crm.SegmentFilter) ([]*crm.Segment, int, error) {
	a, err := read(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.ToLower(q)+"%")
		where = append(where, "lower(name) LIKE "+store.Ph(len(args)))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, "kind = "+store.Ph(len(args)))
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM segments`+w, args...).Scan(&total); err != nil {
		return nil, 0, s.db.MapErr(err)
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+segmentCols+` FROM segments`+w+
		` ORDER BY lower(name), id LIMIT `+store.Ph(len(args)-1)+` OFFSET `+store.Ph(len(args)), args...)
	if err != nil {
		return nil, 0, s.db.MapErr(err)
	}
	defer rows.Close()
	var out []*crm.Segment
	for rows.Next() {
		sg, err := scanSegment(rows)
		if err != nil {
			return nil, 0, s.db.MapErr(err)
		}
		out = append(out, sg)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.db.MapErr(err)
	}
	if o := owner(a); o != 0 {
		for _, sg := range out {
			if sg.MemberCount, err = ownCount(ctx, s.db.Read(), sg.ID, o); err != nil {
				return nil, 0, s.db.MapErr(err)
			}
		}
	}
	return out, total, nil
}

// Create saves a segment and fills a dynamic one in the same transaction.
func (s *Store) Create(ctx context.Context, in crm.SegmentInput) (*crm.Segment, error) {
	a, err := write(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	kind := crm.SegmentDynamic
	if in.Kind != nil {
		kind = *in.Kind
	}
	def := ""
	var t *target
	if kind == crm.SegmentStatic {
		if len(in.Definition) > 0 && string(in.Definition) != "null" {
			return nil, &crm.Error{Code: crm.EINVALID, Message: "validation failed", Fields: []crm.FieldError{{Field: "definition", Key: "segment_static_definition"}}}
		}
	} else {
		if len(in.Definition) == 0 || string(in.Definition) == "null" {
			return nil, &crm.Error{Code: crm.EINVALID, Message: "validation failed", Fields: []crm.FieldError{{Field: "definition", Key: "required"}}}
		}
		d, opt, err := s.parse(ctx, s.db.Read(), in.Definition, 0)
		if err != nil {
			return nil, err
		}
		def = d.JSON()
		if t, err = s.evaluate(ctx, d, opt); err != nil {
			return nil, err
		}
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	var ownerID any
	if a.UserID != 0 {
		ownerID = a.UserID
	}
	var out *crm.Segment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := store.MS(tx.Now())
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO segments (name, description, kind, definition, owner_id, member_count, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id`, *in.Name, desc, kind, def, ownerID, now).Scan(&id); err != nil {
			return err
		}
		if kind == crm.SegmentDynamic {
			if _, err := s.refresh(ctx, tx, id, t); err != nil {
				return err
			}
		}
		sg, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		out = sg
		return tx.Audit(ctx, "create", "segment", id, nil, sg)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return s.visible(ctx, a, out)
}

// visible replaces the member count by the own-only reader's.
func (s *Store) visible(ctx context.Context, a *crm.Actor, sg *crm.Segment) (*crm.Segment, error) {
	if o := owner(a); o != 0 {
		n, err := ownCount(ctx, s.db.Read(), sg.ID, o)
		if err != nil {
			return nil, s.db.MapErr(err)
		}
		sg.MemberCount = n
	}
	return sg, nil
}

// Update changes a segment; a new definition refills it at once.
func (s *Store) Update(ctx context.Context, id int64, in crm.SegmentInput) (*crm.Segment, error) {
	a, err := write(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	// A new definition is validated and evaluated on the read pool first,
	// so the transaction only writes the difference.
	var t *target
	if len(in.Definition) > 0 && string(in.Definition) != "null" {
		sg, err := s.find(ctx, s.db.Read(), id)
		if err != nil {
			return nil, err
		}
		if sg.Kind == crm.SegmentStatic {
			return nil, invalid("definition", "segment_static_definition")
		}
		d, opt, err := s.parse(ctx, s.db.Read(), in.Definition, id)
		if err != nil {
			return nil, err
		}
		if t, err = s.evaluate(ctx, d, opt); err != nil {
			return nil, err
		}
	}
	var out *crm.Segment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		sets := []string{"updated_at = $2"}
		args := []any{id, store.MS(tx.Now())}
		set := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, col+" = "+store.Ph(len(args)))
		}
		if in.Name != nil {
			set("name", *in.Name)
		}
		if in.Description != nil {
			set("description", *in.Description)
		}
		refill := false
		if len(in.Definition) > 0 && string(in.Definition) != "null" {
			if before.Kind == crm.SegmentStatic {
				return &crm.Error{Code: crm.EINVALID, Message: "validation failed", Fields: []crm.FieldError{{Field: "definition", Key: "segment_static_definition"}}}
			}
			set("definition", t.def)
			refill = true
		}
		if _, err := tx.ExecContext(ctx, `UPDATE segments SET `+strings.Join(sets, ", ")+` WHERE id = $1`, args...); err != nil {
			return err
		}
		if refill {
			if _, err := s.refresh(ctx, tx, id, t); err != nil {
				return err
			}
		}
		if out, err = s.find(ctx, tx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, "update", "segment", id, before, out)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return s.visible(ctx, a, out)
}

// Delete removes a segment nothing else refers to.
func (s *Store) Delete(ctx context.Context, id int64) error {
	if _, err := write(ctx); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, definition FROM segments WHERE kind = 'dynamic' AND id <> $1`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var other int64
			var name, def string
			if err := rows.Scan(&other, &name, &def); err != nil {
				return err
			}
			var d engine.Definition
			if json.Unmarshal([]byte(def), &d) != nil {
				continue
			}
			for _, ref := range d.SegmentRefs() {
				if ref == id {
					return crm.Errorf(crm.ECONFLICT, "segment %q refers to this segment", name)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.Audit(ctx, "delete", "segment", id, before, nil)
	})
	return s.db.MapErr(err)
}

// Preview counts and samples a definition without saving it.
func (s *Store) Preview(ctx context.Context, definition json.RawMessage, sample int) (*crm.SegmentPreview, error) {
	a, err := read(ctx)
	if err != nil {
		return nil, err
	}
	if sample < 0 {
		sample = 0
	}
	if sample > 100 {
		sample = 100
	}
	d, opt, err := s.parse(ctx, s.db.Read(), definition, 0)
	if err != nil {
		return nil, err
	}
	cond, args, err := s.compile(d, opt, s.db.Now(), 1, owner(a))
	if err != nil {
		return nil, err
	}
	out := &crm.SegmentPreview{Sample: []*crm.SegmentMember{}}
	if sample == 0 {
		if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts c WHERE `+cond, args...).Scan(&out.Count); err != nil {
			return nil, s.db.MapErr(err)
		}
		return out, nil
	}
	// One evaluation gives both: the count of every match rides on each
	// of the first rows (a window over the whole result, before LIMIT).
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+memberCols+`, NULL, COUNT(*) OVER () FROM contacts c LEFT JOIN customer_facts f ON f.contact_id = c.id WHERE `+cond+
		` ORDER BY c.sort_name, c.id LIMIT `+fmt.Sprint(sample), args...)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		m, _, err := scanMember(rows, &out.Count)
		if err != nil {
			return nil, s.db.MapErr(err)
		}
		out.Sample = append(out.Sample, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.db.MapErr(err)
	}
	return out, nil
}
