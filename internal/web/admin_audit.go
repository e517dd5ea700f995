package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

type auditPage struct {
	Entries  []auditRow
	Entity   string
	Entities []string
	MoreURL  string
}

type auditRow struct {
	*crm.AuditEntry
	Before, After string // indented JSON
}

var auditEntities = []string{"contact", "company", "activity", "task", "custom_field", "user", "apikey", "role", "database"}

func (s *server) adminAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := crm.AuditFilter{After: q.Get("after"), Limit: 50}
	if e := q.Get("entity"); slices.Contains(auditEntities, e) {
		f.Entity = e
	}
	page, err := s.svc.Audit.FindAudit(r.Context(), f)
	if err != nil {
		return err
	}
	ap := auditPage{Entity: f.Entity, Entities: auditEntities}
	for _, e := range page.Items {
		ap.Entries = append(ap.Entries, auditRow{AuditEntry: e, Before: indentJSON(e.Before), After: indentJSON(e.After)})
	}
	if page.Next != "" {
		v := url.Values{"after": {page.Next}}
		if f.Entity != "" {
			v.Set("entity", f.Entity)
		}
		ap.MoreURL = "/admin/audit?" + v.Encode()
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.audit")
	v.Data = ap
	return s.ok(w, r, "admin_audit", v)
}

// indentJSON makes the stored before/after readable; text that is not
// JSON is shown as it is (the template escapes it either way).
func indentJSON(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

func (s *server) adminExportPage(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "export is not available")
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.export")
	return s.ok(w, r, "admin_export", v)
}

// adminExport streams the full export. It is a POST with the CSRF token so
// no link or image on another page can start it.
func (s *server) adminExport(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "export is not available")
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="ecrm-export.zip"`)
	return s.transfer.ExportAll(r.Context(), w)
}
