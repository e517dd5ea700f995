package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, consentMatrix) }

// consentMatrix adds the consent routes; the snapshot is the contact's ledger.
func consentMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Leila"), Email: ptr("leila@example.com")})
	must(t, err)
	id := fmt.Sprint(c.ID)
	routes := []matrixRoute{
		{"GET", "/consents?contact_id=" + id, nil, ps(consentsR)},
		{"POST", "/consents", map[string]any{"contact_id": c.ID, "purpose": "marketing", "channel": "email", "status": "granted"}, ps(consentsW)},
		{"GET", "/contacts/" + id + "/consents", nil, ps(consentsR)},
		{"GET", "/contacts/" + id + "/preference-link", nil, ps(consentsR)},
		{"POST", "/contacts/" + id + "/preference-link/revoke", nil, ps(consentsW)},
	}
	return routes, func() any {
		h, err := db.ConsentHistory(ctx, c.ID, 0)
		must(t, err)
		l, err := db.PreferenceLink(ctx, c.ID)
		must(t, err)
		return []any{h, l}
	}
}

// TestConsentsAPI: an entry made through a key names the key as its
// source whatever the body says; bad topics are 422 naming the field; the
// current state follows the newest entry.
func TestConsentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, err := db.CreateContact(storetest.System(), crm.ContactInput{FirstName: ptr("Leila"), Email: ptr("leila@example.com")})
		must(t, err)
		key := e.key("consents:write")
		id := fmt.Sprint(c.ID)
		e.run(t, []scenario{
			{name: "grant", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID, "purpose": "marketing", "channel": "email", "status": "granted", "wording_version": "v2", "wording": "News by email"},
				wantStatus: 201, wantContains: []string{`"source":"api"`, `"legal_basis":"consent"`, `"wording_version":"v2"`}},
			{name: "source is not the caller's to say", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID, "purpose": "marketing", "channel": "sms", "status": "granted", "source": "form"}, wantStatus: 422},
			{name: "unknown purpose", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID, "purpose": "spam", "channel": "email", "status": "granted"}, wantStatus: 422, wantContains: []string{"body.purpose"}},
			{name: "channel that does not fit the purpose", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID, "purpose": "analytics", "channel": "sms", "status": "granted"}, wantStatus: 422, wantContains: []string{"channel"}},
			{name: "unknown contact", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID + 999, "purpose": "marketing", "channel": "email", "status": "granted"}, wantStatus: 422, wantContains: []string{"contact_id"}},
			{name: "states", method: "GET", url: "/api/v1/contacts/" + id + "/consents", key: key, wantStatus: 200, wantContains: []string{`"purpose":"marketing","channel":"email","granted":true`, `"purpose":"marketing","channel":"sms","granted":false}`}},
			{name: "withdraw", method: "POST", url: "/api/v1/consents", key: key, body: map[string]any{"contact_id": c.ID, "purpose": "marketing", "channel": "email", "status": "withdrawn"}, wantStatus: 201},
			{name: "states after withdrawal", method: "GET", url: "/api/v1/contacts/" + id + "/consents", key: key, wantStatus: 200, wantContains: []string{`"purpose":"marketing","channel":"email","granted":false`}},
			{name: "history", method: "GET", url: "/api/v1/consents?contact_id=" + id, key: key, wantStatus: 200, wantContains: []string{`"status":"withdrawn"`, `"status":"granted"`}},
			{name: "history needs a contact", method: "GET", url: "/api/v1/consents", key: key, wantStatus: 422},
		})
	})
}

// TestPreferenceLinkAPI: a key with consents:read sees when the link was
// last used but not the link; one with consents:write revokes it and gets
// the new link; the old link then answers 410 on the public page.
func TestPreferenceLinkAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := storetest.System()
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Leila"), Email: ptr("leila@example.com")})
		must(t, err)
		old, err := db.PreferencesURL(ctx, c.ID)
		must(t, err)
		_, tok, _ := strings.Cut(old, "/p/")
		_, err = db.OpenPreferenceLink(ctx, tok)
		must(t, err)
		id := fmt.Sprint(c.ID)
		read, write := e.key("consents:read"), e.key("consents:write")
		e.run(t, []scenario{
			{name: "read: dates, no link", method: "GET", url: "/api/v1/contacts/" + id + "/preference-link", key: read, wantStatus: 200,
				wantContains: []string{`"version":0`, `"revoked_at":null`, `"last_used_at":"`}, wantAbsent: []string{"/p/"}},
			{name: "read cannot revoke", method: "POST", url: "/api/v1/contacts/" + id + "/preference-link/revoke", key: read, wantStatus: 403},
			{name: "revoke", method: "POST", url: "/api/v1/contacts/" + id + "/preference-link/revoke", key: write, wantStatus: 200,
				wantContains: []string{`"version":1`, `"last_used_at":null`, `"url":"http`}, wantAbsent: []string{old}},
			{name: "unknown contact", method: "POST", url: "/api/v1/contacts/" + fmt.Sprint(c.ID+999) + "/preference-link/revoke", key: write, wantStatus: 404},
		})
		if _, err := db.OpenPreferenceLink(ctx, tok); !errors.Is(err, crm.ErrLinkRevoked) {
			t.Errorf("the old link after the API revoked it: %v", err)
		}
	})
}
