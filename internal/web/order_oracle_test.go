package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestPhoneOrderNoExistenceOracle: an own-records-only user taking a
// phone order with another owner's customer's email gets the same answer
// as with an address nobody has — a new customer of their own and the
// order — so the answer does not tell whether the address is a customer.
// The other owner's contact is left alone.
func TestPhoneOrderNoExistenceOracle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.session(crm.RoleAdmin)
		if rec := e.do(admin, http.MethodPost, "/products", url.Values{"sku": {"MUG-1"}, "name": {"Mug"}, "price": {"12.50"},
			"currency": {"EUR"}, "active": {"on"}, "stock": {"10"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create product = %d\n%s", rec.Code, rec.Body)
		}
		if err := e.svc.Users.SetRoleOwnOnly(sys(), crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		manager := e.users[crm.RoleManager].ID
		theirs, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Tara"), Emails: &[]string{"taken@example.com"}, OwnerID: &manager})
		if err != nil {
			t.Fatal(err)
		}
		sales := e.session(crm.RoleSales)
		order := func(email string) (int, string) {
			rec := e.do(sales, http.MethodPost, "/orders", url.Values{"email": {email}, "currency": {"EUR"}, "channel": {"phone"},
				"sku": {"MUG-1"}, "quantity": {"1"}})
			return rec.Code, rec.Header().Get("Location")
		}
		takenCode, takenLoc := order("taken@example.com")
		freshCode, freshLoc := order("fresh@example.com")
		shape := regexp.MustCompile(`^/orders/\d+$`)
		if takenCode != freshCode || !shape.MatchString(takenLoc) || !shape.MatchString(freshLoc) {
			t.Fatalf("another owner's customer: %d %q; unknown address: %d %q — want the same answer", takenCode, takenLoc, freshCode, freshLoc)
		}
		// The order went to a new contact of the sales user's own.
		page, err := e.svc.Contacts.FindContacts(sys(), crm.ContactFilter{Email: "taken@example.com", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 {
			t.Fatalf("contacts with the address: %d, want the other owner's and a new one", len(page.Items))
		}
		for _, c := range page.Items {
			if c.ID == theirs.ID {
				if c.OwnerID == nil || *c.OwnerID != manager {
					t.Errorf("the other owner's contact changed owner: %+v", c.OwnerID)
				}
				continue
			}
			if c.OwnerID == nil || *c.OwnerID != e.users[crm.RoleSales].ID {
				t.Errorf("new contact's owner %v, want the sales user", c.OwnerID)
			}
		}
		orders, err := e.svc.Orders.FindOrders(sys(), crm.OrderFilter{ContactID: &theirs.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(orders.Items) != 0 {
			t.Errorf("the order went to the other owner's customer")
		}
	})
}
