package transfer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/transfer"
	"golang.org/x/text/encoding/japanese"
)

func newTransfer(db *store.DB) *transfer.Transfer { return transfer.New(db.Services(), db) }

func rejectedLines(rep transfer.Report) []string {
	var out []string
	for _, r := range rep.Rejected {
		out = append(out, fmt.Sprintf("%d:%s", r.Line, r.Field))
	}
	return out
}

func TestImportCSVReportsLines(t *testing.T) {
	// Line 1 is the header; line 7 has a bad email, line 12 a broken
	// quote, line 14 bytes that are not UTF-8, line 15 an unknown option;
	// the record on line 9 spans two lines.
	lines := []string{
		"First name,نام خانوادگی,メールアドレス,Tags,custom.tier,Ignored",
		"Sara,Ahmadi,sara@example.com,vip;newsletter,gold,x",
		"هانیه,رضایی,hanieh@example.ir,,,x",
		"直美,小林,naomi@example.jp,b2b,,x",
		"Li,Wei,li@example.com,,,x",
		"Ana,Silva,ana@example.com,,,x",
		"Bad,Email,not-an-email,,,x",
		"Tom,Jones,tom@example.com,,,x",
		"\"Multi\nLine\",Person,multi@example.com,,,x",
		"Dup,Sara,SARA@example.com,,,x",
		"Broken \"quote,Person,broken@example.com,,,x",
		"Kim,Lee,kim@example.com,,,x",
		"Bad\xff\xfeBytes,X,bytes@example.com,,,x",
		"Last,One,last@example.com,,platinum,x",
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		tier := "tier"
		if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: &tier, Label: ptr("Tier"), Type: ptr("select"), Options: &[]string{"gold", "silver"}}); err != nil {
			t.Fatal(err)
		}
		tr := newTransfer(db)
		headers, sample, mapping, enc, err := tr.PreviewCSV(strings.NewReader(strings.Join(lines, "\n")), "utf-8", 3)
		if err != nil {
			t.Fatal(err)
		}
		if enc != "utf-8" || len(headers) != 6 || len(sample) != 3 {
			t.Errorf("preview: enc %q, %d headers, %d sample rows", enc, len(headers), len(sample))
		}
		want := map[string]string{"First name": "first_name", "نام خانوادگی": "last_name", "メールアドレス": "email", "Tags": "tags", "custom.tier": "custom.tier"}
		for h, f := range want {
			if mapping[h] != f {
				t.Errorf("mapping[%q] = %q, want %q", h, mapping[h], f)
			}
		}
		if _, ok := mapping["Ignored"]; ok {
			t.Errorf("Ignored was mapped to %q", mapping["Ignored"])
		}
		rep, err := tr.ImportCSV(ctx, "contact", strings.NewReader(strings.Join(lines, "\n")), "utf-8", mapping, "skip")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rejectedLines(rep), []string{"7:email", "12:", "14:", "15:custom.tier"}; !slices.Equal(got, want) {
			t.Errorf("rejected = %v, want %v (%+v)", got, want, rep.Rejected)
		}
		if rep.Created != 8 || rep.Skipped != 1 {
			t.Errorf("created %d skipped %d, want 8 and 1", rep.Created, rep.Skipped)
		}
		if r := rep.Rejected[0].Reason; r != "Enter a valid email address." {
			t.Errorf("reason = %q", r)
		}
		for _, q := range []string{"هانیه", "小林", "直美 小林", "sara@ex"} {
			p, err := db.FindContacts(ctx, crm.ContactFilter{Query: q})
			if err != nil || len(p.Items) != 1 {
				t.Errorf("search %q: %d results, %v", q, len(p.Items), err)
			}
		}
		p, _ := db.FindContacts(ctx, crm.ContactFilter{Email: "sara@example.com"})
		if len(p.Items) != 1 || !slices.Equal(p.Items[0].Tags, []string{"vip", "newsletter"}) || p.Items[0].Custom["tier"] != "gold" {
			t.Errorf("sara = %+v", p.Items)
		}
		for _, e := range []string{"not-an-email", "broken@example.com", "bytes@example.com", "last@example.com"} {
			if p, _ := db.FindContacts(ctx, crm.ContactFilter{Email: e}); len(p.Items) != 0 {
				t.Errorf("rejected %s was stored", e)
			}
		}
	})
}

func TestImportCSVEncodings(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().String("姓,名,メール\n山田,花子,hanako@example.jp\n")
	if err != nil {
		t.Fatal(err)
	}
	utf := "姓,名,メール\n山田,花子,hanako@example.jp\n"
	for _, tc := range []struct {
		name, data, enc string
	}{
		{"utf8", utf, ""},
		{"utf8 bom", "\ufeff" + utf, ""},
		{"shift_jis detected", sjis, ""},
		{"shift_jis named", sjis, "sjis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.Open(t, "sqlite")
			ctx := storetest.System()
			tr := newTransfer(db)
			_, _, mapping, _, err := tr.PreviewCSV(strings.NewReader(tc.data), tc.enc, 5)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := tr.ImportCSV(ctx, "contact", strings.NewReader(tc.data), tc.enc, mapping, "")
			if err != nil || rep.Created != 1 || len(rep.Rejected) != 0 {
				t.Fatalf("import: %+v %v (mapping %v)", rep, err, mapping)
			}
			p, _ := db.FindContacts(ctx, crm.ContactFilter{Query: "山田"})
			if len(p.Items) != 1 || p.Items[0].FirstName != "花子" || p.Items[0].Email != "hanako@example.jp" {
				t.Errorf("imported = %+v", p.Items)
			}
		})
	}
}

func TestImportCSVDedupeUpdateAndCompanies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		tr := newTransfer(db)
		data := "email,stage,company\na@example.com,lead,Acme\nb@example.com,lead,acme\n"
		m := map[string]string{"email": "email", "stage": "stage", "company": "company"}
		if rep, err := tr.ImportCSV(ctx, "contact", strings.NewReader(data), "", m, "skip"); err != nil || rep.Created != 2 {
			t.Fatalf("first import: %+v %v", rep, err)
		}
		data = "email,stage,company\nA@example.com,customer,\nc@example.com,,Other\n"
		rep, err := tr.ImportCSV(ctx, "contact", strings.NewReader(data), "", m, "update")
		if err != nil || rep.Created != 1 || rep.Updated != 1 {
			t.Fatalf("update import: %+v %v", rep, err)
		}
		p, _ := db.FindContacts(ctx, crm.ContactFilter{Email: "a@example.com"})
		if len(p.Items) != 1 || p.Items[0].Stage != "customer" || p.Items[0].CompanyName != "Acme" {
			t.Errorf("a = %+v", p.Items[0])
		}
		cos, _ := db.FindCompanies(ctx, crm.CompanyFilter{WithTotal: true})
		if cos.Total != 2 {
			t.Errorf("companies = %d, want 2 (Acme once, Other)", cos.Total)
		}
		crep, err := tr.ImportCSV(ctx, "company", strings.NewReader("Company name,domain\nKian,kian.example\nBad,not a domain\n"), "",
			map[string]string{"Company name": "name", "domain": "domain"}, "")
		if err != nil || crep.Created != 1 || len(crep.Rejected) != 1 || crep.Rejected[0].Line != 3 || crep.Rejected[0].Field != "domain" {
			t.Errorf("company import: %+v %v", crep, err)
		}
	})
}

func TestImportFile(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	tr := newTransfer(db)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("id,First Name,Email,owner\n9,Sara,sara@example.com,x\n10,Bad,bad-email,y\n"), 0o600)
	var out bytes.Buffer
	rep, err := tr.ImportFile(storetest.System(), "contact", good, "", &out)
	if err != nil || rep.Created != 1 {
		t.Fatalf("ImportFile: %+v %v", rep, err)
	}
	if want := "line 3: email: Enter a valid email address.\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("output = %q, want it to end with %q", out.String(), want)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("Email,Favourite colour\na@example.com,red\n"), 0o600)
	_, err = tr.ImportFile(storetest.System(), "contact", bad, "", &out)
	if crm.ErrorCode(err) != crm.EINVALID || !strings.Contains(err.Error(), "Favourite colour") {
		t.Errorf("unknown header: %v, want an error naming it", err)
	}
}

func TestImportNeedsPermission(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx, _ := storetest.User(t, db, crm.RoleReadOnly, "ro@example.com")
	_, err := newTransfer(db).ImportCSV(ctx, "contact", strings.NewReader("email\na@example.com\n"), "", map[string]string{"email": "email"}, "")
	if crm.ErrorCode(err) != crm.EFORBIDDEN {
		t.Errorf("read-only import: %v, want forbidden", err)
	}
	_, err = newTransfer(db).ImportCSV(context.Background(), "contact", strings.NewReader("email\n"), "", map[string]string{"email": "email"}, "")
	if crm.ErrorCode(err) != crm.EUNAUTHORIZED {
		t.Errorf("anonymous import: %v, want unauthorized", err)
	}
}

func ptr[T any](v T) *T { return &v }

// The rejected count is of lines, and the audit entry of a contact or
// company import records every rejected line: those the store refused
// and those the reader could not read (it said 0 for the latter).
func TestImportCSVCountsRejectedLines(t *testing.T) {
	contacts := strings.Join([]string{
		"first_name,email,phone",
		"Sara,sara@example.com,",
		"Bad,not-an-email,not a phone", // two problems, one line
		"Broken \"quote,broken@example.com,",
		"Bad\xff\xfeBytes,bytes@example.com,",
		"Kim,kim@example.com,",
	}, "\n")
	companies := strings.Join([]string{
		"name,domain,size",
		"Acme,acme.example,10",
		",not a domain,-3", // three problems, one line
		"Broken \"quote,x.example,",
		"Globex,globex.example,",
	}, "\n")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		tr := newTransfer(db)
		for _, c := range []struct {
			entity, file string
			mapping      map[string]string
			created      int
			rejected     int
		}{
			{"contact", contacts, map[string]string{"first_name": "first_name", "email": "email", "phone": "phone"}, 2, 3},
			{"company", companies, map[string]string{"name": "name", "domain": "domain", "size": "size"}, 2, 2},
		} {
			rep, err := tr.ImportCSV(ctx, c.entity, strings.NewReader(c.file), "utf-8", c.mapping, "skip")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Created != c.created || rep.RejectedLines() != c.rejected || len(rep.Rejected) <= c.rejected {
				t.Errorf("%s: created %d, %d lines rejected for %d reasons; want %d created, %d lines (%+v)",
					c.entity, rep.Created, rep.RejectedLines(), len(rep.Rejected), c.created, c.rejected, rep.Rejected)
			}
			page, err := db.FindAudit(ctx, crm.AuditFilter{Entity: c.entity, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			raw := ""
			for _, e := range page.Items {
				if e.Action == "import" {
					raw = e.After
				}
			}
			if want := fmt.Sprintf(`"rejected":%d`, c.rejected); !strings.Contains(raw, want) {
				t.Errorf("%s: audit entry %s, want %s", c.entity, raw, want)
			}
		}
	})
}
