package store_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestImportContactsDedupe(t *testing.T) {
	for _, mode := range []struct {
		dedupe                    string
		created, updated, skipped int
		wantStage                 string
		wantContacts              int
	}{
		{store.DedupeSkip, 2, 0, 2, "lead", 3},
		{store.DedupeUpdate, 2, 2, 0, "customer", 3},
		{store.DedupeCreate, 4, 0, 0, "lead", 5},
	} {
		t.Run(mode.dedupe, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := storetest.System()
				mustContact(t, ctx, db, crm.ContactInput{LastName: ptr("Old"), Email: ptr("old@example.com"), Stage: ptr("lead")})
				rows := []crm.ContactInput{
					{FirstName: ptr("Ana"), Email: ptr("ana@example.com"), Stage: ptr("lead")},
					{LastName: ptr("Old again"), Email: ptr("OLD@example.com"), Stage: ptr("customer")},
					{FirstName: ptr("Ana 2"), Email: ptr("ana@example.com"), Stage: ptr("customer")},
					{FirstName: ptr("No email")},
				}
				res, err := db.ImportContacts(ctx, rows, store.ImportOptions{Dedupe: mode.dedupe})
				if err != nil {
					t.Fatal(err)
				}
				if res.Created != mode.created || res.Updated != mode.updated || res.Skipped != mode.skipped || len(res.Errors) != 0 {
					t.Errorf("result = %+v, want created %d updated %d skipped %d", res, mode.created, mode.updated, mode.skipped)
				}
				page, err := db.FindContacts(ctx, crm.ContactFilter{WithTotal: true, Email: "old@example.com"})
				if err != nil || len(page.Items) == 0 {
					t.Fatalf("find old: %v", err)
				}
				if got := page.Items[0].Stage; got != mode.wantStage {
					t.Errorf("old contact stage = %q, want %q", got, mode.wantStage)
				}
				all, _ := db.FindContacts(ctx, crm.ContactFilter{WithTotal: true})
				if all.Total != mode.wantContacts {
					t.Errorf("contacts = %d, want %d", all.Total, mode.wantContacts)
				}
			})
		})
	}
}

func TestImportContactsRejectsWholeRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		owner := int64(999)
		rows := []crm.ContactInput{
			{FirstName: ptr("Good"), Email: ptr("good@example.com"), Phones: &[]string{"+442071838750"}, Tags: &[]string{"VIP"}},
			{FirstName: ptr("Bad"), Email: ptr("not-an-email"), Tags: &[]string{"x"}},
			{FirstName: ptr("Ghost owner"), OwnerID: &owner},
			{FirstName: ptr("Acme person"), Email: ptr("p@acme.example")},
			{FirstName: ptr("Unknown co"), Email: ptr("u@x.example")},
		}
		res, err := db.ImportContacts(ctx, rows, store.ImportOptions{CompanyNames: []string{"", "", "", "ACME", "Nowhere"}})
		if err != nil {
			t.Fatal(err)
		}
		// ACME does not exist and CompanyByName is off: rejected too.
		var got []string
		for _, e := range res.Errors {
			got = append(got, strconv.Itoa(e.Index)+":"+e.Field+":"+e.Key)
		}
		want := []string{"1:email:invalid_email", "2:owner_id:not_found", "3:company:not_found", "4:company:not_found"}
		if !slices.Equal(got, want) {
			t.Errorf("errors = %v, want %v", got, want)
		}
		if res.Created != 1 || res.Rejected() != 4 {
			t.Errorf("created %d rejected %d, want 1 and 4", res.Created, res.Rejected())
		}
		for _, q := range []string{"bad", "ghost"} {
			if p, _ := db.FindContacts(ctx, crm.ContactFilter{Query: q}); len(p.Items) != 0 {
				t.Errorf("rejected row %q was stored", q)
			}
		}
		if p, _ := db.FindContacts(ctx, crm.ContactFilter{Tags: []string{"x"}}); len(p.Items) != 0 {
			t.Error("a rejected row's tags were stored")
		}
		good, err := db.FindContacts(ctx, crm.ContactFilter{Query: "good@exa", Tags: []string{"vip"}})
		if err != nil || len(good.Items) != 1 {
			t.Fatalf("imported contact not found by search and tag: %v %v", good.Items, err)
		}
		c, _ := db.FindContactByID(ctx, good.Items[0].ID)
		if len(c.Phones) != 1 || c.Phones[0] != "+442071838750" || len(c.Emails) != 1 {
			t.Errorf("side tables: emails %v phones %v", c.Emails, c.Phones)
		}
		audit, _ := db.FindAudit(ctx, crm.AuditFilter{Entity: "contact"})
		if len(audit.Items) != 1 || audit.Items[0].Action != "import" {
			t.Errorf("audit = %d entries, want one import entry", len(audit.Items))
		}
	})
}

func TestImportContactsCompanyByName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		existing, err := db.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		rows := []crm.ContactInput{{LastName: ptr("A")}, {LastName: ptr("B")}, {LastName: ptr("C")}}
		res, err := db.ImportContacts(ctx, rows, store.ImportOptions{CompanyByName: true, CompanyNames: []string{"acme", "山田商事", "山田商事"}})
		if err != nil || res.Created != 3 {
			t.Fatalf("import: %+v %v", res, err)
		}
		p, _ := db.FindContacts(ctx, crm.ContactFilter{CompanyID: &existing.ID})
		if len(p.Items) != 1 || p.Items[0].LastName != "A" {
			t.Errorf("contacts of existing company = %v", p.Items)
		}
		cos, _ := db.FindCompanies(ctx, crm.CompanyFilter{Query: "山田商事"})
		if len(cos.Items) != 1 || cos.Items[0].ContactCount != 2 {
			t.Errorf("created companies = %+v, want one with two contacts", cos.Items)
		}
	})
}

func TestImportContactsPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, _ := storetest.User(t, db, crm.RoleSupport, "support@example.com")
		_, err := db.ImportContacts(ctx, []crm.ContactInput{{LastName: ptr("X")}}, store.ImportOptions{})
		if crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("support imports: %v, want forbidden", err)
		}
	})
}

func TestImportCompanies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		rows := []crm.CompanyInput{{Name: ptr("Acme"), Domain: ptr("acme.example")}, {Name: ptr("ACME"), City: ptr("Leeds")},
			{Name: ptr("")}, {Name: ptr("Kian"), Tags: &[]string{"b2b"}}}
		res, err := db.ImportCompanies(ctx, rows, store.ImportOptions{Dedupe: store.DedupeUpdate})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 || res.Updated != 1 || len(res.Errors) != 1 || res.Errors[0].Index != 2 || res.Errors[0].Field != "name" {
			t.Errorf("result = %+v", res)
		}
		p, _ := db.FindCompanies(ctx, crm.CompanyFilter{Query: "acme"})
		if len(p.Items) != 1 || p.Items[0].City != "Leeds" || p.Items[0].Domain != "acme.example" {
			t.Errorf("acme = %+v", p.Items)
		}
	})
}
