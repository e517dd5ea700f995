package transfer_test

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// The sales rollups in the export round trip: historical orders fill the
// day, product and customer rollups, and a report sets the watermark.
func init() {
	fillParts = append(fillParts, func(t *testing.T, db *store.DB, contactID int64) {
		ctx := storetest.System()
		cdnow := " 77001 19970101 2 23.54\n 77001 19970302 1 9.99\n"
		if _, err := db.ImportOrders(ctx, strings.NewReader(cdnow), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SalesReport(ctx, crm.SalesReportFilter{}); err != nil {
			t.Fatal(err)
		}
	})
}
