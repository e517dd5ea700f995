package crm

import (
	"context"
	"time"
)

// Custom field types admins may define.
var FieldTypes = []string{"text", "number", "date", "select", "multi_select", "boolean"}

// CustomField is an admin-defined field on contacts or companies. Values
// live in the record's Custom map under Key.
type CustomField struct {
	ID        int64     `json:"id"`
	Entity    string    `json:"entity"` // "contact" or "company"
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Type      string    `json:"type"`
	Options   []string  `json:"options"`
	Required  bool      `json:"required"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
}

// CustomFieldInput is what may be set on a custom field. Key and Entity
// are fixed after creation because stored values refer to them.
type CustomFieldInput struct {
	Entity   *string   `json:"entity,omitempty"`
	Key      *string   `json:"key,omitempty"`
	Label    *string   `json:"label,omitempty"`
	Type     *string   `json:"type,omitempty"`
	Options  *[]string `json:"options,omitempty"`
	Required *bool     `json:"required,omitempty"`
	Position *int      `json:"position,omitempty"`
}

// CustomFieldService is implemented by the store.
type CustomFieldService interface {
	FindCustomFieldByID(ctx context.Context, id int64) (*CustomField, error)
	FindCustomFields(ctx context.Context, entity string) ([]*CustomField, error)
	CreateCustomField(ctx context.Context, in CustomFieldInput) (*CustomField, error)
	UpdateCustomField(ctx context.Context, id int64, in CustomFieldInput) (*CustomField, error)
	DeleteCustomField(ctx context.Context, id int64) error
}
