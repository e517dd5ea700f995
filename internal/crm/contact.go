package crm

import (
	"context"
	"time"
)

// Lifecycle stages a contact moves through.
var Stages = []string{"subscriber", "lead", "opportunity", "customer", "loyal", "churned"}

// Contact is a person: a B2C customer on their own or a B2B contact at a
// company. Email and Phone are the primary entries of Emails and Phones,
// kept on the row so lists and search never join.
type Contact struct {
	ID         int64          `json:"id"`
	FirstName  string         `json:"first_name"`
	LastName   string         `json:"last_name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	Emails     []string       `json:"emails"`
	Phones     []string       `json:"phones"`
	CompanyID  *int64         `json:"company_id"`
	Title      string         `json:"title"`
	Street     string         `json:"street"`
	City       string         `json:"city"`
	Region     string         `json:"region"`
	PostalCode string         `json:"postal_code"`
	Country    string         `json:"country"` // ISO 3166-1 alpha-2
	BirthDate  string         `json:"birth_date"`
	Language   string         `json:"language"`
	Stage      string         `json:"stage"`
	Source     string         `json:"source"`
	OwnerID    *int64         `json:"owner_id"`
	Tags       []string       `json:"tags"`
	Custom     map[string]any `json:"custom"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`

	// Filled on read for display; never written.
	CompanyName string `json:"company_name,omitempty"`
	OwnerName   string `json:"owner_name,omitempty"`
}

// Name is the display name: family name first for Japanese contacts.
func (c *Contact) Name() string {
	switch {
	case c.FirstName == "":
		return c.LastName
	case c.LastName == "":
		return c.FirstName
	case c.Language == "ja":
		return c.LastName + " " + c.FirstName
	}
	return c.FirstName + " " + c.LastName
}

// Age in whole years at now, or -1 without a birth date.
func (c *Contact) Age(now time.Time) int {
	b, err := time.Parse(time.DateOnly, c.BirthDate)
	if err != nil {
		return -1
	}
	age := now.Year() - b.Year()
	if now.YearDay() < b.YearDay() {
		age--
	}
	return age
}

// ContactInput is what a person or program may set on a contact. Fields
// not here (id, owner, timestamps) cannot be mass-assigned; pointer fields
// distinguish "not sent" from "cleared" on update.
type ContactInput struct {
	FirstName  *string        `json:"first_name,omitempty"`
	LastName   *string        `json:"last_name,omitempty"`
	Email      *string        `json:"email,omitempty"`
	Phone      *string        `json:"phone,omitempty"`
	Emails     *[]string      `json:"emails,omitempty"`
	Phones     *[]string      `json:"phones,omitempty"`
	CompanyID  *int64         `json:"company_id,omitempty"`
	Title      *string        `json:"title,omitempty"`
	Street     *string        `json:"street,omitempty"`
	City       *string        `json:"city,omitempty"`
	Region     *string        `json:"region,omitempty"`
	PostalCode *string        `json:"postal_code,omitempty"`
	Country    *string        `json:"country,omitempty"`
	BirthDate  *string        `json:"birth_date,omitempty"`
	Language   *string        `json:"language,omitempty"`
	Stage      *string        `json:"stage,omitempty"`
	Source     *string        `json:"source,omitempty"`
	Tags       *[]string      `json:"tags,omitempty"`
	Custom     map[string]any `json:"custom,omitempty"`
	// OwnerID is honoured only for actors allowed to assign (not own-only).
	// For OwnerID and CompanyID, 0 clears the reference.
	OwnerID *int64 `json:"owner_id,omitempty"`
}

// ContactFilter selects contacts. Sort is a name from ContactSorts; the
// store never puts request text into SQL.
type ContactFilter struct {
	Query         string
	IDs           []int64
	Tags          []string
	OwnerID       *int64
	CompanyID     *int64
	Stage         string
	Country       string
	Email         string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	Custom        []CustomFilter
	// Purchase facts (CustomerFacts); nil means no condition. "Bought
	// exactly once" is OrdersMin = OrdersMax = 1; "no order for 180 days"
	// is LastOrderBefore = now − 180 days (customers who have ordered).
	OrdersMin, OrdersMax            *int
	SpentMin, SpentMax              *int64
	LastOrderBefore, LastOrderAfter *time.Time
	Sort                            string // e.g. "name", "-created_at"
	After                           string // keyset cursor from a previous page
	Limit                           int
	WithTotal                       bool
}

// CustomFilter matches a custom field: Op is "eq", "contains", "gt", "lt".
type CustomFilter struct {
	Key   string
	Op    string
	Value string
}

// ContactSorts are the sortable columns of a contact list.
var ContactSorts = []string{"name", "email", "country", "stage", "created_at", "updated_at"}

// Page is one page of a list: Next is the cursor for the following page
// ("" on the last page) and Total is filled when asked for.
type Page[T any] struct {
	Items []T
	Next  string
	Total int
}

// ContactService is implemented by the store.
type ContactService interface {
	FindContactByID(ctx context.Context, id int64) (*Contact, error)
	FindContacts(ctx context.Context, f ContactFilter) (Page[*Contact], error)
	CreateContact(ctx context.Context, in ContactInput) (*Contact, error)
	UpdateContact(ctx context.Context, id int64, in ContactInput) (*Contact, error)
	DeleteContact(ctx context.Context, id int64) error
	BulkContacts(ctx context.Context, op BulkOp) (int, error)
	FindDuplicates(ctx context.Context, id int64) ([]*Contact, error)
	MergeContacts(ctx context.Context, keepID, otherID int64) (*Contact, error)
}

// BulkOp applies one change to many contacts: AddTags, SetOwner or Delete.
type BulkOp struct {
	IDs        []int64
	AddTags    []string
	RemoveTags []string
	SetOwner   *int64
	Delete     bool
}
