package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestImportConsents: a mailing tool's subscriber export (opt-in time and
// IP, subscribed yes/no) lands in the ledger back-dated and sourced to the
// file; bad lines are named by line and field and nothing else is lost.
func TestImportConsents(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			dsn := storetest.DSN(t, engine)
			env := map[string]string{"ECRM_DB": dsn}
			people := filepath.Join(dir, "people.csv")
			os.WriteFile(people, []byte("email,first_name\nsara@example.com,Sara\nhanako@example.jp,花子\n"), 0o600)
			if _, errs, code := run(t, env, "", "import", "contacts", people); code != 0 {
				t.Fatalf("contacts: %d %s", code, errs)
			}
			subs := filepath.Join(dir, "subscribers.csv")
			os.WriteFile(subs, []byte("Email Address,Subscribed,OPTIN_TIME,OPTIN_IP,channel\n"+
				"SARA@example.com,yes,2023-04-05 10:11:12,198.51.100.4,\n"+
				"hanako@example.jp,unsubscribed,2024-01-02,,\n"+
				"nobody@example.com,yes,,,\n"+
				"sara@example.com,maybe,,,\n"+
				"sara@example.com,yes,2099-01-01,,\n"+
				"sara@example.com,yes,,,fax\n"), 0o600)
			out, errs, code := run(t, env, "", "import", "consents", subs)
			if code != 0 || !strings.Contains(out, "2 entries recorded, 4 lines rejected") {
				t.Fatalf("consents: %d\n%s\n%s", code, out, errs)
			}
			for _, want := range []string{"line 4: email:", "line 5: status:", "line 6: at: lies in the future", "line 7: channel:"} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := storetest.System()
			page, err := db.FindContacts(ctx, crm.ContactFilter{Email: "sara@example.com", Limit: 1})
			if err != nil || len(page.Items) != 1 {
				t.Fatal(err)
			}
			h, err := db.ConsentHistory(ctx, page.Items[0].ID, 0)
			if err != nil || len(h) != 1 {
				t.Fatalf("history = %v, %v", h, err)
			}
			if e := h[0]; e.Source != crm.SourceImport || e.SourceRef != "subscribers.csv" || e.IP != "198.51.100.4" ||
				e.At.Format("2006-01-02 15:04:05") != "2023-04-05 10:11:12" || e.Status != crm.ConsentGranted {
				t.Errorf("imported entry = %+v", e)
			}
		})
	}
}
