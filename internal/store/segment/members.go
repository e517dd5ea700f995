package segment

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/store"
)

// memberCols are a member row over contacts c and customer_facts f; the
// caller adds the time the contact entered (or NULL).
const memberCols = `c.id, c.first_name, c.last_name, c.email, c.phone, c.city, c.country, c.stage, c.owner_id,
	COALESCE(f.orders, 0), COALESCE(f.total_spent, 0), f.last_order_at, c.sort_name`

// scanMember reads a member row; extra receives further columns.
func scanMember(rows *sql.Rows, extra ...any) (*crm.SegmentMember, string, error) {
	var m crm.SegmentMember
	var ownerID, last, added sql.NullInt64
	var sortName string
	dest := []any{&m.ContactID, &m.FirstName, &m.LastName, &m.Email, &m.Phone, &m.City, &m.Country, &m.Stage, &ownerID,
		&m.Orders, &m.TotalSpent, &last, &sortName, &added}
	if err := rows.Scan(append(dest, extra...)...); err != nil {
		return nil, "", err
	}
	if ownerID.Valid {
		m.OwnerID = &ownerID.Int64
	}
	if last.Valid {
		t := store.FromMS(last.Int64)
		m.LastOrderAt = &t
	}
	if added.Valid {
		t := store.FromMS(added.Int64)
		m.AddedAt = &t
	}
	return &m, sortName, nil
}

// cursor is the keyset position after a member: its sort name and id.
type cursor struct {
	Name string `json:"n"`
	ID   int64  `json:"i"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 {
		return c, &crm.Error{Code: crm.EINVALID, Message: "invalid cursor", Fields: []crm.FieldError{{Field: "cursor", Key: "invalid_cursor"}}}
	}
	return c, nil
}

// page reads up to limit members after the cursor, in name order.
func (s *Store) page(ctx context.Context, id, ownerID int64, after *cursor, limit int) ([]*crm.SegmentMember, *cursor, error) {
	args := []any{id}
	where := "sm.segment_id = $1"
	if ownerID != 0 {
		args = append(args, ownerID)
		where += " AND c.owner_id = " + store.Ph(len(args))
	}
	if after != nil {
		args = append(args, after.Name, after.ID)
		where += " AND (c.sort_name > " + store.Ph(len(args)-1) + " OR (c.sort_name = " + store.Ph(len(args)-1) + " AND c.id > " + store.Ph(len(args)) + "))"
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+memberCols+`, sm.added_at FROM segment_members sm JOIN contacts c ON c.id = sm.contact_id
		LEFT JOIN customer_facts f ON f.contact_id = c.id WHERE `+where+` ORDER BY c.sort_name, c.id LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, nil, s.db.MapErr(err)
	}
	defer rows.Close()
	var out []*crm.SegmentMember
	var next *cursor
	var lastName string
	for rows.Next() {
		m, name, err := scanMember(rows)
		if err != nil {
			return nil, nil, s.db.MapErr(err)
		}
		if len(out) == limit {
			last := out[len(out)-1]
			next = &cursor{Name: lastName, ID: last.ContactID}
			break
		}
		out = append(out, m)
		lastName = name
	}
	return out, next, s.db.MapErr(rows.Err())
}

// Members pages through a segment's members by name.
func (s *Store) Members(ctx context.Context, id int64, p crm.SegmentPage) (*crm.SegmentMembers, error) {
	a, err := read(ctx)
	if err != nil {
		return nil, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > 500 {
		p.Limit = 500
	}
	sg, err := s.find(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	var after *cursor
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	out := &crm.SegmentMembers{Total: sg.MemberCount, Members: []*crm.SegmentMember{}}
	if o := owner(a); o != 0 {
		if out.Total, err = ownCount(ctx, s.db.Read(), id, o); err != nil {
			return nil, s.db.MapErr(err)
		}
	}
	ms, next, err := s.page(ctx, id, owner(a), after, p.Limit)
	if err != nil {
		return nil, err
	}
	out.Members = append(out.Members, ms...)
	if next != nil {
		out.Next = encodeCursor(*next)
	}
	return out, nil
}

// ExportHeader is the header row of a member export.
var ExportHeader = []string{"contact_id", "first_name", "last_name", "email", "phone", "city", "country", "stage",
	"owner_id", "orders", "total_spent_minor", "last_order_at", "entered_at"}

// ExportCSV writes every visible member, in name order, through csvx
// (formula cells neutralised), a page at a time.
func (s *Store) ExportCSV(ctx context.Context, id int64, w io.Writer) error {
	a, err := read(ctx)
	if err != nil {
		return err
	}
	if _, err := s.find(ctx, s.db.Read(), id); err != nil {
		return err
	}
	if err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, "export", "segment", id, nil, nil)
	}); err != nil {
		return s.db.MapErr(err)
	}
	cw := csvx.NewWriter(w, false)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	var after *cursor
	for {
		ms, next, err := s.page(ctx, id, owner(a), after, 1000)
		if err != nil {
			return err
		}
		for _, m := range ms {
			rec := []string{strconv.FormatInt(m.ContactID, 10), m.FirstName, m.LastName, m.Email, m.Phone, m.City, m.Country, m.Stage,
				optInt(m.OwnerID), strconv.FormatInt(m.Orders, 10), strconv.FormatInt(m.TotalSpent, 10), optTime(m.LastOrderAt), optTime(m.AddedAt)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		if next == nil {
			break
		}
		after = next
	}
	return cw.Flush()
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Changes pages through a segment's entered/left log, newest first.
func (s *Store) Changes(ctx context.Context, id int64, f crm.SegmentChangeFilter) ([]*crm.SegmentChange, string, error) {
	a, err := read(ctx)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.find(ctx, s.db.Read(), id); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	args := []any{id}
	where := "sc.segment_id = $1"
	if o := owner(a); o != 0 {
		args = append(args, o)
		where += " AND c.owner_id = " + store.Ph(len(args))
	}
	if f.Since != nil {
		args = append(args, store.MS(*f.Since))
		where += " AND sc.at >= " + store.Ph(len(args))
	}
	if f.Before != "" {
		var at, cid int64
		if _, err := fmt.Sscanf(f.Before, "%d.%d", &at, &cid); err != nil {
			return nil, "", &crm.Error{Code: crm.EINVALID, Message: "invalid cursor", Fields: []crm.FieldError{{Field: "before", Key: "invalid_cursor"}}}
		}
		args = append(args, at, cid)
		where += " AND (sc.at < " + store.Ph(len(args)-1) + " OR (sc.at = " + store.Ph(len(args)-1) + " AND sc.contact_id < " + store.Ph(len(args)) + "))"
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT sc.contact_id, c.first_name, c.last_name, sc.change, sc.at FROM segment_changes sc
		JOIN contacts c ON c.id = sc.contact_id WHERE `+where+` ORDER BY sc.at DESC, sc.contact_id DESC, sc.change LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, "", s.db.MapErr(err)
	}
	defer rows.Close()
	out := []*crm.SegmentChange{}
	next := ""
	for rows.Next() {
		var ch crm.SegmentChange
		var first, last string
		var at int64
		if err := rows.Scan(&ch.ContactID, &first, &last, &ch.Change, &at); err != nil {
			return nil, "", s.db.MapErr(err)
		}
		if len(out) == f.Limit {
			p := out[len(out)-1]
			next = fmt.Sprintf("%d.%d", store.MS(p.At), p.ContactID)
			break
		}
		ch.SegmentID, ch.At = id, store.FromMS(at)
		ch.Name = joinName(first, last)
		out = append(out, &ch)
	}
	return out, next, s.db.MapErr(rows.Err())
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}
