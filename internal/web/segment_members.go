package web

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// The segment page: what the segment selects in words, its members a page
// at a time, the recent entered/left changes, and the bulk actions on the
// selected or all members. Own-only users see only their own contacts:
// the service restricts members, counts and exports.

// memberPageSize is how many members one page of the member list shows.
const memberPageSize = 50

// bulkChunk is how many contacts one service call of a bulk action takes
// (the segment service's limit); maxBulk bounds one request, beyond
// which the API or an export is the tool.
const (
	bulkChunk = 1000
	maxBulk   = 100000
)

type segmentPage struct {
	Seg       segRow
	Words     []wordNode
	Members   []memberRow
	After     string
	Next      string
	Changes   []changeRow
	Lists     []segRow // other static lists, for "add to list"
	Users     []*crm.User
	CanExport bool
	Currency  string
	AddQ      string
	Found     []*crm.Contact
}

type memberRow struct {
	ID                   int64
	Name, Email, Country string
	Orders               int64
	Spent                int64
	Currency             string
	LastOrder            *time.Time
}

type changeRow struct {
	ContactID int64
	Name      string
	Change    string
	At        time.Time
}

func (s *server) segmentShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sg, err := s.svc.Segments.Find(ctx, id)
	if err != nil {
		return err
	}
	names, err := s.userNames(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "segments")
	v.Title = sg.Name
	doneMessage(v, r.URL.Query())
	p := segmentPage{Seg: segRowOf(sg, names), After: r.URL.Query().Get("after"), Currency: s.shopCurrency(r),
		CanExport: v.Can("export:write")}
	if sg.Kind == crm.SegmentDynamic {
		cat, err := s.catalogFor(r, sg.ID)
		if err != nil {
			return err
		}
		p.Words = definitionWords(v.L, cat, sg.Definition, p.Currency)
	}
	members, err := s.svc.Segments.Members(ctx, id, crm.SegmentPage{Cursor: p.After, Limit: memberPageSize})
	if err != nil {
		return err
	}
	p.Next = members.Next
	for _, m := range members.Members {
		p.Members = append(p.Members, memberRow{ID: m.ContactID, Name: memberName(m), Email: m.Email, Country: m.Country, Orders: m.Orders,
			Spent: m.TotalSpent, Currency: p.Currency, LastOrder: m.LastOrderAt})
	}
	changes, _, err := s.svc.Segments.Changes(ctx, id, crm.SegmentChangeFilter{Limit: 20})
	if err != nil {
		return err
	}
	for _, c := range changes {
		p.Changes = append(p.Changes, changeRow{ContactID: c.ContactID, Name: c.Name, Change: c.Change, At: c.At})
	}
	if v.Can("segments:write") {
		rows, err := s.segmentRows(r)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if row.Kind == crm.SegmentStatic && row.ID != id {
				p.Lists = append(p.Lists, row)
			}
		}
	}
	if v.Can("contacts:write") && !v.Actor.Restricted() {
		if p.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
			return err
		}
	}
	if q := strings.TrimSpace(r.URL.Query().Get("add_q")); q != "" && sg.Kind == crm.SegmentStatic && v.Can("contacts:read") {
		p.AddQ = q
		found, err := s.svc.Contacts.FindContacts(ctx, crm.ContactFilter{Query: q, Limit: 20})
		if err != nil {
			return err
		}
		p.Found = found.Items
	}
	v.Data = p
	return s.ok(w, r, "segment", v)
}

// memberIDs reads the ids a bulk action applies to: the checked rows, or
// every member (of those the viewer may see) when scope is "all".
func (s *server) memberIDs(r *http.Request, id int64) ([]int64, error) {
	if r.PostFormValue("scope") == "all" {
		return s.allMemberIDs(r, id)
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, crm.Errorf(crm.EINVALID, "bad id")
		}
		ids = append(ids, n)
	}
	if len(ids) == 0 {
		return nil, &crm.Error{Code: crm.EINVALID, Message: "no members selected",
			Fields: []crm.FieldError{{Field: "id", Key: "segui_none_selected"}}}
	}
	return ids, nil
}

func (s *server) allMemberIDs(r *http.Request, id int64) ([]int64, error) {
	var ids []int64
	page := crm.SegmentPage{Limit: 500}
	for {
		ms, err := s.svc.Segments.Members(r.Context(), id, page)
		if err != nil {
			return nil, err
		}
		for _, m := range ms.Members {
			ids = append(ids, m.ContactID)
		}
		if ms.Next == "" {
			return ids, nil
		}
		page.Cursor = ms.Next
	}
}

// segmentBulk applies one action to the selected or all members. Export
// answers with the CSV; every other action returns to the page with a
// message saying what was done.
func (s *server) segmentBulk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	action := r.PostFormValue("action")
	if action == "export_csv" && r.PostFormValue("scope") == "all" {
		return s.segmentCSV(w, r, id, nil)
	}
	ids, err := s.memberIDs(r, id)
	if err != nil {
		return err
	}
	if len(ids) > maxBulk {
		return &crm.Error{Code: crm.EINVALID, Message: "too many members for one bulk action",
			Fields: []crm.FieldError{{Field: "scope", Key: "segui_bulk_too_many", Args: []any{maxBulk}}}}
	}
	back := localPath(r.PostFormValue("return"), segmentURL(id))
	var done string
	var n int64
	// The services take a bounded number of ids per call (one
	// transaction each), so "all members" goes in chunks.
	each := func(f func(chunk []int64) (int64, error)) error {
		for chunk := range slices.Chunk(ids, bulkChunk) {
			k, err := f(chunk)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	}
	switch action {
	case "add_tag":
		tag := strings.TrimSpace(r.PostFormValue("tag"))
		err = each(func(c []int64) (int64, error) {
			k, err := s.svc.Contacts.BulkContacts(ctx, crm.BulkOp{IDs: c, AddTags: []string{tag}})
			return int64(k), err
		})
		done = "tagged"
	case "assign_owner":
		owner, perr := strconv.ParseInt(r.PostFormValue("owner_id"), 10, 64)
		if perr != nil || owner < 0 {
			return crm.Errorf(crm.EINVALID, "bad owner")
		}
		err = each(func(c []int64) (int64, error) {
			k, err := s.svc.Contacts.BulkContacts(ctx, crm.BulkOp{IDs: c, SetOwner: &owner})
			return int64(k), err
		})
		done = "owner"
	case "add_to_list":
		list, perr := strconv.ParseInt(r.PostFormValue("list_id"), 10, 64)
		if perr != nil || list <= 0 {
			return crm.Errorf(crm.EINVALID, "bad list")
		}
		err = each(func(c []int64) (int64, error) { return s.svc.Segments.AddMembers(ctx, list, c) })
		done = "listed"
	case "remove_from_list":
		err = each(func(c []int64) (int64, error) { return s.svc.Segments.RemoveMembers(ctx, id, c) })
		done = "removed"
	case "export_csv":
		return s.segmentCSV(w, r, id, ids)
	default:
		return crm.Errorf(crm.EINVALID, "unknown bulk action")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, withDone(back, done, int(n)), http.StatusSeeOther)
	return nil
}

// withDone adds ?done=…&n=… to a local URL, replacing earlier ones.
func withDone(back, done string, n int) string {
	u, err := url.Parse(back)
	if err != nil {
		return back
	}
	q := u.Query()
	q.Set("done", done)
	q.Set("n", strconv.Itoa(n))
	q.Del("after")
	u.RawQuery = q.Encode()
	return u.String()
}

// segmentExport downloads every member the viewer may see as CSV.
func (s *server) segmentExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.segmentCSV(w, r, id, nil)
}

// segmentCSV writes members through the service's export (formula-safe
// cells, own-only rules); ids nil means all members.
func (s *server) segmentCSV(w http.ResponseWriter, r *http.Request, id int64, ids []int64) error {
	sg, err := s.svc.Segments.Find(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+csvName(sg.Name)+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if ids == nil {
		return s.svc.Segments.ExportCSV(r.Context(), id, w)
	}
	return s.exportSelected(r, id, ids, w)
}

// exportSelected writes the service's export of the segment keeping only
// the rows of the selected contacts: the same columns, and cells the
// export already made formula-safe are copied as they are.
func (s *server) exportSelected(r *http.Request, id int64, ids []int64, w io.Writer) error {
	var buf bytes.Buffer
	if err := s.svc.Segments.ExportCSV(r.Context(), id, &buf); err != nil {
		return err
	}
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[strconv.FormatInt(id, 10)] = true
	}
	cr := csv.NewReader(&buf)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return err
	}
	col := slices.IndexFunc(header, func(h string) bool {
		h = strings.TrimPrefix(h, "\ufeff")
		return h == "contact_id" || h == "id"
	})
	if col < 0 {
		return crm.Errorf(crm.EINTERNAL, "segment export has no id column")
	}
	cw := csv.NewWriter(w)
	cw.Write(header)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if col < len(rec) && keep[rec[col]] {
			cw.Write(rec)
		}
	}
	cw.Flush()
	return cw.Error()
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// csvName is a download name made of the segment's name: ASCII letters,
// digits and dashes only (header-safe), "segment" when nothing is left.
func csvName(name string) string {
	n := strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-.")
	if n == "" {
		return "segment"
	}
	if len(n) > 60 {
		n = n[:60]
	}
	return "segment-" + strings.ToLower(n)
}

// segmentAddMembers adds contacts to a static list: the checked search
// results and any ids or email addresses typed in.
func (s *server) segmentAddMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ids []int64
	for _, v := range r.PostForm["id"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return crm.Errorf(crm.EINVALID, "bad id")
		}
		ids = append(ids, n)
	}
	for _, tok := range strings.FieldsFunc(r.PostFormValue("ids"), func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t' || r == '،'
	}) {
		tok = normalizeDigits(tok)
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil && n > 0 {
			ids = append(ids, n)
			continue
		}
		if strings.Contains(tok, "@") {
			page, err := s.svc.Contacts.FindContacts(ctx, crm.ContactFilter{Email: tok, Limit: 2})
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				ids = append(ids, c.ID)
			}
			continue
		}
		return &crm.Error{Code: crm.EINVALID, Message: "not an id or email: " + tok,
			Fields: []crm.FieldError{{Field: "ids", Key: "segui_bad_member", Args: []any{tok}}}}
	}
	if len(ids) == 0 {
		return &crm.Error{Code: crm.EINVALID, Message: "no contacts to add",
			Fields: []crm.FieldError{{Field: "ids", Key: "segui_none_selected"}}}
	}
	n, err := s.svc.Segments.AddMembers(ctx, id, ids)
	if err != nil {
		return err
	}
	http.Redirect(w, r, withDone(segmentURL(id), "added", int(n)), http.StatusSeeOther)
	return nil
}

// segmentPicker is the "add to list" part of the contact list's bulk
// form: the static lists, or nothing when there are none.
func (s *server) segmentPicker(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.segmentRows(r)
	if err != nil {
		return err
	}
	var lists []segRow
	for _, row := range rows {
		if row.Kind == crm.SegmentStatic {
			lists = append(lists, row)
		}
	}
	v := s.newView(r, "contacts")
	v.Data = lists
	s.renderFragment(w, r, http.StatusOK, "segments", "segment-picker", v)
	return nil
}

// contactBulkList adds the contacts checked on the contact list to a
// static list and opens the list.
func (s *server) contactBulkList(w http.ResponseWriter, r *http.Request) error {
	list, err := strconv.ParseInt(r.PostFormValue("list_id"), 10, 64)
	if err != nil || list <= 0 {
		return crm.Errorf(crm.EINVALID, "bad list")
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return crm.Errorf(crm.EINVALID, "bad id")
		}
		ids = append(ids, n)
	}
	if len(ids) == 0 {
		return &crm.Error{Code: crm.EINVALID, Message: "no contacts selected",
			Fields: []crm.FieldError{{Field: "id", Key: "segui_none_selected"}}}
	}
	n, err := s.svc.Segments.AddMembers(r.Context(), list, ids)
	if err != nil {
		return err
	}
	http.Redirect(w, r, withDone(segmentURL(list), "listed", int(n)), http.StatusSeeOther)
	return nil
}
