package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// A broken order CSV: every bad row is named by line and field, and an
// order with one bad row is not stored at all.
func TestOrderImportCSVRejects(t *testing.T) {
	file := strings.Join([]string{
		"\ufeffOrder,E-mail,Date,SKU,Product,Qty,Price,Currency,Status",   // 1
		"A1,sara@example.com,2024-01-05,TEA-1,Green tea,2,4.50,EUR,paid",  // 2 good
		"A1,sara@example.com,2024-01-05,CUP-1,Cup,1,12,EUR,paid",          // 3 good, same order
		"A2,li@example.com,2024-13-01,TEA-1,Green tea,1,4.50,EUR,paid",    // 4 bad date
		"A3,li@example.com,2024-02-01,TEA-1,Green tea,1,4.5x,EUR,paid",    // 5 bad amount
		"A4,li@example.com,2024-02-01,TEA-1,Green tea,0,4.50,EUR,paid",    // 6 quantity 0
		"A5,li@example.com,2024-02-01,TEA-1,Green tea,1,4.50,EURO,paid",   // 7 unknown currency
		"A6,,2024-02-01,TEA-1,Green tea,1,4.50,EUR,paid",                  // 8 no customer: a guest order
		"A7,kim@example.com,2024-03-01T10:00:00+03:30,TEA-1,Tea,1,3,EUR,", // 9 good, RFC 3339, default status
		"A8,kim@example.com,2024-03-02,TEA-1,Tea,1,3,EUR,paid",            // 10 order A8 line 1 fine…
		"A8,kim@example.com,2024-03-02,CUP-1,Cup,-1,3,EUR,paid",           // 11 …line 2 a return: signs mixed, A8 not stored
		"A9,kim@example.com,2024-03-03,TEA-1,Tea,1,3.001,EUR,paid",        // 12 more decimals than EUR has
	}, "\r\n")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		rep, err := db.ImportOrders(ctx, strings.NewReader(file), crm.OrderFileOptions{MaxRejects: "100%"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rep.Rejected {
			got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Field))
		}
		want := "4:date 5:unit_price 6:quantity 7:currency 10:quantity 11:quantity 12:unit_price"
		if strings.Join(got, " ") != want {
			t.Errorf("rejected = %v\nwant       %s", got, want)
		}
		if rep.Orders != 3 || rep.Lines != 4 || rep.ContactsCreated != 2 || rep.Guests != 1 || rep.RejectedLines != 7 || rep.FileLines != 11 {
			t.Errorf("report = %+v, want 3 orders of 4 lines (1 a guest's) for 2 new contacts, 7 of 11 lines rejected", rep)
		}
		for q, want := range map[string]int64{
			`SELECT COUNT(*) FROM orders`:                                                                                   3,
			`SELECT COUNT(*) FROM order_lines`:                                                                              4,
			`SELECT COUNT(*) FROM orders WHERE external_id = 'A6' AND contact_id IS NULL`:                                   1,
			`SELECT COUNT(*) FROM orders WHERE external_id = 'A8'`:                                                          0,
			`SELECT COUNT(*) FROM contacts WHERE email = 'li@example.com'`:                                                  0,
			`SELECT total FROM orders WHERE external_id = 'A1'`:                                                             2100,
			`SELECT placed_at FROM orders WHERE external_id = 'A7'`:                                                         1709274600000,
			`SELECT COUNT(*) FROM orders WHERE external_id = 'A7' AND status = 'delivered'`:                                 1,
			`SELECT orders FROM customer_facts f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'sara@example.com'`: 1,
			`SELECT COUNT(*) FROM stock_movements`:                                                                          0,
		} {
			if got := count(t, db, q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		// The reasons are sentences from the catalogue.
		if !strings.Contains(rep.Rejected[0].Reason, "date") {
			t.Errorf("reason for line 4 = %q", rep.Rejected[0].Reason)
		}

		// Minor units, mapping by field, an existing contact by email.
		minor := "no,mail,day,code,qty,cents\nB1,SARA@example.com,2024-04-01,TEA-1,3,450\n"
		rep, err = db.ImportOrders(ctx, strings.NewReader(minor), crm.OrderFileOptions{MinorUnits: true, Currency: "EUR", Timeline: true,
			Mapping: map[string]string{"order_id": "no", "email": "mail", "date": "day", "sku": "code", "quantity": "qty", "unit_price": "cents"}})
		if err != nil || rep.Orders != 1 || rep.ContactsMatched != 1 || rep.ContactsCreated != 0 {
			t.Fatalf("minor units: %+v %v", rep, err)
		}
		if got := count(t, db, `SELECT total_spent FROM customer_facts f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'sara@example.com'`); got != 0 {
			// EUR is not the shop currency (USD by default): counted in orders, not in spend.
			t.Errorf("spent in USD = %d, want 0", got)
		}
		if got := count(t, db, `SELECT orders FROM customer_facts f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'sara@example.com'`); got != 2 {
			t.Errorf("sara's orders = %d, want 2", got)
		}
		// With Timeline the order is on Sara's timeline, as live orders are.
		if got := count(t, db, `SELECT COUNT(*) FROM activities a JOIN orders o ON o.id = a.order_id
WHERE a.kind = 'order' AND o.external_id = 'B1' AND a.contact_id = o.contact_id AND a.occurred_at = o.placed_at AND a.subject = '3 × TEA-1'`); got != 1 {
			t.Errorf("timeline entries of B1 = %d, want 1", got)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM activities`); got != 1 {
			t.Errorf("activities = %d, want only B1's", got)
		}
		// A mapping naming a column the file lacks is an error before anything is written.
		if _, err := db.ImportOrders(ctx, strings.NewReader(minor), crm.OrderFileOptions{Mapping: map[string]string{"order_id": "Nope"}}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("bad mapping: %v", err)
		}
		// Without orders:write nothing happens.
		sales, _ := storetest.User(t, db, crm.RoleSupport, "support@example.com")
		if _, err := db.ImportOrders(sales, strings.NewReader(file), crm.OrderFileOptions{MaxRejects: "100%"}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("support may not import: %v", err)
		}
	})
}
