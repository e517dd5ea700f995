package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func mustContact(t *testing.T, ctx context.Context, db *store.DB, in crm.ContactInput) *crm.Contact {
	t.Helper()
	c, err := db.CreateContact(ctx, in)
	if err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	return c
}

func TestContactCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, u := storetest.User(t, db, crm.RoleSales, "sara@example.com")
		c := mustContact(t, ctx, db, crm.ContactInput{
			FirstName: ptr(" Hanako "), LastName: ptr("山田"), Email: ptr("Hanako@Example.JP"), Phone: ptr("090-1234-5678"),
			Country: ptr("jp"), Language: ptr("ja"), Tags: &[]string{"VIP", "vip", "newsletter"},
			Emails: &[]string{"hanako.work@example.jp"},
		})
		if c.Email != "hanako@example.jp" || c.Phone != "+819012345678" || c.Country != "JP" || c.FirstName != "Hanako" {
			t.Errorf("normalised = %q %q %q %q", c.Email, c.Phone, c.Country, c.FirstName)
		}
		if want := []string{"hanako@example.jp", "hanako.work@example.jp"}; !slices.Equal(c.Emails, want) {
			t.Errorf("emails = %v, want %v", c.Emails, want)
		}
		if want := []string{"vip", "newsletter"}; !slices.Equal(c.Tags, want) {
			t.Errorf("tags = %v, want %v", c.Tags, want)
		}
		if c.OwnerID == nil || *c.OwnerID != u.ID {
			t.Errorf("owner = %v, want creator %d", c.OwnerID, u.ID)
		}
		got, err := db.FindContactByID(ctx, c.ID)
		if err != nil || got.Name() != "山田 Hanako" {
			t.Fatalf("FindContactByID = %v, %v", got, err)
		}
		up, err := db.UpdateContact(ctx, c.ID, crm.ContactInput{Stage: ptr("customer"), Phone: ptr("03-1234-5678")})
		if err != nil {
			t.Fatal(err)
		}
		if up.Stage != "customer" || up.Phone != "+81312345678" || up.Email != "hanako@example.jp" {
			t.Errorf("after update: stage %q phone %q email %q", up.Stage, up.Phone, up.Email)
		}
		if err := db.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindContactByID(ctx, c.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("after delete: %v, want not_found", err)
		}
		audit, err := db.FindAudit(storetest.System(), crm.AuditFilter{Entity: "contact", EntityID: &c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range audit.Items {
			actions = append(actions, e.Action+":"+e.Actor)
		}
		if want := []string{"delete:sara", "update:sara", "create:sara"}; !slices.Equal(actions, want) {
			t.Errorf("audit = %v, want %v", actions, want)
		}
		if audit.Items[1].Before == "" || audit.Items[1].After == "" {
			t.Error("update audit lacks before/after")
		}
	})
}

func TestContactValidationSavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		cases := []struct {
			name  string
			in    crm.ContactInput
			field string
		}{
			{"bad email", crm.ContactInput{LastName: ptr("x"), Email: ptr("not-an-email")}, "email"},
			{"bad phone", crm.ContactInput{LastName: ptr("x"), Phone: ptr("12")}, "phone"},
			{"too long", crm.ContactInput{LastName: ptr(string(make([]rune, 300)))}, "last_name"},
			{"unknown custom", crm.ContactInput{LastName: ptr("x"), Custom: map[string]any{"nope": 1}}, "custom.nope"},
			{"bad stage", crm.ContactInput{LastName: ptr("x"), Stage: ptr("king")}, "stage"},
			{"nothing", crm.ContactInput{}, "last_name"},
			{"missing company", crm.ContactInput{LastName: ptr("x"), CompanyID: ptr(int64(999))}, ""},
		}
		for _, tc := range cases {
			_, err := db.CreateContact(ctx, tc.in)
			if crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("%s: err = %v, want invalid", tc.name, err)
				continue
			}
			if tc.field != "" {
				fe := crm.FieldErrors(err)
				if len(fe) == 0 || fe[0].Field != tc.field {
					t.Errorf("%s: field errors = %v, want %s", tc.name, fe, tc.field)
				}
			}
		}
		page, err := db.FindContacts(ctx, crm.ContactFilter{WithTotal: true})
		if err != nil || page.Total != 0 {
			t.Errorf("contacts after rejected input = %d, %v; want 0", page.Total, err)
		}
	})
}

func TestContactListFiltersSortAndKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("tier"), Label: ptr("Tier"), Type: ptr("select"), Options: &[]string{"gold", "silver"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("score"), Label: ptr("Score"), Type: ptr("number")}); err != nil {
			t.Fatal(err)
		}
		names := []struct{ first, last, country string }{
			{"Ali", "Rezaei", "IR"}, {"سارا", "احمدی", "IR"}, {"花子", "山田", "JP"}, {"Taro", "Yamada", "JP"},
			{"John", "Smith", "US"}, {"Jane", "Smith", "GB"}, {"Reza", "Karimi", "IR"},
		}
		for i, n := range names {
			tier := "silver"
			if i%2 == 0 {
				tier = "gold"
			}
			mustContact(t, ctx, db, crm.ContactInput{FirstName: &n.first, LastName: &n.last, Country: &n.country,
				Email: ptr(fmt.Sprintf("c%d@example.com", i)), Tags: &[]string{"t" + n.country},
				Custom: map[string]any{"tier": tier, "score": float64(i * 10)}})
		}
		cases := []struct {
			name string
			f    crm.ContactFilter
			want []string
		}{
			{"persian search", crm.ContactFilter{Query: "احمد"}, []string{"احمدی"}},
			{"arabic yeh finds persian", crm.ContactFilter{Query: "احمدي"}, []string{"احمدی"}},
			{"japanese 2-char", crm.ContactFilter{Query: "山田"}, []string{"山田"}},
			{"latin search", crm.ContactFilter{Query: "smit"}, []string{"Smith", "Smith"}},
			{"email search", crm.ContactFilter{Query: "c3@exam"}, []string{"Yamada"}},
			{"country", crm.ContactFilter{Country: "ir", Sort: "name"}, []string{"Karimi", "Rezaei", "احمدی"}},
			{"tag", crm.ContactFilter{Tags: []string{"tjp"}}, []string{"Yamada", "山田"}},
			{"custom select", crm.ContactFilter{Custom: []crm.CustomFilter{{Key: "tier", Op: "eq", Value: "gold"}}, Country: "JP"}, []string{"山田"}},
			{"custom number", crm.ContactFilter{Custom: []crm.CustomFilter{{Key: "score", Op: "gt", Value: "45"}}}, []string{"Karimi", "Smith"}},
			{"desc", crm.ContactFilter{Country: "JP", Sort: "-name"}, []string{"山田", "Yamada"}},
		}
		for _, tc := range cases {
			page, err := db.FindContacts(ctx, tc.f)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			var got []string
			for _, c := range page.Items {
				got = append(got, c.LastName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		// Walk every page of two and compare with one big page.
		for _, sort := range []string{"name", "-name", "created_at", "-updated_at", "email", "country"} {
			all, err := db.FindContacts(ctx, crm.ContactFilter{Sort: sort, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var walked []int64
			after := ""
			for range 10 {
				p, err := db.FindContacts(ctx, crm.ContactFilter{Sort: sort, Limit: 2, After: after})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range p.Items {
					walked = append(walked, c.ID)
				}
				if after = p.Next; after == "" {
					break
				}
			}
			var want []int64
			for _, c := range all.Items {
				want = append(want, c.ID)
			}
			if !slices.Equal(walked, want) {
				t.Errorf("sort %s: paged %v, want %v", sort, walked, want)
			}
		}
		for _, bad := range []crm.ContactFilter{{Sort: "name; DROP TABLE contacts"}, {After: "!!!"}, {Custom: []crm.CustomFilter{{Key: "x' OR 1=1", Op: "eq"}}}} {
			if _, err := db.FindContacts(ctx, bad); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("filter %+v: err = %v, want invalid", bad, err)
			}
		}
	})
}

func TestOwnRecordsOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		if err := db.SetRoleOwnOnly(sys, crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		aliceCtx, _ := storetest.User(t, db, crm.RoleSales, "alice@example.com")
		bobCtx, bob := storetest.User(t, db, crm.RoleSales, "bob@example.com")
		mine := mustContact(t, aliceCtx, db, crm.ContactInput{LastName: ptr("Mine")})
		theirs := mustContact(t, bobCtx, db, crm.ContactInput{LastName: ptr("Theirs")})
		if _, err := db.FindContactByID(aliceCtx, theirs.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("read other's contact: %v, want not_found", err)
		}
		if _, err := db.UpdateContact(aliceCtx, theirs.ID, crm.ContactInput{LastName: ptr("Hacked")}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("update other's contact: %v, want not_found", err)
		}
		if _, err := db.CreateContact(aliceCtx, crm.ContactInput{LastName: ptr("x"), OwnerID: &bob.ID}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("assign to other: %v, want invalid", err)
		}
		if _, err := db.CreateActivity(aliceCtx, crm.ActivityInput{Kind: ptr("note"), ContactID: &theirs.ID, Body: ptr("x")}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("note on other's contact: %v, want invalid", err)
		}
		page, _ := db.FindContacts(aliceCtx, crm.ContactFilter{WithTotal: true})
		if page.Total != 1 || page.Items[0].ID != mine.ID {
			t.Errorf("alice sees %d contacts, want only her own", page.Total)
		}
		n, err := db.BulkContacts(aliceCtx, crm.BulkOp{IDs: []int64{mine.ID, theirs.ID}, Delete: true})
		if err != nil || n != 1 {
			t.Errorf("bulk delete = %d, %v; want 1 (own only)", n, err)
		}
		if _, err := db.FindContactByID(sys, theirs.ID); err != nil {
			t.Errorf("other's contact was touched: %v", err)
		}
	})
}

func TestPermissionsDenied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ro, _ := storetest.User(t, db, crm.RoleReadOnly, "ro@example.com")
		if _, err := db.CreateContact(ro, crm.ContactInput{LastName: ptr("x")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("read-only create: %v, want forbidden", err)
		}
		if _, err := db.CreateContact(context.Background(), crm.ContactInput{LastName: ptr("x")}); crm.ErrorCode(err) != crm.EUNAUTHORIZED {
			t.Errorf("anonymous create: %v, want unauthorized", err)
		}
		if _, err := db.FindAudit(ro, crm.AuditFilter{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("read-only audit: %v, want forbidden", err)
		}
		key := &crm.Actor{APIKeyID: 1, Name: "k", Scopes: []string{"contacts:read"}}
		kctx := crm.WithActor(context.Background(), key)
		if _, err := db.FindContacts(kctx, crm.ContactFilter{}); err != nil {
			t.Errorf("contacts:read list: %v", err)
		}
		if _, err := db.CreateContact(kctx, crm.ContactInput{LastName: ptr("x")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("contacts:read create: %v, want forbidden", err)
		}
	})
}

func TestDuplicatesAndMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		a := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Jonathan"), LastName: ptr("Smith"), Email: ptr("jon@example.com"), Tags: &[]string{"a"}})
		b := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Jonathon"), LastName: ptr("Smith"), Email: ptr("js@example.org"), Phone: ptr("+14155550100"), City: ptr("Boston"), Tags: &[]string{"b"}})
		c := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Mary"), LastName: ptr("Jones"), Emails: &[]string{"x@example.com", "JON@example.com"}})
		mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Zed"), LastName: ptr("Smith")})
		dups, err := db.FindDuplicates(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range dups {
			ids = append(ids, d.ID)
		}
		if want := []int64{b.ID, c.ID}; !slices.Equal(ids, want) {
			t.Errorf("duplicates of a = %v, want %v", ids, want)
		}
		note, err := db.CreateActivity(ctx, crm.ActivityInput{Kind: ptr("note"), ContactID: &b.ID, Body: ptr("met at fair")})
		if err != nil {
			t.Fatal(err)
		}
		task, err := db.CreateTask(ctx, crm.TaskInput{Title: ptr("call back"), ContactID: &b.ID})
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.MergeContacts(ctx, a.ID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Phone != "+14155550100" || m.City != "Boston" || !slices.Equal(m.Emails, []string{"jon@example.com", "js@example.org"}) || !slices.Equal(m.Tags, []string{"a", "b"}) {
			t.Errorf("merged = phone %q city %q emails %v tags %v", m.Phone, m.City, m.Emails, m.Tags)
		}
		if x, err := db.FindActivityByID(ctx, note.ID); err != nil || *x.ContactID != a.ID {
			t.Errorf("note after merge: %v, %v", x, err)
		}
		if x, err := db.FindTaskByID(ctx, task.ID); err != nil || *x.ContactID != a.ID {
			t.Errorf("task after merge: %v, %v", x, err)
		}
		if _, err := db.FindContactByID(ctx, b.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("merged-away contact still there: %v", err)
		}
	})
}

func TestSearchRejectsNULAndBadUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for _, q := range []string{"a\x00b", "\xff\xfe", string(make([]byte, 300))} {
			if _, err := db.FindContacts(ctx, crm.ContactFilter{Query: q}); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("contacts q=%q: %v, want invalid", q, err)
			}
			if _, err := db.FindCompanies(ctx, crm.CompanyFilter{Query: q}); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("companies q=%q: %v, want invalid", q, err)
			}
		}
	})
}

func TestClearReferencesAndTaskFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, u := storetest.User(t, db, crm.RoleManager, "m@example.com")
		co, err := db.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		c := mustContact(t, ctx, db, crm.ContactInput{LastName: ptr("Linked"), CompanyID: &co.ID})
		if c.CompanyID == nil || *c.OwnerID != u.ID {
			t.Fatalf("created with company %v owner %v", c.CompanyID, c.OwnerID)
		}
		now := db.Now()
		past, future := now.Add(-time.Hour), now.Add(time.Hour)
		onPerson, err := db.CreateTask(ctx, crm.TaskInput{Title: ptr("call"), ContactID: &c.ID, RemindAt: &past})
		if err != nil {
			t.Fatal(err)
		}
		onCompany, err := db.CreateTask(ctx, crm.TaskInput{Title: ptr("renew"), CompanyID: &co.ID, RemindAt: &future})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(f crm.TaskFilter) []int64 {
			p, err := db.FindTasks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, x := range p.Items {
				out = append(out, x.ID)
			}
			slices.Sort(out)
			return out
		}
		if got, want := ids(crm.TaskFilter{CompanyID: &co.ID}), []int64{onPerson.ID, onCompany.ID}; !slices.Equal(got, want) {
			t.Errorf("company tasks = %v, want %v", got, want)
		}
		if got, want := ids(crm.TaskFilter{RemindBefore: &now}), []int64{onPerson.ID}; !slices.Equal(got, want) {
			t.Errorf("due reminders = %v, want %v", got, want)
		}
		zero := int64(0)
		c, err = db.UpdateContact(ctx, c.ID, crm.ContactInput{CompanyID: &zero, OwnerID: &zero})
		if err != nil {
			t.Fatal(err)
		}
		if c.CompanyID != nil || c.OwnerID != nil {
			t.Errorf("after clearing: company %v owner %v, want none", c.CompanyID, c.OwnerID)
		}
		neg := int64(-1)
		if _, err := db.UpdateContact(ctx, c.ID, crm.ContactInput{CompanyID: &neg}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("negative company id: %v, want invalid", err)
		}
	})
}
