package api

import (
	"context"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Idempotency is embedded in every POST input so the header is documented;
// the idempotency middleware acts on it before huma sees the request.
type Idempotency struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes a retried POST safe: the first response is stored and replayed (with Idempotent-Replayed: true) for 24 hours."`
}

// IDPath is the {id} of a single-record path.
type IDPath struct {
	ID int64 `path:"id" minimum:"1"`
}

type contactOut struct{ Body *crm.Contact }

type contactListInput struct {
	request
	Q               string    `query:"q" maxLength:"200" doc:"Full-text search in names, emails and phones."`
	Tag             []string  `query:"tag,explode" doc:"Only contacts with this tag; repeat for all of several tags."`
	OwnerID         int64     `query:"owner_id" minimum:"0" doc:"Only contacts of this owner; 0 for contacts without one."`
	CompanyID       int64     `query:"company_id" minimum:"1"`
	Stage           string    `query:"stage" doc:"Lifecycle stage."`
	Country         string    `query:"country" maxLength:"2" doc:"ISO 3166-1 alpha-2 code."`
	Email           string    `query:"email" maxLength:"254" doc:"Any of the contact's emails, exactly."`
	CreatedAfter    time.Time `query:"created_after" doc:"RFC 3339; inclusive."`
	CreatedBefore   time.Time `query:"created_before" doc:"RFC 3339; exclusive."`
	OrdersMin       int       `query:"orders_min" minimum:"0" doc:"At least this many purchases (paid, shipped or delivered orders)."`
	OrdersMax       int       `query:"orders_max" minimum:"0" doc:"At most this many purchases; orders_min=1&orders_max=1 is \"bought exactly once\"."`
	SpentMin        int64     `query:"spent_min" minimum:"0" doc:"Spent at least this much, in minor units of the shop currency."`
	SpentMax        int64     `query:"spent_max" minimum:"0" doc:"Spent at most this much, in minor units of the shop currency."`
	LastOrderBefore time.Time `query:"last_order_before" doc:"RFC 3339: customers whose last purchase is older (\"no order for 180 days\")."`
	LastOrderAfter  time.Time `query:"last_order_after" doc:"RFC 3339: customers who bought since then."`
	Sort            string    `query:"sort" doc:"name, email, country, stage, created_at or updated_at; prefix - for descending."`
	Total           bool      `query:"total" doc:"Also count all matching contacts."`
	Paging
	custom []crm.CustomFilter
}

var contactParams = []string{"q", "tag", "owner_id", "company_id", "stage", "country", "email", "created_after", "created_before",
	"orders_min", "orders_max", "spent_min", "spent_max", "last_order_before", "last_order_after", "sort", "total", "limit", "after"}

func (in *contactListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	errs := in.checkParams(contactParams, true)
	custom, cerrs := in.customFilters()
	in.custom = custom
	return append(errs, cerrs...)
}

func (s *server) listContacts(ctx context.Context, in *contactListInput) (*listOutput[*crm.Contact], error) {
	if err := checkSort(in.Sort, crm.ContactSorts); err != nil {
		return nil, err
	}
	if in.Stage != "" && !slices.Contains(crm.Stages, in.Stage) {
		return nil, invalid("query.stage", "invalid_choice")
	}
	f := crm.ContactFilter{
		Query: in.Q, Tags: in.Tag, OwnerID: in.optionalID("owner_id", in.OwnerID), CompanyID: in.optionalID("company_id", in.CompanyID),
		Stage: in.Stage, Country: in.Country, Email: in.Email, Custom: in.custom,
		Sort: in.Sort, After: in.After, Limit: in.Limit, WithTotal: in.Total,
	}
	if !in.CreatedAfter.IsZero() {
		f.CreatedAfter = &in.CreatedAfter
	}
	if !in.CreatedBefore.IsZero() {
		f.CreatedBefore = &in.CreatedBefore
	}
	in.factsFilter(&f)
	p, err := s.svc.Contacts.FindContacts(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, in.Total), nil
}

func (s *server) getContact(ctx context.Context, in *IDPath) (*contactOut, error) {
	c, err := s.svc.Contacts.FindContactByID(ctx, in.ID)
	return &contactOut{c}, err
}

type contactCreateInput struct {
	Idempotency
	Body crm.ContactInput
}

func (s *server) createContact(ctx context.Context, in *contactCreateInput) (*contactOut, error) {
	c, err := s.svc.Contacts.CreateContact(ctx, in.Body)
	return &contactOut{c}, err
}

type contactUpdateInput struct {
	IDPath
	Body crm.ContactInput
}

func (s *server) updateContact(ctx context.Context, in *contactUpdateInput) (*contactOut, error) {
	c, err := s.svc.Contacts.UpdateContact(ctx, in.ID, in.Body)
	return &contactOut{c}, err
}

func (s *server) deleteContact(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Contacts.DeleteContact(ctx, in.ID)
}

func (s *server) contactDuplicates(ctx context.Context, in *IDPath) (*items[*crm.Contact], error) {
	list, err := s.svc.Contacts.FindDuplicates(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type mergeInput struct {
	IDPath
	Idempotency
	Body struct {
		OtherID int64 `json:"other_id" minimum:"1" doc:"The contact merged into this one and then deleted."`
	}
}

func (s *server) mergeContacts(ctx context.Context, in *mergeInput) (*contactOut, error) {
	c, err := s.svc.Contacts.MergeContacts(ctx, in.ID, in.Body.OtherID)
	return &contactOut{c}, err
}

// BulkRequest changes many contacts at once.
type BulkRequest struct {
	IDs        []int64  `json:"ids" minItems:"1" maxItems:"10000"`
	AddTags    []string `json:"add_tags,omitempty"`
	RemoveTags []string `json:"remove_tags,omitempty"`
	OwnerID    *int64   `json:"owner_id,omitempty" minimum:"1"`
	Delete     bool     `json:"delete,omitempty" doc:"Delete the contacts instead of changing them."`
}

type bulkInput struct {
	Idempotency
	Body BulkRequest
}

type bulkOutput struct {
	Body struct {
		Affected int `json:"affected" doc:"Contacts changed; ids the caller may not see are skipped."`
	}
}

func (s *server) bulkContacts(ctx context.Context, in *bulkInput) (*bulkOutput, error) {
	n, err := s.svc.Contacts.BulkContacts(ctx, crm.BulkOp{
		IDs: in.Body.IDs, AddTags: in.Body.AddTags, RemoveTags: in.Body.RemoveTags, SetOwner: in.Body.OwnerID, Delete: in.Body.Delete,
	})
	if err != nil {
		return nil, err
	}
	out := &bulkOutput{}
	out.Body.Affected = n
	return out, nil
}

type timelineInput struct {
	request
	ID   int64  `path:"id" minimum:"1"`
	Kind string `query:"kind" doc:"note, call, meeting or email."`
	Paging
}

func (in *timelineInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"kind", "limit", "after"}, false)
}

// contactTimeline reads the contact first so a contact the caller may not
// see is a 404, not an empty timeline that confirms it exists.
func (s *server) contactTimeline(ctx context.Context, in *timelineInput) (*listOutput[*crm.Activity], error) {
	if in.Kind != "" && !slices.Contains(crm.ActivityKinds, in.Kind) {
		return nil, invalid("query.kind", "invalid_choice")
	}
	if _, err := s.svc.Contacts.FindContactByID(ctx, in.ID); err != nil {
		return nil, err
	}
	p, err := s.svc.Activities.FindActivities(ctx, crm.ActivityFilter{ContactID: &in.ID, Kind: in.Kind, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

// factsFilter copies the purchase-fact parameters that were sent.
func (in *contactListInput) factsFilter(f *crm.ContactFilter) {
	q := in.url.Query()
	if q.Has("orders_min") {
		f.OrdersMin = &in.OrdersMin
	}
	if q.Has("orders_max") {
		f.OrdersMax = &in.OrdersMax
	}
	if q.Has("spent_min") {
		f.SpentMin = &in.SpentMin
	}
	if q.Has("spent_max") {
		f.SpentMax = &in.SpentMax
	}
	if !in.LastOrderBefore.IsZero() {
		f.LastOrderBefore = &in.LastOrderBefore
	}
	if !in.LastOrderAfter.IsZero() {
		f.LastOrderAfter = &in.LastOrderAfter
	}
}
