package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// The import and report operations in the authorisation matrix: the
// import needs import:write, orders:write and contacts:write (it creates
// customers), so only * passes; a refused import leaves orders untouched.
func init() {
	matrixParts = append(matrixParts, func(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
		routes := []matrixRoute{
			{"POST", "/orders/import?format=cdnow", " 90001 19970101 1 9.99\n", ps(crm.P(crm.ResImport, crm.Write), crm.P(crm.ResOrders, crm.Write), crm.P(crm.ResContacts, crm.Write))},
			{"GET", "/reports/sales", nil, ps(crm.P(crm.ResReports, crm.Read))},
		}
		return routes, func() any {
			p, err := db.FindOrders(storetest.System(), crm.OrderFilter{Limit: 500})
			must(t, err)
			return p.Items
		}
	})
}

const ordersCSV = "Order,E-mail,Date,SKU,Product,Qty,Price,Currency\n" +
	"A1,sara@example.com,1997-01-05,TEA,Green tea,2,4.50,USD\n" +
	"A1,sara@example.com,1997-01-05,CUP,Cup,1,12,USD\n" +
	"A2,sara@example.com,1997-02-10,TEA,Green tea,1,4.50,USD\n" +
	"A3,li@example.com,1997-02-11,TEA,Green tea,0,4.50,USD\n"

func TestOrderImportAndSalesReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		fw, _ := w.CreateFormFile("file", "orders.csv")
		fw.Write([]byte(ordersCSV))
		w.Close()
		e.run(t, []scenario{
			{name: "csv body", method: "POST", url: "/api/v1/orders/import", body: ordersCSV, key: key, headers: []string{"Content-Type", "text/csv"},
				wantStatus: 200, wantContains: []string{`"orders":2`, `"lines":3`, `"contacts_created":1`, `"line":5`, `"field":"quantity"`}},
			{name: "again: nothing new", method: "POST", url: "/api/v1/orders/import", body: ordersCSV, key: key, headers: []string{"Content-Type", "text/csv"},
				wantStatus: 200, wantContains: []string{`"orders":0`, `"skipped":2`}},
			{name: "multipart", method: "POST", url: "/api/v1/orders/import?format=cdnow", body: " 00001 19970101 1 11.77\n 00001 19970301 1 5.00\n", key: key,
				headers: []string{"Content-Type", "text/plain"}, wantStatus: 200, wantContains: []string{`"orders":2`, `"contacts_created":1`}},
			{name: "multipart form", method: "POST", url: "/api/v1/orders/import", body: mp.Bytes(), key: key, headers: []string{"Content-Type", w.FormDataContentType()},
				wantStatus: 200, wantContains: []string{`"skipped":2`}},
			{name: "bad mapping", method: "POST", url: "/api/v1/orders/import?map=order_id", body: ordersCSV, key: key, headers: []string{"Content-Type", "text/csv"},
				wantStatus: 422, wantContains: []string{`map`}},
			{name: "unknown column", method: "POST", url: "/api/v1/orders/import?map=order_id=Nope", body: ordersCSV, key: key, headers: []string{"Content-Type", "text/csv"},
				wantStatus: 422},
			{name: "report", method: "GET", url: "/api/v1/reports/sales?from=1997-01-01&to=1997-03-31", key: key, wantStatus: 200,
				wantContains: []string{`"from":"1997-01-01"`, `"to":"1997-03-31"`, `"revenue":4227`, `"customers":2`, `"repeat_customers":2`,
					`"start":"1997-01-01T00:00:00Z","orders":2,"revenue":3277,"new_orders":2,"new_revenue":3277,"returning_orders":0,"returning_revenue":0,"returning_customers":0,"guest_orders":0,"guest_revenue":0`,
					`"repeat_customers_by_day":2`, `"median_days_to_second_order":`, `"median_days_to_second_day":`, `"sku":"TEA"`}},
			{name: "default range", method: "GET", url: "/api/v1/reports/sales", key: key, wantStatus: 200,
				wantContains: []string{`"from":"1996-04-01"`, `"to":"1997-03-31"`}},
			{name: "bad date", method: "GET", url: "/api/v1/reports/sales?from=1997-13-01", key: key, wantStatus: 422},
			{name: "reversed", method: "GET", url: "/api/v1/reports/sales?from=1997-03-01&to=1997-01-01", key: key, wantStatus: 422},
			{name: "reports:read only", method: "GET", url: "/api/v1/reports/sales", key: e.key("reports:read"), wantStatus: 200},
			{name: "import without orders:write", method: "POST", url: "/api/v1/orders/import", body: ordersCSV, key: e.key("import:write"), wantStatus: 403},
		})
		if !strings.Contains(string(e.do(http.MethodGet, "/api/v1/reports/sales?top=1", nil, key).body), `"top_products":[{"sku":"CDNOW-CD"`) {
			t.Errorf("top=1 does not list CDNOW-CD first")
		}
	})
}

// A shop's export through the API: US dates detected, a cancellation as a
// credit note netted in the report, a guest order, "17850.0" as 17850; the
// date format, time zone and rejected-line limit as query parameters.
func TestOrderImportShopExport(t *testing.T) {
	const retail = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n" +
		"536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n" +
		"536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,,United Kingdom\n" +
		"C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-2,12/13/2010 9:41,2.55,17850,United Kingdom\n"
	const ambiguous = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n9,A,1,1/2/2011,1.00,1\n10,A,1,3/4/2011,1.00,1\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		if _, err := db.UpdateShopSettings(storetest.System(), crm.ShopSettings{Currency: "GBP"}); err != nil {
			t.Fatal(err)
		}
		csv := []string{"Content-Type", "text/csv"}
		e.run(t, []scenario{
			{name: "ambiguous dates", method: "POST", url: "/api/v1/orders/import", body: ambiguous, key: key, headers: csv,
				wantStatus: 422, wantContains: []string{`date_format`, `12/1/2010`}},
			{name: "bad tz", method: "POST", url: "/api/v1/orders/import?date_format=dmy&tz=Nowhere/Else", body: ambiguous, key: key, headers: csv,
				wantStatus: 422, wantContains: []string{`tz`}},
			{name: "past max_rejects", method: "POST", url: "/api/v1/orders/import?date_format=iso&max_rejects=1", body: ambiguous, key: key, headers: csv,
				wantStatus: 422, wantContains: []string{`max_rejects`, `2 of the file’s 2 lines were rejected`}},
			{name: "shop export", method: "POST", url: "/api/v1/orders/import", body: retail, key: key, headers: csv,
				wantStatus: 200, wantContains: []string{`"orders":3`, `"credit_notes":1`, `"credit_notes_linked":1`, `"guest_orders":1`, `"contacts_created":1`,
					`"date_format":"mdy"`, `"file_lines":4`, `"rejected_lines":0`, `"shop_currency":"GBP"`}},
			{name: "named format and zone", method: "POST", url: "/api/v1/orders/import?date_format=dmy&tz=Europe/London", body: ambiguous, key: key, headers: csv,
				wantStatus: 200, wantContains: []string{`"orders":2`, `"date_format":"dmy"`}},
			// 6 × 2.55 + 6 × 3.39 + 6 × 1.85 − 2 × 2.55 = 41.64 in December: the
			// guest order in, the return out; orders are the two sales.
			{name: "report net of the return", method: "GET", url: "/api/v1/reports/sales?from=2010-12-01&to=2010-12-31", key: key, wantStatus: 200,
				wantContains: []string{`"revenue":4164`, `"orders":2`}},
			{name: "the credit note", method: "GET", url: "/api/v1/orders?q=C536379", key: key, wantStatus: 200,
				wantContains: []string{`"kind":"credit"`, `"status":"refunded"`, `"total":-510`}, wantAbsent: []string{`"credit_for":null`}},
		})
	})
}
