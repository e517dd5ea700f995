package transfer_test

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillPrivacy) }

// fillPrivacy fills the privacy tables: the contact's preference link was
// used and revoked (preference_links), and an erased contact left its
// visitor's id behind (erased_visitors).
func fillPrivacy(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	u, err := db.PreferencesURL(ctx, contactID)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(u, "/p/")
	if _, err := db.OpenPreferenceLink(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokePreferenceLink(ctx, contactID); err != nil {
		t.Fatal(err)
	}
	gone, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Erased")})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LinkVisitor(ctx, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", gone.ID, crm.LinkForm); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
}
