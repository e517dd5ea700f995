package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// inventoryPage lists stock levels (optionally only low ones) and the
// latest ledger entries.
type inventoryPage struct {
	Low       bool
	Location  string
	Levels    []*crm.StockLevel
	Next      string
	Movements []*crm.StockMovement
	MoreMoves string
	Kinds     []string
}

func (s *server) inventoryList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ip := inventoryPage{Low: q.Get("low") != "", Location: strings.ToLower(strings.TrimSpace(q.Get("location"))), Kinds: crm.ManualMovementKinds}
	levels, err := s.svc.Inventory.FindStockLevels(r.Context(), crm.StockFilter{LowOnly: ip.Low, Location: ip.Location, After: q.Get("after"), Limit: 100})
	if err != nil {
		return err
	}
	ip.Levels, ip.Next = levels.Items, levels.Next
	moves, err := s.svc.Inventory.FindMovements(r.Context(), crm.MovementFilter{After: q.Get("moves_after"), Limit: 30})
	if err != nil {
		return err
	}
	ip.Movements, ip.MoreMoves = moves.Items, moves.Next
	v := s.newView(r, "inventory")
	v.Title = v.L.T("commerce.inventory.title")
	v.Data = ip
	v.Form = newForm(url.Values{"location": {crm.DefaultLocation}, "kind": {crm.MoveReceipt}})
	return s.ok(w, r, "inventory", v)
}

// movementCreate books a receipt or adjustment from the inventory page or
// a product page and returns to where it was posted from.
func (s *server) movementCreate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := crm.MovementInput{Kind: ptrTo(f.Get("kind")), Location: ptrTo(f.Get("location")), Note: ptrTo(f.Get("note"))}
	if id, err := strconv.ParseInt(f.Get("product_id"), 10, 64); err == nil && id > 0 {
		in.ProductID = &id
	} else {
		in.SKU = ptrTo(f.Get("sku"))
	}
	back := "/inventory"
	if in.ProductID != nil {
		back = "/products/" + strconv.FormatInt(*in.ProductID, 10)
	}
	var err error
	if n, ok := parseCount(f.Get("quantity")); ok {
		in.Quantity = &n
		_, err = s.svc.Inventory.CreateMovement(r.Context(), in)
	} else {
		var v crm.Validation
		v.Add("quantity", "out_of_range")
		err = v.Err()
	}
	if err == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	if code := crm.ErrorCode(err); code != crm.EINVALID && code != crm.ECONFLICT {
		return err
	}
	// Show the page the form was on again, with the errors beside it.
	if in.ProductID != nil {
		p, perr := s.svc.Products.FindProductByID(r.Context(), *in.ProductID)
		if perr != nil {
			return perr
		}
		pp, perr := s.productPageData(r, p)
		if perr != nil {
			return perr
		}
		v := s.newView(r, "products")
		v.Title, v.Data, v.Form = p.LocalName(v.L.Lang()), pp, newForm(f)
		return redisplay(err, "product", v)
	}
	v := s.newView(r, "inventory")
	v.Title = v.L.T("commerce.inventory.title")
	levels, lerr := s.svc.Inventory.FindStockLevels(r.Context(), crm.StockFilter{Limit: 100})
	if lerr != nil {
		return lerr
	}
	v.Data, v.Form = inventoryPage{Levels: levels.Items, Next: levels.Next, Kinds: crm.ManualMovementKinds}, newForm(f)
	return redisplay(err, "inventory", v)
}

func ptrTo(s string) *string { return &s }
