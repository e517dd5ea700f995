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
