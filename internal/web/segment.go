package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// The segments console: the list, the builder (new and edit) with its live
// count, delete and refresh. The member page and its bulk actions are in
// segment_members.go, the builder's catalogue in segment_catalog.go.

// segRow is one segment as the list and the pickers show it.
type segRow struct {
	ID          int64
	Name        string
	Description string
	Kind        string
	MemberCount int64
	RefreshedAt *time.Time
	OwnerName   string
}

type segmentsPage struct {
	Items []segRow
}

func (s *server) segmentRows(r *http.Request) ([]segRow, error) {
	list, _, err := s.svc.Segments.List(r.Context(), crm.SegmentFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	names, err := s.userNames(r)
	if err != nil {
		return nil, err
	}
	out := make([]segRow, 0, len(list))
	for _, sg := range list {
		out = append(out, segRowOf(sg, names))
	}
	return out, nil
}

func segRowOf(sg *crm.Segment, names map[int64]string) segRow {
	row := segRow{ID: sg.ID, Name: sg.Name, Description: sg.Description, Kind: sg.Kind, MemberCount: sg.MemberCount, RefreshedAt: sg.RefreshedAt}
	if sg.OwnerID != nil {
		row.OwnerName = names[*sg.OwnerID]
	}
	return row
}

// userNames maps user ids to the names the console shows.
func (s *server) userNames(r *http.Request) (map[int64]string, error) {
	users, err := s.svc.Users.FindUsers(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(users))
	for _, u := range users {
		m[u.ID] = cmp.Or(u.Name, u.Email)
	}
	return m, nil
}

func (s *server) segmentList(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.segmentRows(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "segments")
	v.Title = v.L.T("segui.title")
	doneMessage(v, r.URL.Query())
	v.Data = segmentsPage{Items: rows}
	return s.ok(w, r, "segments", v)
}

// segmentFormPage is the builder: the segment's id (0 when new), the
// catalogue for the script and the errors of the last save, each with
// the JSON path of its part so the script shows it there.
type segmentFormPage struct {
	ID      int64
	Kinds   []string
	Catalog segCatalog
	Errors  []defError
}

// defError is one problem with a definition: where, in JSON and in words.
type defError struct {
	Path, Where, Message string
}

func (s *server) segmentFormView(r *http.Request, sg *crm.Segment, vals url.Values) (*view, error) {
	v := s.newView(r, "segments")
	p := segmentFormPage{Kinds: []string{crm.SegmentDynamic, crm.SegmentStatic}}
	v.Title = v.L.T("segui.new_title")
	var self int64
	if sg != nil {
		p.ID, self = sg.ID, sg.ID
		v.Title = v.L.T("segui.edit_title", sg.Name)
	}
	if vals == nil {
		vals = url.Values{"kind": {crm.SegmentDynamic}, "definition": {`{"op":"and","groups":[]}`}}
		if k := r.URL.Query().Get("kind"); k == crm.SegmentStatic {
			vals.Set("kind", k)
		}
		if sg != nil {
			vals = url.Values{"name": {sg.Name}, "description": {sg.Description}, "kind": {sg.Kind}, "definition": {sg.Definition.JSON()}}
		}
	}
	var err error
	if p.Catalog, err = s.catalogFor(r, self); err != nil {
		return nil, err
	}
	v.Form = newForm(vals)
	v.Data = &p
	return v, nil
}

func (s *server) segmentNew(w http.ResponseWriter, r *http.Request) error {
	v, err := s.segmentFormView(r, nil, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "segment_form", v)
}

func (s *server) segmentEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sg, err := s.svc.Segments.Find(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.segmentFormView(r, sg, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "segment_form", v)
}

// segmentInput reads the builder's form.
func segmentInput(r *http.Request) crm.SegmentInput {
	name := strings.TrimSpace(r.PostFormValue("name"))
	desc := strings.TrimSpace(r.PostFormValue("description"))
	kind := r.PostFormValue("kind")
	def := json.RawMessage(strings.TrimSpace(r.PostFormValue("definition")))
	if len(def) == 0 {
		def = json.RawMessage(`{"op":"and","groups":[]}`)
	}
	in := crm.SegmentInput{Name: &name, Description: &desc, Definition: def}
	if kind != "" {
		in.Kind = &kind
	}
	return in
}

func (s *server) segmentCreate(w http.ResponseWriter, r *http.Request) error {
	in := segmentInput(r)
	if in.Kind != nil && *in.Kind == crm.SegmentStatic {
		// A static list is a snapshot: the conditions, if any, pick who
		// is put in it now; it keeps no definition.
		def := in.Definition
		in.Definition = nil
		if empty, err := emptyDefinition(def); err != nil || !empty {
			if _, err := s.svc.Segments.Preview(r.Context(), def, 0); err != nil {
				return s.segmentRedisplay(r, nil, err)
			}
			sg, err := s.svc.Segments.Create(r.Context(), in)
			if err != nil {
				return s.segmentRedisplay(r, nil, err)
			}
			n, err := s.svc.Segments.AddMatching(r.Context(), sg.ID, def)
			if err != nil {
				return err
			}
			http.Redirect(w, r, withDone(segmentURL(sg.ID), "created_list", int(n)), http.StatusSeeOther)
			return nil
		}
	}
	sg, err := s.svc.Segments.Create(r.Context(), in)
	if err != nil {
		return s.segmentRedisplay(r, nil, err)
	}
	http.Redirect(w, r, segmentURL(sg.ID)+"?done=created", http.StatusSeeOther)
	return nil
}

func (s *server) segmentUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sg, err := s.svc.Segments.Find(r.Context(), id)
	if err != nil {
		return err
	}
	in := segmentInput(r)
	in.Kind = nil // a segment keeps its kind
	if sg.Kind == crm.SegmentStatic {
		in.Definition = nil // a list's members are changed on its page
	}
	if _, err := s.svc.Segments.Update(r.Context(), id, in); err != nil {
		return s.segmentRedisplay(r, sg, err)
	}
	http.Redirect(w, r, segmentURL(id)+"?done=saved", http.StatusSeeOther)
	return nil
}

// segmentRedisplay shows the builder again with what was submitted and
// each error on its part of the definition (422).
func (s *server) segmentRedisplay(r *http.Request, sg *crm.Segment, err error) error {
	if code := crm.ErrorCode(err); code != crm.EINVALID && code != crm.ECONFLICT {
		return err
	}
	vals := url.Values{}
	for _, k := range []string{"name", "description", "kind", "definition"} {
		vals.Set(k, r.PostFormValue(k))
	}
	if sg != nil {
		vals.Set("kind", sg.Kind)
	}
	v, verr := s.segmentFormView(r, sg, vals)
	if verr != nil {
		return verr
	}
	p := v.Data.(*segmentFormPage)
	p.Errors, err = s.splitDefErrors(v, err)
	if err == nil {
		return &formError{err: crm.Errorf(crm.EINVALID, "invalid definition"), page: "segment_form", data: v}
	}
	return redisplay(err, "segment_form", v)
}

// splitDefErrors takes the definition's errors out of err as defErrors
// and returns what remains (nil when nothing does) for the form's fields.
func (s *server) splitDefErrors(v *view, err error) ([]defError, error) {
	var out []defError
	var rest []crm.FieldError
	for _, fe := range crm.FieldErrors(err) {
		if fe.Field == "definition" || strings.HasPrefix(fe.Field, "definition.") || strings.HasPrefix(fe.Field, "body.definition") {
			path := strings.TrimPrefix(fe.Field, "body.")
			out = append(out, defError{Path: path, Where: errorWhere(v.L, path), Message: fieldError(v.L, fe)})
			continue
		}
		rest = append(rest, fe)
	}
	if len(rest) == 0 && len(out) > 0 {
		return out, nil
	}
	if len(out) == 0 {
		return nil, err
	}
	return out, &crm.Error{Code: crm.EINVALID, Message: "invalid segment", Fields: rest}
}

// segmentPreview is the live count: the builder posts its definition a
// moment after each change and shows the fragment this returns: the
// count, a few members, and the errors with their JSON paths (422).
func (s *server) segmentPreview(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "segments")
	def := json.RawMessage(strings.TrimSpace(r.PostFormValue("definition")))
	pv, err := s.svc.Segments.Preview(r.Context(), def, 5)
	data := previewData{Restricted: v.Actor.Restricted()}
	status := http.StatusOK
	if err != nil {
		if crm.ErrorCode(err) != crm.EINVALID {
			return err
		}
		data.Errors, err = s.splitDefErrors(v, err)
		if err != nil {
			for _, fe := range crm.FieldErrors(err) {
				data.Errors = append(data.Errors, defError{Path: "definition", Where: errorWhere(v.L, ""), Message: fieldError(v.L, fe)})
			}
		}
		status = http.StatusUnprocessableEntity
	} else {
		data.Count = pv.Count
		for _, c := range pv.Sample {
			data.Sample = append(data.Sample, sampleRow{ID: c.ContactID, Name: memberName(c), Email: c.Email})
		}
	}
	v.Data = data
	s.renderFragment(w, r, status, "segment_form", "preview", v)
	return nil
}

type previewData struct {
	Count      int64
	Sample     []sampleRow
	Errors     []defError
	Restricted bool
}

type sampleRow struct {
	ID          int64
	Name, Email string
}

func segmentURL(id int64) string { return "/segments/" + strconv.FormatInt(id, 10) }

func (s *server) segmentDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sg, err := s.svc.Segments.Find(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "segments")
	v.Title = v.L.T("segui.delete_title")
	v.Data = confirmPage{Message: v.L.T("segui.delete_confirm", sg.Name, sg.MemberCount), Action: segmentURL(id) + "/delete",
		Submit: v.L.T("segui.delete"), Cancel: segmentURL(id), Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) segmentDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Segments.Delete(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/segments?done=deleted", http.StatusSeeOther)
	return nil
}

func (s *server) segmentRefresh(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := s.svc.Segments.Refresh(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, withDone(segmentURL(id), "refreshed", int(rep.Members)), http.StatusSeeOther)
	return nil
}

// doneMessage turns ?done=<what>&n=<count> after a redirect into the
// flash message of the page.
func doneMessage(v *view, q url.Values) {
	key := "segui.done." + q.Get("done")
	if !i18n.Get("en").Has(key) {
		return
	}
	n, _ := strconv.Atoi(q.Get("n"))
	v.Message = v.L.T(key, n)
}

// memberName is a member's name as lists show it.
func memberName(m *crm.SegmentMember) string {
	return strings.TrimSpace(m.FirstName + " " + m.LastName)
}

// emptyDefinition reports whether a definition has no groups (selects
// everyone, or for a new static list: nobody to add yet).
func emptyDefinition(def json.RawMessage) (bool, error) {
	var d struct {
		Groups []json.RawMessage `json:"groups"`
	}
	if len(def) == 0 {
		return true, nil
	}
	if err := json.Unmarshal(def, &d); err != nil {
		return false, err
	}
	return len(d.Groups) == 0, nil
}
