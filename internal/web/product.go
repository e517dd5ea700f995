package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// productListPage is the product list with its filters.
type productListPage struct {
	Q, Category, Sort string
	Low, Inactive     bool
	Products          []*crm.Product
	Next, After       string
}

func (p productListPage) query(after string) template.URL {
	v := url.Values{}
	for k, val := range map[string]string{"q": p.Q, "category": p.Category, "sort": p.Sort, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if p.Low {
		v.Set("low", "1")
	}
	if p.Inactive {
		v.Set("inactive", "1")
	}
	return template.URL(v.Encode())
}

// NextQuery is the query of the following page.
func (p productListPage) NextQuery() template.URL { return p.query(p.Next) }

// SortQuery is the query that sorts by col, flipping the direction when it already does.
func (p productListPage) SortQuery(col string) template.URL {
	q := p
	q.Sort = flipSort(p.Sort, col)
	return q.query("")
}

func (s *server) productList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lp := productListPage{Q: strings.TrimSpace(q.Get("q")), Category: strings.TrimSpace(q.Get("category")),
		Low: q.Get("low") != "", Inactive: q.Get("inactive") != "", After: q.Get("after")}
	if so := q.Get("sort"); containsSort(crm.ProductSorts, so) {
		lp.Sort = so
	}
	f := crm.ProductFilter{Query: lp.Q, Category: lp.Category, LowStock: lp.Low, Sort: lp.Sort, After: lp.After, Limit: 50}
	if !lp.Inactive {
		active := true
		f.Active = &active
	}
	page, err := s.svc.Products.FindProducts(r.Context(), f)
	if err != nil {
		return err
	}
	lp.Products, lp.Next = page.Items, page.Next
	v := s.newView(r, "products")
	v.Title = v.L.T("commerce.products.title")
	v.Data = lp
	if isHTMX(r) && r.Header.Get("HX-Target") == "results" {
		s.renderFragment(w, r, http.StatusOK, "products", "results", v)
		return nil
	}
	return s.ok(w, r, "products", v)
}

func containsSort(allowed []string, s string) bool {
	n := strings.TrimPrefix(s, "-")
	for _, a := range allowed {
		if a == n {
			return true
		}
	}
	return false
}

// productPage is a product with its stock per location and recent ledger.
type productPage struct {
	Product   *crm.Product
	Levels    []*crm.StockLevel
	Movements []*crm.StockMovement
	Kinds     []string
}

func (s *server) pathProduct(r *http.Request) (*crm.Product, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Products.FindProductByID(r.Context(), id)
}

func (s *server) productShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pathProduct(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "products")
	pp, err := s.productPageData(r, p)
	if err != nil {
		return err
	}
	v.Title = p.LocalName(v.L.Lang())
	v.Data = pp
	v.Form = newForm(url.Values{"location": {crm.DefaultLocation}, "kind": {crm.MoveReceipt}})
	return s.ok(w, r, "product", v)
}

func (s *server) productPageData(r *http.Request, p *crm.Product) (productPage, error) {
	pp := productPage{Product: p, Kinds: crm.ManualMovementKinds}
	if !stateOf(r).actor.Can(crm.P(crm.ResInventory, crm.Read)) {
		return pp, nil
	}
	levels, err := s.svc.Inventory.FindStockLevels(r.Context(), crm.StockFilter{ProductID: &p.ID, Limit: 100})
	if err != nil {
		return pp, err
	}
	moves, err := s.svc.Inventory.FindMovements(r.Context(), crm.MovementFilter{ProductID: &p.ID, Limit: 20})
	if err != nil {
		return pp, err
	}
	pp.Levels, pp.Movements = levels.Items, moves.Items
	return pp, nil
}

func (s *server) productDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pathProduct(r)
	if err != nil {
		return err
	}
	v := s.newView(r, "products")
	v.Title = v.L.T("commerce.product.delete_title")
	path := "/products/" + strconv.FormatInt(p.ID, 10)
	v.Data = confirmPage{Message: v.L.T("commerce.product.delete_confirm", p.LocalName(v.L.Lang()), p.SKU), Action: path + "/delete",
		Submit: v.L.T("console.delete"), Cancel: path, Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) productDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Products.DeleteProduct(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/products", http.StatusSeeOther)
	return nil
}
