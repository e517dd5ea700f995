package crm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/ecrm/ecrm/internal/segment"
)

// Segment kinds: a dynamic segment's members are whoever matches its
// definition (kept current by refreshes); a static list holds the contacts
// added to it until they are removed.
const (
	SegmentDynamic = "dynamic"
	SegmentStatic  = "static"
)

// Segment membership changes, recorded in segment_changes and sent as
// webhooks (segment.entered / segment.left).
const (
	SegmentEntered = "entered"
	SegmentLeft    = "left"
)

// Segment events: a contact entered or left a segment (data is
// SegmentChangeEvent). A refresh sends at most SegmentEventLimit of each;
// the changes log (GET /api/v1/segments/{id}/changes) has them all.
const (
	EventSegmentEntered = "segment.entered"
	EventSegmentLeft    = "segment.left"
	SegmentEventLimit   = 1000
)

// Segment is a saved selection of contacts (internal/segment documents
// the definition). MemberCount is the number of members the reader may
// see: an own-only user counts only their own contacts.
type Segment struct {
	ID          int64               `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Kind        string              `json:"kind" enum:"dynamic,static"`
	Definition  *segment.Definition `json:"definition,omitempty" doc:"The AND/OR tree of predicates (dynamic segments); see GET /api/v1/segments/fields."`
	OwnerID     *int64              `json:"owner_id"`
	MemberCount int64               `json:"member_count"`
	RefreshedAt *time.Time          `json:"refreshed_at" doc:"When the members were last brought up to date with the definition."`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
}

// SegmentInput creates or changes a segment; nil fields are unchanged.
// Definition is raw JSON so that validation can name the path of every
// problem (definition.groups[0].predicates[2].value).
type SegmentInput struct {
	Name        *string         `json:"name,omitempty" maxLength:"200"`
	Description *string         `json:"description,omitempty" maxLength:"2000"`
	Kind        *string         `json:"kind,omitempty" enum:"dynamic,static" doc:"Only on create; default dynamic."`
	Definition  json.RawMessage `json:"definition,omitempty" doc:"A segment definition (dynamic segments): {\"op\":\"and|or\",\"groups\":[{\"op\":\"and|or\",\"predicates\":[{\"field\",\"op\",\"value\",…params}],\"groups\":[…]}]}."`
}

// Validate checks the plain fields of a segment input (the definition is
// checked by the store, which knows the custom fields and other segments).
func (in *SegmentInput) Validate(create bool) error {
	v := &Validation{}
	cleanString(v, "name", in.Name, 200, create)
	if !create && in.Name != nil && *in.Name == "" {
		v.Add("name", "required")
	}
	cleanString(v, "description", in.Description, 2000, false)
	if in.Kind != nil && *in.Kind != SegmentDynamic && *in.Kind != SegmentStatic {
		v.Add("kind", "invalid_choice")
	}
	if in.Kind != nil && !create {
		v.Add("kind", "segment_kind_fixed")
	}
	return v.Err()
}

// SegmentFilter selects segments for a list.
type SegmentFilter struct {
	Query  string // name contains
	Kind   string // dynamic, static or empty
	Limit  int
	Offset int
}

// SegmentMember is a contact in a segment, with what a member list shows.
type SegmentMember struct {
	ContactID   int64      `json:"contact_id"`
	FirstName   string     `json:"first_name"`
	LastName    string     `json:"last_name"`
	Email       string     `json:"email"`
	Phone       string     `json:"phone"`
	City        string     `json:"city"`
	Country     string     `json:"country"`
	Stage       string     `json:"stage"`
	OwnerID     *int64     `json:"owner_id"`
	Orders      int64      `json:"orders"`
	TotalSpent  int64      `json:"total_spent" doc:"Minor units of the shop currency."`
	LastOrderAt *time.Time `json:"last_order_at"`
	AddedAt     *time.Time `json:"added_at,omitempty" doc:"When the contact entered the segment (absent in previews)."`
}

// SegmentPage asks for one page of members: keyset pagination by name.
type SegmentPage struct {
	Limit  int    // default 50, at most 500
	Cursor string // from the previous page's Next; empty for the first
}

// SegmentMembers is one page of members and the total the reader may see.
type SegmentMembers struct {
	Members []*SegmentMember `json:"members"`
	Total   int64            `json:"total"`
	Next    string           `json:"next" doc:"Cursor of the next page; empty on the last."`
}

// SegmentPreview is what a definition selects, without saving it.
type SegmentPreview struct {
	Count  int64            `json:"count"`
	Sample []*SegmentMember `json:"sample"`
}

// SegmentChange is one entry or exit of a contact.
type SegmentChange struct {
	SegmentID int64     `json:"segment_id"`
	ContactID int64     `json:"contact_id"`
	Name      string    `json:"name" doc:"The contact's name."`
	Change    string    `json:"change" enum:"entered,left"`
	At        time.Time `json:"at"`
}

// SegmentChangeFilter pages the changes log, newest first.
type SegmentChangeFilter struct {
	Since  *time.Time // only changes at or after
	Limit  int        // default 100, at most 1000
	Before string     // cursor from the previous page
}

// SegmentChangeEvent is the data of segment.entered / segment.left.
type SegmentChangeEvent struct {
	SegmentID   int64     `json:"segment_id"`
	SegmentName string    `json:"segment_name"`
	ContactID   int64     `json:"contact_id"`
	At          time.Time `json:"at"`
}

// SegmentRefresh reports one refresh.
type SegmentRefresh struct {
	SegmentID int64 `json:"segment_id"`
	Entered   int64 `json:"entered"`
	Left      int64 `json:"left"`
	Members   int64 `json:"members"`
	Millis    int64 `json:"ms"`
}

// SegmentService is the one way every feature selects people: the
// console's builder and lists, the API, and later campaigns, journeys,
// service rules and portals. Every method checks crm.ResSegments (read for
// reads, write for changes); an own-only actor's counts, members, exports
// and changes include only the contacts they own, and they may add or
// remove only their own contacts. Definition problems are EINVALID errors
// whose fields are "definition.<path>".
type SegmentService interface {
	// Catalog is every field a predicate may test: the built-in fields
	// and the contact custom fields ("custom.<key>"). Labels are message
	// keys (seg.field.*), except custom fields, which carry their label.
	Catalog(ctx context.Context) ([]segment.Field, error)
	// Preview counts the contacts a definition selects and returns the
	// first sample of them by name (0 ≤ sample ≤ 100), saving nothing.
	Preview(ctx context.Context, definition json.RawMessage, sample int) (*SegmentPreview, error)
	// Create saves a segment; a dynamic one is filled at once.
	Create(ctx context.Context, in SegmentInput) (*Segment, error)
	// Update renames a segment or changes its definition (refilling it).
	Update(ctx context.Context, id int64, in SegmentInput) (*Segment, error)
	// Delete removes a segment, its members and changes; a segment another
	// definition refers to cannot be deleted (ECONFLICT).
	Delete(ctx context.Context, id int64) error
	Find(ctx context.Context, id int64) (*Segment, error)
	List(ctx context.Context, f SegmentFilter) ([]*Segment, int, error)
	// Members pages through the members by name (keyset).
	Members(ctx context.Context, id int64, page SegmentPage) (*SegmentMembers, error)
	// ExportCSV writes every member the reader may see as CSV (formula
	// cells neutralised), in name order.
	ExportCSV(ctx context.Context, id int64, w io.Writer) error
	// AddMembers adds contacts to a static list; it returns how many were
	// not members before. Unknown ids are EINVALID.
	AddMembers(ctx context.Context, id int64, contactIDs []int64) (int64, error)
	// AddMatching adds everyone a definition selects now to a static list
	// (a snapshot); it returns how many were new.
	AddMatching(ctx context.Context, id int64, definition json.RawMessage) (int64, error)
	// RemoveMembers takes contacts out of a static list.
	RemoveMembers(ctx context.Context, id int64, contactIDs []int64) (int64, error)
	// Changes pages through the entered/left log, newest first; next is
	// the cursor of the following page.
	Changes(ctx context.Context, id int64, f SegmentChangeFilter) (changes []*SegmentChange, next string, err error)
	// Refresh brings a dynamic segment's members up to date with its
	// definition now, recording every entry and exit.
	Refresh(ctx context.Context, id int64) (*SegmentRefresh, error)
	// RefreshAll refreshes every dynamic segment (the segments.refresh job).
	RefreshAll(ctx context.Context) ([]*SegmentRefresh, error)
}

// SegmentDefinitionError turns a segment.Error into a validation error
// whose fields are under "definition".
func SegmentDefinitionError(err error) error {
	var se *segment.Error
	if !errors.As(err, &se) {
		return err
	}
	out := &Error{Code: EINVALID, Message: "invalid segment definition"}
	for _, f := range se.Fields {
		field := "definition"
		if f.Path != "" {
			field += "." + f.Path
		}
		out.Fields = append(out.Fields, FieldError{Field: field, Key: f.Key, Args: f.Args})
	}
	return out
}
