package transfer_test

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// The sales rollups in the export round trip: historical orders fill the
// day, product and customer rollups, and a report sets the watermark; a
// credit note and a guest order carry orders.kind, credit_for and a
// NULL contact through it.
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
		if _, err := db.SalesReport(ctx, crm.SalesReportFilter{}); err != nil {
			t.Fatal(err)
		}
	})
}
