package transfer

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// Default export columns; custom fields follow as custom.<key>.
var (
	ContactColumns = []string{"id", "first_name", "last_name", "email", "phone", "company", "title", "street", "city", "region",
		"postal_code", "country", "birth_date", "language", "stage", "source", "owner", "tags", "created_at", "updated_at"}
	CompanyColumns = []string{"id", "name", "domain", "industry", "size", "phone", "street", "city", "region", "country",
		"owner", "tags", "contact_count", "created_at", "updated_at"}
)

const exportPage = 500

// ExportContacts writes the contacts matching f as CSV (UTF-8 with a BOM
// for Excel, every cell formula-neutralised), walking every page. columns
// are from ContactColumns or custom.<key>; empty means all. The header
// uses the field names, so the file imports back unchanged.
func (t *Transfer) ExportContacts(ctx context.Context, f crm.ContactFilter, columns []string, w io.Writer) error {
	cols, err := t.exportColumns(ctx, EntityContact, ContactColumns, columns)
	if err != nil {
		return err
	}
	cw := csvx.NewWriter(w, true)
	if err := cw.Write(cols); err != nil {
		return err
	}
	f.After, f.Limit, f.WithTotal = "", exportPage, false
	n := 0
	row := make([]string, len(cols))
	for {
		page, err := t.svc.Contacts.FindContacts(ctx, f)
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			for i, col := range cols {
				row[i] = contactValue(c, col)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		n += len(page.Items)
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	return t.auditExport(ctx, EntityContact, n, cols)
}

// ExportCompanies is ExportContacts for companies.
func (t *Transfer) ExportCompanies(ctx context.Context, f crm.CompanyFilter, columns []string, w io.Writer) error {
	cols, err := t.exportColumns(ctx, EntityCompany, CompanyColumns, columns)
	if err != nil {
		return err
	}
	cw := csvx.NewWriter(w, true)
	if err := cw.Write(cols); err != nil {
		return err
	}
	f.After, f.Limit, f.WithTotal = "", exportPage, false
	n := 0
	row := make([]string, len(cols))
	for {
		page, err := t.svc.Companies.FindCompanies(ctx, f)
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			for i, col := range cols {
				row[i] = companyValue(c, col)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		n += len(page.Items)
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	return t.auditExport(ctx, EntityCompany, n, cols)
}

// exportColumns checks the permission and the requested columns.
func (t *Transfer) exportColumns(ctx context.Context, entity string, all, want []string) ([]string, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResExport, crm.Write)); err != nil {
		return nil, err
	}
	defs, err := t.svc.CustomFields.FindCustomFields(ctx, entity)
	if err != nil {
		return nil, err
	}
	avail := slices.Clone(all)
	for _, d := range defs {
		avail = append(avail, "custom."+d.Key)
	}
	if len(want) == 0 {
		return avail, nil
	}
	for _, c := range want {
		if !slices.Contains(avail, c) {
			var v crm.Validation
			v.Add("columns", "invalid_choice")
			return nil, v.Err()
		}
	}
	return want, nil
}

func (t *Transfer) auditExport(ctx context.Context, entity string, n int, cols []string) error {
	after, _ := json.Marshal(map[string]any{"rows": n, "columns": cols})
	return t.svc.Audit.RecordAudit(ctx, crm.AuditEntry{Action: "export", Entity: entity, After: string(after)})
}

func contactValue(c *crm.Contact, col string) string {
	switch col {
	case "id":
		return strconv.FormatInt(c.ID, 10)
	case "first_name":
		return c.FirstName
	case "last_name":
		return c.LastName
	case "email":
		return c.Email
	case "phone":
		return c.Phone
	case "company":
		return c.CompanyName
	case "title":
		return c.Title
	case "street":
		return c.Street
	case "city":
		return c.City
	case "region":
		return c.Region
	case "postal_code":
		return c.PostalCode
	case "country":
		return c.Country
	case "birth_date":
		return c.BirthDate
	case "language":
		return c.Language
	case "stage":
		return c.Stage
	case "source":
		return c.Source
	case "owner":
		return c.OwnerName
	case "tags":
		return strings.Join(c.Tags, ",")
	case "created_at":
		return c.CreatedAt.UTC().Format(time.RFC3339)
	case "updated_at":
		return c.UpdatedAt.UTC().Format(time.RFC3339)
	}
	return customValue(c.Custom, col)
}

func companyValue(c *crm.Company, col string) string {
	switch col {
	case "id":
		return strconv.FormatInt(c.ID, 10)
	case "name":
		return c.Name
	case "domain":
		return c.Domain
	case "industry":
		return c.Industry
	case "size":
		return strconv.Itoa(c.Size)
	case "phone":
		return c.Phone
	case "street":
		return c.Street
	case "city":
		return c.City
	case "region":
		return c.Region
	case "country":
		return c.Country
	case "owner":
		return c.OwnerName
	case "tags":
		return strings.Join(c.Tags, ",")
	case "contact_count":
		return strconv.Itoa(c.ContactCount)
	case "created_at":
		return c.CreatedAt.UTC().Format(time.RFC3339)
	case "updated_at":
		return c.UpdatedAt.UTC().Format(time.RFC3339)
	}
	return customValue(c.Custom, col)
}

// customValue formats a custom field the way the import reads it back.
func customValue(m map[string]any, col string) string {
	switch v := m[strings.TrimPrefix(col, "custom.")].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
