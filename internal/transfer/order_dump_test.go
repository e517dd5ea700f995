package transfer_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// Historical orders in the export round trip: a shop export's credit
// note and guest order carry orders.kind, credit_for and a NULL contact
// through it. The sales rollups are not exported: a restore rebuilds them
// from the orders (TestRestoreRebuildsSalesRollups), credit notes and
// guest orders included.
func init() {
	fillParts = append(fillParts, func(t *testing.T, db *store.DB, contactID int64) {
		ctx := storetest.System()
		cdnow := " 77001 19970101 2 23.54\n 77001 19970302 1 9.99\n"
		if _, err := db.ImportOrders(ctx, strings.NewReader(cdnow), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW}); err != nil {
			t.Fatal(err)
		}
		// A shop export's sale, its cancellation (a credit note linked to
		// it: credit_for) and a guest order (no contact).
		shop := "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n" +
			"D536365,TEA,6,1997-01-05 08:26:00,2.55,77002.0\nCD536365,TEA,-2,1997-01-06 09:00:00,2.55,77002\nD536366,TEA,1,1997-01-06 10:00:00,2.55,\n"
		rep, err := db.ImportOrders(ctx, strings.NewReader(shop), crm.OrderFileOptions{})
		if err != nil || rep.Credits != 1 || rep.CreditsLinked != 1 || rep.Guests != 1 {
			t.Fatalf("shop export: %+v %v", rep, err)
		}
	})
}

// TestRestoreRebuildsSalesRollups restores an export into an empty
// database: its sales report is the one of the exported database,
// though no rollup travels in the export.
func TestRestoreRebuildsSalesRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fill(t, db)
		ctx := storetest.System()
		dir := filepath.Join(t.TempDir(), "export")
		if err := newTransfer(db).ExportDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		fresh := storetest.Open(t, db.Engine())
		if err := newTransfer(fresh).RestoreDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
		// CDNOW's 1997 and the live orders of the last months.
		for _, r := range [][2]time.Time{{time.Date(1996, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC)},
			{time.Now().AddDate(-1, 0, 0), time.Now().AddDate(0, 1, 0)}} {
			f := crm.SalesReportFilter{From: &r[0], To: &r[1]}
			want, err := db.SalesReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.SalesReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if want.Orders == 0 {
				t.Fatalf("the exported shop has no orders in %v; the fill should make some", r)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("report after restore:\n%+v\nwant %+v", got, want)
			}
		}
	})
}
