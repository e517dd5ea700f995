package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// rebuildBatch is the import batch of these tests: the code paths of an
// import of more than one batch, and on SQLite of the rebuild, are the
// same with 64 rows a batch as with ImportBatch, and 2×8,192 rows took
// minutes under the race detector.
const rebuildBatch = 64

// bigImport returns n rows, more than one batch, so that on SQLite the
// import drops and rebuilds the indexes. Row i has the email c<i>@example.com
// and a secondary one, alt<i>@example.com; the rows named in dups repeat the
// email of another row or an existing contact instead.
func bigImport(n int, dups map[int]string) []crm.ContactInput {
	rows := make([]crm.ContactInput, n)
	for i := range rows {
		email := fmt.Sprintf("c%d@example.com", i)
		if d, ok := dups[i]; ok {
			email = d
		}
		rows[i] = crm.ContactInput{FirstName: ptr(fmt.Sprintf("First%d", i)), LastName: ptr(fmt.Sprintf("Last%d", i)),
			Email: ptr(email), Emails: &[]string{email, fmt.Sprintf("alt%d@example.com", i)},
			Phone: ptr(fmt.Sprintf("+44 20 7%07d", i)), Stage: ptr("lead"), Tags: &[]string{fmt.Sprintf("t%d", i%3)}}
	}
	return rows
}

// schema lists the indexes and triggers of the database, to check that an
// import leaves them as the migration made them.
func schema(t *testing.T, db *store.DB) []string {
	t.Helper()
	var conn *sql.DB
	var q string
	var err error
	if path, ok := strings.CutPrefix(db.DSN, "sqlite:"); ok {
		conn, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
		q = `SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name`
	} else {
		conn, err = sql.Open("pgx", db.DSN)
		q = `SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestImportContactsRebuild(t *testing.T) {
	n := 2*rebuildBatch + 100
	for _, mode := range []struct {
		dedupe                    string
		created, updated, skipped int
		oldStage                  string
		oldFound                  int // contacts with old@example.com
	}{
		{store.DedupeSkip, n - 3, 0, 3, "lead", 1},
		{store.DedupeUpdate, n - 3, 3, 0, "customer", 1},
		{store.DedupeCreate, n, 0, 0, "lead", 2},
	} {
		t.Run(mode.dedupe, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				store.SetImportBatch(db, rebuildBatch)
				ctx := storetest.System()
				old := mustContact(t, ctx, db, crm.ContactInput{LastName: ptr("Old"), Email: ptr("old@example.com"), Stage: ptr("lead")})
				before := schema(t, db)
				rows := bigImport(n, map[int]string{
					5:                   "old@example.com",   // an existing contact
					rebuildBatch + 7:    "c3@example.com",    // a row of the first batch
					2*rebuildBatch + 50: "alt40@example.com", // another row's second email
				})
				rows[5].Stage = ptr("customer")
				res, err := db.ImportContacts(ctx, rows, store.ImportOptions{Dedupe: mode.dedupe})
				if err != nil {
					t.Fatal(err)
				}
				if res.Created != mode.created || res.Updated != mode.updated || res.Skipped != mode.skipped || len(res.Errors) != 0 {
					t.Errorf("result = created %d updated %d skipped %d errors %v, want %d %d %d",
						res.Created, res.Updated, res.Skipped, res.Errors, mode.created, mode.updated, mode.skipped)
				}
				if got := schema(t, db); !slices.Equal(got, before) {
					t.Errorf("indexes and triggers after the import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
				}
				if path, ok := strings.CutPrefix(db.DSN, "sqlite:"); ok {
					checkFTSMerge(t, path)
				}
				all, err := db.FindContacts(ctx, crm.ContactFilter{WithTotal: true})
				if err != nil || all.Total != mode.created+1 {
					t.Errorf("contacts = %d (%v), want %d", all.Total, err, mode.created+1)
				}
				got, err := db.FindContactByID(ctx, old.ID)
				if err != nil || got.Stage != mode.oldStage {
					t.Errorf("existing contact stage = %q (%v), want %q", got.Stage, err, mode.oldStage)
				}
				if p, err := db.FindContacts(ctx, crm.ContactFilter{Query: "old@exa"}); err != nil || len(p.Items) != mode.oldFound {
					t.Errorf("old@example.com: %d contacts (%v), want %d", len(p.Items), err, mode.oldFound)
				}
				last := 2*rebuildBatch - 1 // the second batch's last row
				for _, f := range []crm.ContactFilter{
					{Query: "last154"}, {Query: "alt200@"}, {Email: "c100@example.com"},
					{Query: fmt.Sprint("first", last), Tags: []string{fmt.Sprint("t", last%3)}}, {Stage: "lead", Query: "c120@"},
				} {
					if p, err := db.FindContacts(ctx, f); err != nil || len(p.Items) != 1 {
						t.Errorf("find %+v: %d contacts (%v), want 1", f, len(p.Items), err)
					}
				}
				// The full-text triggers are back: a new contact is found.
				mustContact(t, ctx, db, crm.ContactInput{LastName: ptr("Zanjani"), Email: ptr("after@example.com")})
				if p, err := db.FindContacts(ctx, crm.ContactFilter{Query: "zanjan"}); err != nil || len(p.Items) != 1 {
					t.Errorf("contact created after the import: %d found (%v), want 1", len(p.Items), err)
				}
				audit, _ := db.FindAudit(ctx, crm.AuditFilter{Entity: "contact"})
				if len(audit.Items) == 0 || audit.Items[0].Action != "create" || audit.Items[1].Action != "import" {
					t.Errorf("audit entries: %d, want the import's and the creates", len(audit.Items))
				}
			})
		})
	}
}

// TestImportContactsRebuildAllOrNothing checks that a rebuild import that
// fails stores nothing and leaves the indexes and triggers in place.
func TestImportContactsRebuildAllOrNothing(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	store.SetImportBatch(db, rebuildBatch)
	ctx := storetest.System()
	before := schema(t, db)
	imp, err := db.BeginContactImport(ctx, store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := bigImport(2*rebuildBatch, nil)
	if err := imp.Write(ctx, imp.Prepare(rows[:rebuildBatch], nil), 0); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := imp.Write(cancelled, imp.Prepare(rows[rebuildBatch:], nil), rebuildBatch); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if err := imp.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if res := imp.Result(); res.Created != 0 {
		t.Errorf("created = %d after a failed import, want 0", res.Created)
	}
	all, err := db.FindContacts(ctx, crm.ContactFilter{WithTotal: true})
	if err != nil || all.Total != 0 {
		t.Errorf("contacts = %d (%v), want 0", all.Total, err)
	}
	if got := schema(t, db); !slices.Equal(got, before) {
		t.Errorf("indexes and triggers after a failed import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	// The connection went back to the pool with foreign keys on.
	bad := int64(12345)
	if _, err := db.CreateContact(ctx, crm.ContactInput{LastName: ptr("X"), CompanyID: &bad}); err == nil {
		t.Error("contact with a missing company was created after the import")
	}
}

// checkFTSMerge checks that the merge settings of the contacts' full-text
// index, which the rebuild changes, have FTS5's default values again.
func checkFTSMerge(t *testing.T, path string) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := map[string]string{"automerge": "4", "crisismerge": "16"} // defaults when not stored
	rows, err := conn.Query(`SELECT k, v FROM contacts_fts_config WHERE k IN ('automerge', 'crisismerge')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got[k] = v
	}
	if got["automerge"] != "4" || got["crisismerge"] != "16" {
		t.Errorf("full-text merge settings after the import = %v, want automerge 4, crisismerge 16", got)
	}
}
