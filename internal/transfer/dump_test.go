package transfer_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// fill puts a row in every exported table.
func fill(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := storetest.System()
	_, u := storetest.User(t, db, crm.RoleSales, "sara@example.com")
	if err := db.SetRoleOwnOnly(ctx, crm.RoleSales, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateAPIKey(ctx, "sync", []string{"contacts:read"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("tier"), Label: ptr("Tier"),
		Type: ptr("multi_select"), Options: &[]string{"gold", "silver"}, Required: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	co, err := db.CreateCompany(ctx, crm.CompanyInput{Name: ptr("山田商事"), Domain: ptr("yamada.example"), Tags: &[]string{"b2b"}, OwnerID: &u.ID})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("هانیه"), LastName: ptr("=HYPERLINK(\"x\")"), Email: ptr("h@example.ir"),
		Emails: &[]string{"h2@example.ir"}, Phones: &[]string{"+982112345678"}, CompanyID: &co.ID, Tags: &[]string{"vip", "news"},
		Custom: map[string]any{"tier": []string{"gold"}}, OwnerID: &u.ID, BirthDate: ptr("1990-03-21")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateActivity(ctx, crm.ActivityInput{Kind: ptr("call"), ContactID: &c.ID, Subject: ptr("Hello"), Outcome: ptr("connected"), DurationSec: ptr(60)}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := db.CreateTask(ctx, crm.TaskInput{Title: ptr("Call back"), ContactID: &c.ID, AssigneeID: &u.ID, DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	uctx, _ := storetest.User(t, db, crm.RoleManager, "mina@example.com")
	if _, err := db.CreateView(uctx, crm.SavedView{Entity: "contact", Name: "VIPs", Query: "tag=vip", Columns: []string{"name", "email"}}); err != nil {
		t.Fatal(err)
	}
	for _, part := range fillParts {
		part(t, db, c.ID)
	}
}

// fillParts fill the tables of one feature area (orders, deals,
// webhooks…) from that area's own test file, given a contact to hang on.
var fillParts []func(t *testing.T, db *store.DB, contactID int64)

// snapshot reads every exported table, leaving out the audit entries the
// export and restore themselves add.
func snapshot(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := db.DumpTables(storetest.System(), func(tab store.DumpTable, rows func(func([]any) error) error) error {
		return rows(func(vals []any) error {
			if tab.Name == "audit_log" && (vals[4] == "export" || vals[4] == "restore") {
				return nil
			}
			b, _ := json.Marshal(vals)
			out[tab.Name] = append(out[tab.Name], string(b))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportRestoreRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fill(t, db)
		ctx := storetest.System()
		dir := filepath.Join(t.TempDir(), "export")
		if err := newTransfer(db).ExportDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, db)
		for _, tab := range store.DumpSchema {
			if len(want[tab.Name]) == 0 {
				t.Errorf("fill left %s empty; the round trip does not cover it", tab.Name)
			}
		}
		for _, f := range []string{"users.jsonl", "api_keys.jsonl"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "hash") {
				t.Errorf("%s holds a secret hash: %s", f, b)
			}
		}
		csv, _ := os.ReadFile(filepath.Join(dir, "contacts.csv"))
		if !strings.Contains(string(csv), `"'=HYPERLINK(""x"")"`) {
			t.Errorf("contacts.csv does not neutralise the formula:\n%s", csv)
		}

		fresh := storetest.Open(t, db.Engine())
		tr := newTransfer(fresh)
		if err := tr.RestoreDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		got := snapshot(t, fresh)
		for _, tab := range store.DumpSchema {
			if a, b := strings.Join(got[tab.Name], "\n"), strings.Join(want[tab.Name], "\n"); a != b {
				t.Errorf("%s after restore:\n%s\nwant:\n%s", tab.Name, a, b)
			}
		}
		// Search works and new ids follow the restored ones.
		p, err := fresh.FindContacts(ctx, crm.ContactFilter{Query: "هانیه"})
		if err != nil || len(p.Items) != 1 {
			t.Errorf("search after restore: %d, %v", len(p.Items), err)
		}
		c, err := fresh.CreateContact(ctx, crm.ContactInput{LastName: ptr("New")})
		if err != nil || c.ID <= p.Items[0].ID {
			t.Errorf("new contact after restore: %v, %v", c, err)
		}
		if _, err := fresh.Authenticate(ctx, "sara@example.com", "correct horse battery"); err == nil {
			t.Error("a restored user signs in with the old password")
		}
		if err := tr.RestoreDir(ctx, dir); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("restore into a non-empty database: %v, want conflict", err)
		}
	})
}

func TestExportAllZip(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	fill(t, db)
	var buf bytes.Buffer
	if err := newTransfer(db).ExportAll(storetest.System(), &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"ecrm-export/manifest.json", "ecrm-export/README.md", "ecrm-export/contacts.jsonl", "ecrm-export/contacts.csv", "ecrm-export/audit_log.jsonl"} {
		if !names[want] {
			t.Errorf("zip lacks %s (has %v)", want, names)
		}
	}
	ctx, _ := storetest.User(t, db, crm.RoleManager, "boss@example.com")
	if err := newTransfer(db).ExportAll(ctx, &buf); crm.ErrorCode(err) != crm.EFORBIDDEN {
		t.Errorf("manager full export: %v, want forbidden (it holds users and the audit log)", err)
	}
}

func TestExportContactsCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		// More than two pages, stored in one import: 1,203 CreateContact
		// transactions took two minutes under the race detector.
		rows := make([]crm.ContactInput, 1203)
		for i := range rows {
			rows[i] = crm.ContactInput{LastName: ptr("=HYPERLINK(\"http://x\")"), Email: ptr("p" + strings.Repeat("x", i%3) + "@example.com"), Phone: ptr("+442071838750")}
		}
		if res, err := db.ImportContacts(ctx, rows, store.ImportOptions{Dedupe: store.DedupeCreate}); err != nil || res.Created != len(rows) {
			t.Fatalf("store %d contacts: %+v %v", len(rows), res, err)
		}
		var buf bytes.Buffer
		if err := newTransfer(db).ExportContacts(ctx, crm.ContactFilter{}, []string{"last_name", "email", "phone"}, &buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.HasPrefix(out, "\ufefflast_name,email,phone\n") {
			t.Errorf("header = %q", out[:40])
		}
		if n := strings.Count(out, "\n"); n != 1204 {
			t.Errorf("%d lines, want 1204", n)
		}
		if !strings.Contains(out, `"'=HYPERLINK(""http://x"")",pxx@example.com,'+442071838750`) {
			t.Errorf("row not neutralised: %q", strings.Split(out, "\n")[1])
		}
		// The export imports back: the quote is taken off again.
		fresh := storetest.Open(t, db.Engine())
		rep, err := newTransfer(fresh).ImportCSV(ctx, "contact", strings.NewReader(out), "", map[string]string{"last_name": "last_name", "email": "email", "phone": "phone"}, "create")
		if err != nil || rep.Created != 1203 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		p, _ := fresh.FindContacts(ctx, crm.ContactFilter{Limit: 1})
		if p.Items[0].LastName != `=HYPERLINK("http://x")` || p.Items[0].Phone != "+442071838750" {
			t.Errorf("re-imported = %q %q", p.Items[0].LastName, p.Items[0].Phone)
		}
	})
}
