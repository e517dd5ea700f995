package crm

import (
	"context"
	"time"
)

// Company is an organisation that B2B contacts belong to.
type Company struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Domain    string         `json:"domain"`
	Industry  string         `json:"industry"`
	Size      int            `json:"size"`
	Phone     string         `json:"phone"`
	Street    string         `json:"street"`
	City      string         `json:"city"`
	Region    string         `json:"region"`
	Country   string         `json:"country"`
	OwnerID   *int64         `json:"owner_id"`
	Tags      []string       `json:"tags"`
	Custom    map[string]any `json:"custom"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`

	OwnerName    string `json:"owner_name,omitempty"`
	ContactCount int    `json:"contact_count"`
}

// CompanyInput is what may be set on a company.
type CompanyInput struct {
	Name     *string        `json:"name,omitempty"`
	Domain   *string        `json:"domain,omitempty"`
	Industry *string        `json:"industry,omitempty"`
	Size     *int           `json:"size,omitempty"`
	Phone    *string        `json:"phone,omitempty"`
	Street   *string        `json:"street,omitempty"`
	City     *string        `json:"city,omitempty"`
	Region   *string        `json:"region,omitempty"`
	Country  *string        `json:"country,omitempty"`
	Tags     *[]string      `json:"tags,omitempty"`
	Custom   map[string]any `json:"custom,omitempty"`
	OwnerID  *int64         `json:"owner_id,omitempty"` // 0 clears
}

// CompanyFilter selects companies.
type CompanyFilter struct {
	Query     string
	IDs       []int64
	Tags      []string
	OwnerID   *int64
	Country   string
	Industry  string
	Custom    []CustomFilter
	Sort      string
	After     string
	Limit     int
	WithTotal bool
}

// CompanySorts are the sortable columns of a company list.
var CompanySorts = []string{"name", "domain", "country", "created_at", "updated_at"}

// CompanyService is implemented by the store.
type CompanyService interface {
	FindCompanyByID(ctx context.Context, id int64) (*Company, error)
	FindCompanies(ctx context.Context, f CompanyFilter) (Page[*Company], error)
	CreateCompany(ctx context.Context, in CompanyInput) (*Company, error)
	UpdateCompany(ctx context.Context, id int64, in CompanyInput) (*Company, error)
	DeleteCompany(ctx context.Context, id int64) error
}
