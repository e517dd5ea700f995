package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/segment"
)

// Segments (segments:read|write): saved selections of contacts, the one
// engine campaigns, journeys and service rules pick people through.
// Definitions are validated against GET /segments/fields; a problem is a
// 422 naming its JSON path (body.definition.groups[0].predicates[2].value).

var segmentsR, segmentsW = crm.P(crm.ResSegments, crm.Read), crm.P(crm.ResSegments, crm.Write)

const segmentDoc = "A dynamic segment's members are the contacts its definition selects, kept current by a refresh every " +
	"five minutes (and at once on create and update); a static list holds the contacts added to it. Every entry and exit " +
	"is logged (GET /segments/{id}/changes) and sent as segment.entered / segment.left webhooks. The definition is " +
	"`{\"op\":\"and|or\",\"groups\":[{\"op\":\"and|or\",\"predicates\":[{\"field\":…,\"op\":…,\"value\":…, …params}],\"groups\":[…]}]}`; " +
	"fields, their operators and parameters are listed by GET /segments/fields."

const segmentCSVDoc = "Every member the caller may see (own-only users: their own contacts), in name order, as CSV with a header row: " +
	"contact_id, first_name, last_name, email, phone, city, country, stage, owner_id, orders, total_spent_minor (minor units " +
	"of the shop currency), last_order_at, entered_at (RFC 3339). Cells that a spreadsheet would run as a formula are prefixed with '."

func (s *server) segmentRoutes(a huma.API) {
	handle(s, a, op(get, "/segments", "list-segments", "List segments by name", segmentsR), s.listSegments)
	handle(s, a, op(post, "/segments", "create-segment", "Create a dynamic segment or a static list", segmentsW).status(201).doc(segmentDoc), s.createSegment)
	handle(s, a, op(get, "/segments/fields", "segment-fields", "The fields, operators and parameters a segment definition may use, labelled in the request's language", segmentsR), s.segmentFields)
	handle(s, a, op(post, "/segments/preview", "preview-segment", "Count the contacts a definition selects and show a sample, without saving", segmentsR), s.previewSegment)
	handle(s, a, op(get, "/segments/{id}", "get-segment", "Get a segment", segmentsR), s.getSegment)
	handle(s, a, op(patch, "/segments/{id}", "update-segment", "Rename a segment or change its definition (refilled at once)", segmentsW), s.updateSegment)
	handle(s, a, op(del, "/segments/{id}", "delete-segment", "Delete a segment (409 while another segment's definition refers to it)", segmentsW).status(204), s.deleteSegment)
	handle(s, a, op(get, "/segments/{id}/members", "list-segment-members", "Page through a segment's members by name", segmentsR), s.segmentMembers)
	csvOp := op(get, "/segments/{id}/members.csv", "export-segment-members", "Export a segment's members as CSV", segmentsR).doc(segmentCSVDoc)
	csvOp.Responses = map[string]*huma.Response{"200": {Description: "The members as CSV.",
		Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}
	handle(s, a, csvOp, s.exportSegment)
	handle(s, a, op(post, "/segments/{id}/members", "add-segment-members", "Add contacts to a static list, by id or everyone a definition selects now", segmentsW), s.addSegmentMembers)
	handle(s, a, op(del, "/segments/{id}/members", "remove-segment-members", "Remove contacts from a static list", segmentsW), s.removeSegmentMembers)
	handle(s, a, op(get, "/segments/{id}/changes", "list-segment-changes", "Who entered and left the segment, newest first", segmentsR), s.segmentChanges)
	handle(s, a, op(post, "/segments/{id}/refresh", "refresh-segment", "Bring a dynamic segment's members up to date now", segmentsW), s.refreshSegment)
}

type segmentOut struct{ Body *crm.Segment }

type segmentListInput struct {
	Query  string `query:"q" maxLength:"200" doc:"Name contains."`
	Kind   string `query:"kind" enum:"dynamic,static"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Offset int    `query:"offset" minimum:"0" maximum:"100000"`
}

type segmentListOut struct {
	Body struct {
		Items []*crm.Segment `json:"items"`
		Total int            `json:"total"`
	}
}

func (s *server) listSegments(ctx context.Context, in *segmentListInput) (*segmentListOut, error) {
	list, total, err := s.svc.Segments.List(ctx, crm.SegmentFilter{Query: in.Query, Kind: in.Kind, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, err
	}
	out := &segmentListOut{}
	out.Body.Items, out.Body.Total = list, total
	if list == nil {
		out.Body.Items = []*crm.Segment{}
	}
	return out, nil
}

type segmentCreateInput struct {
	Idempotency
	Body crm.SegmentInput
}

func (s *server) createSegment(ctx context.Context, in *segmentCreateInput) (*segmentOut, error) {
	sg, err := s.svc.Segments.Create(ctx, in.Body)
	return &segmentOut{sg}, err
}

func (s *server) getSegment(ctx context.Context, in *IDPath) (*segmentOut, error) {
	sg, err := s.svc.Segments.Find(ctx, in.ID)
	return &segmentOut{sg}, err
}

type segmentUpdateInput struct {
	IDPath
	Body crm.SegmentInput
}

func (s *server) updateSegment(ctx context.Context, in *segmentUpdateInput) (*segmentOut, error) {
	sg, err := s.svc.Segments.Update(ctx, in.ID, in.Body)
	return &segmentOut{sg}, err
}

func (s *server) deleteSegment(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Segments.Delete(ctx, in.ID)
}

type segmentPreviewInput struct {
	Body struct {
		Definition json.RawMessage `json:"definition" doc:"A segment definition (see create-segment)."`
		Sample     int             `json:"sample,omitempty" minimum:"0" maximum:"100" default:"10" doc:"How many contacts to return, by name."`
	}
}

type segmentPreviewOut struct{ Body *crm.SegmentPreview }

func (s *server) previewSegment(ctx context.Context, in *segmentPreviewInput) (*segmentPreviewOut, error) {
	if len(in.Body.Definition) == 0 || string(in.Body.Definition) == "null" {
		return nil, invalid("body.definition", "required")
	}
	p, err := s.svc.Segments.Preview(ctx, in.Body.Definition, in.Body.Sample)
	return &segmentPreviewOut{p}, err
}

type segmentMembersInput struct {
	request
	IDPath
	Paging
}

type segmentMembersOut struct {
	Link string `header:"Link" doc:"rel=\"next\" link to the following page, when there is one."`
	Body struct {
		Items      []*crm.SegmentMember `json:"items"`
		NextCursor string               `json:"next_cursor,omitempty" doc:"Pass as after= to get the next page; absent on the last page."`
		Total      int64                `json:"total" doc:"Members the caller may see."`
	}
}

func (s *server) segmentMembers(ctx context.Context, in *segmentMembersInput) (*segmentMembersOut, error) {
	m, err := s.svc.Segments.Members(ctx, in.ID, crm.SegmentPage{Limit: in.Limit, Cursor: in.After})
	if err != nil {
		if fe := crm.FieldErrors(err); len(fe) > 0 && fe[0].Field == "cursor" {
			return nil, invalid("query.after", "invalid_cursor")
		}
		return nil, err
	}
	out := &segmentMembersOut{Link: in.next(m.Next)}
	out.Body.Items, out.Body.NextCursor, out.Body.Total = m.Members, m.Next, m.Total
	return out, nil
}

func (s *server) exportSegment(ctx context.Context, in *IDPath) (*huma.StreamResponse, error) {
	// Find first, so a missing segment or a refused caller gets a
	// problem response before the CSV starts.
	sg, err := s.svc.Segments.Find(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="segment-%d.csv"`, sg.ID))
		hc.SetStatus(200)
		// An error after the first byte can only cut the file short;
		// the header row makes a cut-off export recognisable.
		_ = s.svc.Segments.ExportCSV(ctx, in.ID, hc.BodyWriter())
	}}, nil
}

type segmentAddInput struct {
	IDPath
	Body struct {
		ContactIDs []int64          `json:"contact_ids,omitempty" maxItems:"1000" doc:"Contacts to add."`
		Definition *json.RawMessage `json:"definition,omitempty" doc:"Add everyone this definition selects now (a snapshot)."`
	}
}

type segmentCountOut struct {
	Body struct {
		Changed int64 `json:"changed" doc:"Contacts added (or removed) that were not (or were) members."`
	}
}

func (s *server) addSegmentMembers(ctx context.Context, in *segmentAddInput) (*segmentCountOut, error) {
	var n int64
	var err error
	switch {
	case in.Body.Definition != nil && len(in.Body.ContactIDs) > 0:
		return nil, invalid("body.definition", "segment_ids_or_definition")
	case in.Body.Definition != nil:
		n, err = s.svc.Segments.AddMatching(ctx, in.ID, *in.Body.Definition)
	default:
		n, err = s.svc.Segments.AddMembers(ctx, in.ID, in.Body.ContactIDs)
	}
	if err != nil {
		return nil, err
	}
	out := &segmentCountOut{}
	out.Body.Changed = n
	return out, nil
}

type segmentRemoveInput struct {
	IDPath
	ContactIDs []int64 `query:"contact_ids" maxItems:"1000" doc:"Contacts to remove, comma-separated."`
}

func (s *server) removeSegmentMembers(ctx context.Context, in *segmentRemoveInput) (*segmentCountOut, error) {
	n, err := s.svc.Segments.RemoveMembers(ctx, in.ID, in.ContactIDs)
	if err != nil {
		return nil, err
	}
	out := &segmentCountOut{}
	out.Body.Changed = n
	return out, nil
}

type segmentChangesInput struct {
	IDPath
	Since  time.Time `query:"since" doc:"Only changes at or after this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Before string    `query:"before" maxLength:"100" doc:"Cursor from next_cursor of the previous page."`
}

type segmentChangesOut struct {
	Body struct {
		Items      []*crm.SegmentChange `json:"items"`
		NextCursor string               `json:"next_cursor,omitempty"`
	}
}

func (s *server) segmentChanges(ctx context.Context, in *segmentChangesInput) (*segmentChangesOut, error) {
	f := crm.SegmentChangeFilter{Limit: in.Limit, Before: in.Before}
	if !in.Since.IsZero() {
		f.Since = &in.Since
	}
	list, next, err := s.svc.Segments.Changes(ctx, in.ID, f)
	if err != nil {
		return nil, err
	}
	out := &segmentChangesOut{}
	out.Body.Items, out.Body.NextCursor = list, next
	return out, nil
}

type segmentRefreshOut struct{ Body *crm.SegmentRefresh }

func (s *server) refreshSegment(ctx context.Context, in *IDPath) (*segmentRefreshOut, error) {
	r, err := s.svc.Segments.Refresh(ctx, in.ID)
	return &segmentRefreshOut{r}, err
}

// Field catalog with labels in the request's language.

type segmentFieldsInput struct {
	Lang           string `query:"lang" enum:"en,fa,ja" doc:"Language of the labels; default from Accept-Language."`
	AcceptLanguage string `header:"Accept-Language"`
}

type labelled struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type segmentParamOut struct {
	Key      string     `json:"key"`
	Type     string     `json:"type"`
	Required bool       `json:"required"`
	Label    string     `json:"label"`
	Options  []labelled `json:"options,omitempty"`
	Source   string     `json:"source,omitempty"`
}

type segmentFieldOut struct {
	Key        string            `json:"key"`
	Group      string            `json:"group"`
	GroupLabel string            `json:"group_label"`
	Type       string            `json:"type"`
	Label      string            `json:"label"`
	Ops        []labelled        `json:"ops"`
	Options    []labelled        `json:"options,omitempty"`
	Source     string            `json:"source,omitempty" doc:"Where the choices live when they are records: owners, companies, products, categories, segments, surveys, forms, tags, languages, countries."`
	Params     []segmentParamOut `json:"params,omitempty"`
	Nullable   bool              `json:"nullable"`
	Integer    bool              `json:"integer"`
	Min        *float64          `json:"min,omitempty"`
	Max        *float64          `json:"max,omitempty"`
}

type segmentFieldsOut struct {
	Body struct {
		Language string            `json:"language"`
		Fields   []segmentFieldOut `json:"fields"`
	}
}

func (s *server) segmentFields(ctx context.Context, in *segmentFieldsInput) (*segmentFieldsOut, error) {
	fields, err := s.svc.Segments.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	lang := in.Lang
	if lang == "" {
		lang = i18n.Match(in.AcceptLanguage)
	}
	out := &segmentFieldsOut{}
	out.Body.Language = lang
	out.Body.Fields = LabelFields(i18n.Get(lang), fields)
	return out, nil
}

// LabelFields puts a locale's labels on catalog fields (custom fields keep
// the label their definition has).
func LabelFields(l *i18n.Locale, fields []segment.Field) []segmentFieldOut {
	out := make([]segmentFieldOut, 0, len(fields))
	for _, f := range fields {
		fo := segmentFieldOut{Key: f.Key, Group: f.Group, GroupLabel: l.T("seg.group." + f.Group), Type: f.Type, Label: f.Label,
			Source: f.Source, Nullable: f.Nullable, Integer: f.Integer, Min: f.Min, Max: f.Max}
		if f.Group != segment.GroupCustom {
			fo.Label = l.T(f.Label)
		}
		for _, op := range f.Ops {
			fo.Ops = append(fo.Ops, labelled{op, l.T("seg.op." + op)})
		}
		for _, o := range f.Options {
			label := o
			if f.Group != segment.GroupCustom && f.Key != "score.rfm_cell" {
				label = l.T(segment.OptionLabel(f.Key, o))
			}
			fo.Options = append(fo.Options, labelled{o, label})
		}
		for _, p := range f.Params {
			po := segmentParamOut{Key: p.Key, Type: p.Type, Required: p.Required, Label: l.T(p.Label), Source: p.Source}
			for _, o := range p.Options {
				po.Options = append(po.Options, labelled{o, l.T("seg.option." + p.Key + "." + o)})
			}
			fo.Params = append(fo.Params, po)
		}
		out = append(out, fo)
	}
	return out
}
