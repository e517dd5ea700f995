package transfer_test

import (
	"path/filepath"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestRecsNotExportedRestoreRequestsRebuild: the recommendation tables
// are derived, so the export leaves them out; a restore asks for the
// rebuild job, and the rebuilt tables recommend what they did before.
func TestRecsNotExportedRestoreRequestsRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for _, sku := range []string{"RX-A", "RX-B"} {
			if _, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr(sku), Name: ptr(sku), Price: ptr(int64(100)), Currency: ptr("EUR"), Stock: ptr(int64(10))}); err != nil {
				t.Fatal(err)
			}
		}
		for _, email := range []string{"rx1@example.com", "rx2@example.com"} {
			if _, err := db.CreateOrder(ctx, crm.OrderInput{Email: ptr(email), Currency: ptr("EUR"), Status: ptr(crm.OrderPaid),
				Lines: []crm.OrderLineInput{{SKU: "RX-A", Quantity: 1}, {SKU: "RX-B", Quantity: 1}}}); err != nil {
				t.Fatal(err)
			}
		}
		similar := func(db *store.DB) string {
			l, err := recs.New(db).Recommend(ctx, crm.RecommendationQuery{SKU: "RX-A", Limit: 1})
			if err != nil || len(l.Items) != 1 {
				t.Fatalf("similar to RX-A: %+v %v", l, err)
			}
			return l.Items[0].SKU + "/" + l.Items[0].Source
		}
		if _, err := recs.New(db).RebuildRecommendations(ctx, "manual", true); err != nil {
			t.Fatal(err)
		}
		before := similar(db)
		dir := filepath.Join(t.TempDir(), "export")
		if err := newTransfer(db).ExportDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		for _, tab := range []string{"product_similarity", "product_popularity", "recs_builds"} {
			if m, _ := filepath.Glob(filepath.Join(dir, tab+".*")); len(m) != 0 {
				t.Errorf("%s exported: %v", tab, m)
			}
		}
		fresh := storetest.Open(t, db.Engine())
		if err := newTransfer(fresh).RestoreDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		st, ok, err := fresh.Job(ctx, crm.JobRecsRebuild)
		if err != nil || !ok || st.NextRunAt.UnixMilli() != 0 {
			t.Fatalf("restore did not request the rebuild: %+v %v %v", st, ok, err)
		}
		if _, err := recs.New(fresh).RebuildRecommendations(ctx, "job", false); err != nil {
			t.Fatal(err)
		}
		if after := similar(fresh); after != before || before != "RX-B/similar" {
			t.Errorf("similar to RX-A: %s after the restore, %s before", after, before)
		}
	})
}
