package transfer_test

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillCommerce) }

// fillCommerce puts a row in every commerce table: a configurable product
// with stock, an order that was shipped (ledger, history, facts, timeline)
// and a customer known by an external id from an order import.
func fillCommerce(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr("TEE-1"), Name: ptr("T-shirt"), Names: map[string]string{"ja": "Tシャツ"},
		Price: ptr(int64(1999)), Currency: ptr("EUR"), TaxRateBP: ptr(2000), Stock: ptr(int64(10)),
		Options: &[]crm.ProductOption{{Key: "size", Type: "select", Values: []crm.OptionValue{{Value: "M"}, {Value: "XL", PriceDelta: 200}}}}}); err != nil {
		t.Fatal(err)
	}
	o, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: &contactID, Currency: ptr("EUR"), ExternalID: ptr("shop-1"), Note: ptr("=cmd|' /C calc'!A0"),
		Lines: []crm.OrderLineInput{{SKU: "TEE-1", Quantity: 2, Options: map[string]string{"size": "XL"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: crm.OrderShipped, Carrier: "DHL", TrackingNumber: "JD1"}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.ImportOrders(ctx, strings.NewReader("00001 19970101 1 11.77\n"), crm.OrderFileOptions{Format: "cdnow"})
	if err != nil || rep.Orders == 0 {
		t.Fatalf("import: %+v %v", rep, err)
	}
}
