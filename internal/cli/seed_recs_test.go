package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDemoRecommendations: the demo is seeded with its recommendations
// built (and evaluated); customers' tastes make products go together, so
// a customer's 360 panel lists similar products with their reasons.
func TestDemoRecommendations(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if _, err := seedDemo(context.Background(), db, 150, 1); err != nil {
		t.Fatal(err)
	}
	ctx := storetest.System()
	s := recs.New(db)
	b, err := s.LatestRecsBuild(ctx)
	if err != nil || b.Trigger != "demo" || b.Pairs == 0 || b.Views == 0 {
		t.Fatalf("demo build %+v %v", b, err)
	}
	if e := b.Evaluation; e == nil || e.TrainPurchases == 0 {
		t.Errorf("demo evaluation %+v", e)
	}
	var contact int64
	if err := db.QueryRow(ctx, `SELECT contact_id FROM orders WHERE contact_id IS NOT NULL AND status = 'delivered' ORDER BY id LIMIT 1`).Scan(&contact); err != nil {
		t.Fatal(err)
	}
	l, err := s.Recommend(ctx, crm.RecommendationQuery{ContactID: contact, Limit: 5})
	if err != nil || len(l.Items) == 0 || l.Items[0].Source != "similar" || len(l.Items[0].Reasons) == 0 {
		t.Fatalf("a demo customer's recommendations: %+v %v", l, err)
	}
}

// TestImportOrdersRequestsRecs: `ecrm import orders` asks for the
// recommendation rebuild at the next tick of a server.
func TestImportOrdersRequestsRecs(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	env := map[string]string{"ECRM_DB": dsn}
	file := filepath.Join(t.TempDir(), "orders.csv")
	os.WriteFile(file, []byte("order_id,email,date,sku,quantity,unit_price\nR1,ana@example.com,2024-04-01,TEA-1,3,4.50\n"), 0o600)
	if out, errs, code := run(t, env, "", "import", "orders", file, "--currency", "EUR"); code != 0 {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, ok, err := db.Job(context.Background(), crm.JobRecsRebuild)
	if err != nil || !ok || st.NextRunAt.UnixMilli() != 0 {
		t.Fatalf("job after an import: %+v %v %v", st, ok, err)
	}
}
