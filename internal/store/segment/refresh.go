package segment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
	engine "github.com/ecrm/ecrm/internal/segment"
	"github.com/ecrm/ecrm/internal/store"
)

// lock takes the segment's row for the rest of the transaction (on
// PostgreSQL concurrent refreshes and list edits of one segment queue
// here; SQLite has one writer) and returns its name, kind and definition.
func lock(ctx context.Context, tx *store.Tx, id int64) (name, kind, def string, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE segments SET member_count = member_count WHERE id = $1 RETURNING name, kind, definition`, id).Scan(&name, &kind, &def)
	if errors.Is(err, sql.ErrNoRows) {
		err = crm.Errorf(crm.ENOTFOUND, "segment not found")
	}
	return name, kind, def, err
}

// matching lists, in id order, the contacts d selects now, read through q
// (the read pool, so a long evaluation never holds SQLite's writer).
func (s *Store) matching(ctx context.Context, q queryer, d *engine.Definition, opt engine.Options, now time.Time) ([]int64, error) {
	cond, args, err := s.compile(d, opt, now, 1, 0)
	if err != nil {
		return nil, err
	}
	// Sorted here, not by ORDER BY: asking SQLite for id order makes it
	// walk every contact in order instead of starting from the driving set.
	out, err := ids(q.QueryContext(ctx, `SELECT c.id FROM contacts c WHERE `+cond, args...))
	slices.Sort(out)
	return out, err
}

// target is what a dynamic segment should hold: its definition (as
// stored) and the contacts it selected when evaluated.
type target struct {
	def  string
	want []int64
}

// evaluate computes a definition's target on the read pool.
func (s *Store) evaluate(ctx context.Context, d *engine.Definition, opt engine.Options) (*target, error) {
	want, err := s.matching(ctx, s.db.Read(), d, opt, s.db.Now())
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return &target{def: d.JSON(), want: want}, nil
}

// refresh makes a segment's members what its definition selects, in tx:
// leavers are deleted, newcomers inserted, each change logged in
// segment_changes (and sent as a webhook, up to crm.SegmentEventLimit of
// each per refresh). t was evaluated before the transaction on the read
// pool; if the stored definition differs by now (a concurrent update), it
// is evaluated again inside tx. Contacts created meanwhile join at the
// next refresh; contacts deleted meanwhile are skipped. Static lists are
// only recounted.
func (s *Store) refresh(ctx context.Context, tx *store.Tx, id int64, t *target) (*crm.SegmentRefresh, error) {
	start := time.Now()
	name, kind, def, err := lock(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	out := &crm.SegmentRefresh{SegmentID: id}
	if kind == crm.SegmentDynamic {
		if t == nil || t.def != def {
			var d engine.Definition
			if err := json.Unmarshal([]byte(def), &d); err != nil {
				return nil, err
			}
			opt, err := s.options(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			want, err := s.matching(ctx, tx, &d, opt, tx.Now())
			if err != nil {
				return nil, err
			}
			t = &target{def: def, want: want}
		}
		have, err := ids(tx.QueryContext(ctx, `SELECT contact_id FROM segment_members WHERE segment_id = $1 ORDER BY contact_id`, id))
		if err != nil {
			return nil, err
		}
		add, del := diff(have, t.want)
		var left, entered []int64
		for i := 0; i < len(del); i += chunkSize {
			chunk := del[i:min(i+chunkSize, len(del))]
			got, err := ids(tx.QueryContext(ctx, `DELETE FROM segment_members WHERE segment_id = $1 AND contact_id IN (`+inList(2, len(chunk))+`) RETURNING contact_id`,
				append([]any{id}, toAny(chunk)...)...))
			if err != nil {
				return nil, err
			}
			left = append(left, got...)
		}
		for i := 0; i < len(add); i += chunkSize {
			chunk := add[i:min(i+chunkSize, len(add))]
			got, err := ids(tx.QueryContext(ctx, `INSERT INTO segment_members (segment_id, contact_id, added_at)
				SELECT CAST($1 AS BIGINT), c.id, CAST($2 AS BIGINT) FROM contacts c WHERE c.id IN (`+inList(3, len(chunk))+`) RETURNING contact_id`,
				append([]any{id, store.MS(tx.Now())}, toAny(chunk)...)...))
			if err != nil {
				return nil, err
			}
			entered = append(entered, got...)
		}
		if err := record(ctx, tx, id, name, crm.SegmentLeft, left); err != nil {
			return nil, err
		}
		if err := record(ctx, tx, id, name, crm.SegmentEntered, entered); err != nil {
			return nil, err
		}
		out.Entered, out.Left = int64(len(entered)), int64(len(left))
	}
	if err := tx.QueryRowContext(ctx, `UPDATE segments SET member_count = (SELECT COUNT(*) FROM segment_members WHERE segment_id = $1), refreshed_at = $2
		WHERE id = $1 RETURNING member_count`, id, store.MS(tx.Now())).Scan(&out.Members); err != nil {
		return nil, err
	}
	out.Millis = time.Since(start).Milliseconds()
	return out, nil
}

// chunkSize bounds the ids of one statement.
const chunkSize = 500

// diff compares two ascending id lists: what want has that have lacks,
// and what have has that want lacks.
func diff(have, want []int64) (add, del []int64) {
	i, j := 0, 0
	for i < len(have) || j < len(want) {
		switch {
		case j == len(want) || i < len(have) && have[i] < want[j]:
			del = append(del, have[i])
			i++
		case i == len(have) || want[j] < have[i]:
			add = append(add, want[j])
			j++
		default:
			i++
			j++
		}
	}
	return add, del
}

func ids(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// record logs changes of one kind at the transaction's time, many rows per
// statement, and emits their webhooks.
func record(ctx context.Context, tx *store.Tx, id int64, name, change string, contacts []int64) error {
	at := store.MS(tx.Now())
	const per = 500
	for i := 0; i < len(contacts); i += per {
		chunk := contacts[i:min(i+per, len(contacts))]
		var b strings.Builder
		b.WriteString(`INSERT INTO segment_changes (segment_id, contact_id, change, at) VALUES `)
		args := []any{id, change, at}
		for j, c := range chunk {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, c)
			b.WriteString("($1, " + store.Ph(len(args)) + ", $2, $3)")
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	event := crm.EventSegmentEntered
	if change == crm.SegmentLeft {
		event = crm.EventSegmentLeft
	}
	for i, c := range contacts {
		if i == crm.SegmentEventLimit {
			break
		}
		if err := tx.Emit(ctx, event, crm.SegmentChangeEvent{SegmentID: id, SegmentName: name, ContactID: c, At: tx.Now()}); err != nil {
			return err
		}
	}
	return nil
}

// Refresh brings one segment up to date now.
func (s *Store) Refresh(ctx context.Context, id int64) (*crm.SegmentRefresh, error) {
	if _, err := write(ctx); err != nil {
		return nil, err
	}
	sg, err := s.find(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	var t *target
	if sg.Kind == crm.SegmentDynamic && sg.Definition != nil {
		opt, err := s.options(ctx, s.db.Read(), id)
		if err != nil {
			return nil, err
		}
		if t, err = s.evaluate(ctx, sg.Definition, opt); err != nil {
			return nil, err
		}
	}
	var out *crm.SegmentRefresh
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.refresh(ctx, tx, id, t)
		return err
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return out, nil
}

// RefreshAll refreshes every dynamic segment, each in its own transaction
// so a large one does not hold the others; a segment that fails (its
// definition no longer compiles) is skipped and reported at the end.
func (s *Store) RefreshAll(ctx context.Context) ([]*crm.SegmentRefresh, error) {
	if _, err := write(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM segments WHERE kind = 'dynamic' ORDER BY id`)
	list, err := ids(rows, err)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	var out []*crm.SegmentRefresh
	var errs []error
	for _, id := range list {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r, err := s.Refresh(ctx, id)
		if err != nil {
			if crm.ErrorCode(err) == crm.ENOTFOUND {
				continue // deleted meanwhile
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// Job is the scheduled refresh of every dynamic segment (every five
// minutes; store.RequestJob(JobName) asks for one sooner).
func Job(db *store.DB) jobs.Job {
	st := New(db)
	return jobs.Job{Name: JobName, Every: 5 * time.Minute, Lease: 10 * time.Minute, Run: func(ctx context.Context) error {
		_, err := st.RefreshAll(ctx)
		return err
	}}
}
