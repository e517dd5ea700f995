package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// FuzzListQuery throws arbitrary query strings at the contact list: the
// answer may be a 4xx, never a 5xx, and always matches the document.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "q=ada", "tag=vip&tag=x", "sort=-name", "sort=name;drop", "limit=-1", "limit=99999999999999999999",
		"after=eyJrIjoiYSIsImkiOjF9", "after=%ff%fe", "custom.vip=true", "custom.vip[gt]=1", "custom.[eq]=", "custom.x[", "custom.score[lt]=NaN",
		"created_after=2020-01-01T00:00:00Z", "created_before=not-a-date", "owner_id=0", "company_id=-5", "email=%00", "q=%27%20OR%201=1--",
		"stage=lead&country=GB", "total=maybe", "a=1&a=2&;;&&==", "q=" + strings.Repeat("x", 300),
	} {
		f.Add(seed)
	}
	db := storetest.Open(f, "sqlite")
	ctx := storetest.System()
	if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("vip"), Label: ptr("VIP"), Type: ptr("boolean")}); err != nil {
		f.Fatal(err)
	}
	if _, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Tags: &[]string{"vip"}}); err != nil {
		f.Fatal(err)
	}
	e := newEnv(f, db)
	key := e.key("contacts:read")
	f.Fuzz(func(t *testing.T, query string) {
		if strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			return // not a query string a client can send as such
		}
		saved := e.t
		e.t = t
		defer func() { e.t = saved }()
		r := e.do(http.MethodGet, "/api/v1/contacts?"+query, nil, key)
		if r.status >= 500 {
			t.Errorf("GET ?%s: %d %s", query, r.status, r.body)
		}
	})
}
