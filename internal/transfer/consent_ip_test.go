package transfer_test

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestConsentImportValidatesIP: the ip column holds an IP address or
// nothing; anything else is refused with its line and field, and an
// address is stored in its canonical form.
func TestConsentImportValidatesIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for _, e := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
			if _, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("X"), Emails: &[]string{e}}); err != nil {
				t.Fatal(err)
			}
		}
		csv := "email,status,ip\n" +
			"a@example.com,granted,203.0.113.9\n" +
			"b@example.com,granted,<script>alert(1)</script>\n" +
			"c@example.com,granted,2001:DB8:0:0::1\n" +
			"d@example.com,granted,\n"
		rep, err := newTransfer(db).ImportConsents(ctx, strings.NewReader(csv), "utf-8", "test.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Recorded != 3 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 || rep.Rejected[0].Field != "ip" {
			t.Fatalf("report %+v", rep)
		}
		got := map[string]string{}
		for _, e := range []string{"a@example.com", "c@example.com", "d@example.com"} {
			page, err := db.FindContacts(ctx, crm.ContactFilter{Email: e, Limit: 1})
			if err != nil || len(page.Items) != 1 {
				t.Fatal(e, err)
			}
			hist, err := db.ConsentHistory(ctx, page.Items[0].ID, 5)
			if err != nil || len(hist) != 1 {
				t.Fatal(e, hist, err)
			}
			got[e] = hist[0].IP
		}
		if got["a@example.com"] != "203.0.113.9" || got["c@example.com"] != "2001:db8::1" || got["d@example.com"] != "" {
			t.Errorf("stored IPs %v", got)
		}
	})
}
