package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// Stock totals come from stock_levels (the ledger's running sums) in the
// same query, so a product read is one round trip.
const productCols = `p.id, p.sku, p.name, p.names, p.description, p.descriptions, p.category, p.price, p.currency,
	p.tax_rate_bp, p.active, p.image_url, p.low_stock, p.options, p.created_at, p.updated_at,
	COALESCE((SELECT SUM(s.on_hand) FROM stock_levels s WHERE s.product_id = p.id), 0),
	COALESCE((SELECT SUM(s.reserved) FROM stock_levels s WHERE s.product_id = p.id), 0)`

func scanProduct(row interface{ Scan(...any) error }) (*crm.Product, error) {
	var p crm.Product
	var names, descs, opts string
	var created, updated int64
	if err := row.Scan(&p.ID, &p.SKU, &p.Name, &names, &p.Description, &descs, &p.Category, &p.Price, &p.Currency,
		&p.TaxRateBP, &p.Active, &p.ImageURL, &p.LowStock, &opts, &created, &updated, &p.OnHand, &p.Reserved); err != nil {
		return nil, err
	}
	p.Names, p.Descriptions = map[string]string{}, map[string]string{}
	json.Unmarshal([]byte(names), &p.Names)
	json.Unmarshal([]byte(descs), &p.Descriptions)
	p.Options = []crm.ProductOption{}
	json.Unmarshal([]byte(opts), &p.Options)
	p.Available = p.OnHand - p.Reserved
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FindProductByID returns a product with its stock.
func (db *DB) FindProductByID(ctx context.Context, id int64) (*crm.Product, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Read)); err != nil {
		return nil, err
	}
	return db.findProduct(ctx, db.read, "p.id = $1", id)
}

// FindProductBySKU returns the product with the SKU (case-sensitive, as shops send it).
func (db *DB) FindProductBySKU(ctx context.Context, sku string) (*crm.Product, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Read)); err != nil {
		return nil, err
	}
	return db.findProduct(ctx, db.read, "p.sku = $1", sku)
}

func (db *DB) findProduct(ctx context.Context, q queryer, cond string, arg any) (*crm.Product, error) {
	query := `SELECT ` + productCols + ` FROM products p WHERE ` + cond
	var row *sql.Row
	if q == db.read {
		row = db.readRow(ctx, query, arg)
	} else {
		row = q.QueryRowContext(ctx, query, arg)
	}
	p, err := scanProduct(row)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "product not found")
	}
	return p, db.mapErr(err)
}

var productSortSpecs = map[string]sortSpec{
	"name": {col: "p.sort_name"}, "sku": {col: "p.sku"},
	"price": {col: "p.price", numeric: true}, "created_at": {col: "p.created_at", numeric: true},
	"available": {col: "(SELECT COALESCE(SUM(s.on_hand - s.reserved), 0) FROM stock_levels s WHERE s.product_id = p.id)", numeric: true},
}

// FindProducts lists products matching f.
func (db *DB) FindProducts(ctx context.Context, f crm.ProductFilter) (crm.Page[*crm.Product], error) {
	var page crm.Page[*crm.Product]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Read)); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if err := checkQuery(f.Query); err != nil {
		return page, err
	}
	if s := strings.ToLower(strings.TrimSpace(f.Query)); s != "" {
		q.add("p.search LIKE " + q.arg("%"+escapeLike(s)+"%") + " ESCAPE '\\'")
	}
	if f.Category != "" {
		q.add("p.category = " + q.arg(f.Category))
	}
	if f.Active != nil {
		q.add("p.active = " + q.arg(*f.Active))
	}
	if len(f.SKUs) > 0 {
		ph := make([]string, len(f.SKUs))
		for i, s := range f.SKUs {
			ph[i] = q.arg(s)
		}
		q.add("p.sku IN (" + strings.Join(ph, ", ") + ")")
	}
	if f.LowStock {
		q.add("p.low_stock > 0 AND (SELECT COALESCE(SUM(s.on_hand - s.reserved), 0) FROM stock_levels s WHERE s.product_id = p.id) <= p.low_stock")
	}
	spec, desc, err := parseSort(f.Sort, productSortSpecs, "name")
	if err != nil {
		return page, err
	}
	order, err := q.keyset("p", spec, desc, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+productCols+` FROM products p WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, p)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		k := keyCursor{ID: last.ID}
		switch strings.TrimPrefix(f.Sort, "-") {
		case "sku":
			k.Key = last.SKU
		case "price":
			k.Num = last.Price
		case "available":
			k.Num = last.Available
		case "created_at":
			k.Num = ms(last.CreatedAt)
		default:
			k.Key = strings.ToLower(last.Name)
		}
		page.Next = encodeCursor(k)
	}
	return page, rows.Err()
}

func applyProductInput(p *crm.Product, in *crm.ProductInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.SKU, in.SKU)
	set(&p.Name, in.Name)
	set(&p.Description, in.Description)
	set(&p.Category, in.Category)
	set(&p.Currency, in.Currency)
	set(&p.ImageURL, in.ImageURL)
	if in.Price != nil {
		p.Price = *in.Price
	}
	if in.TaxRateBP != nil {
		p.TaxRateBP = *in.TaxRateBP
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if in.LowStock != nil {
		p.LowStock = *in.LowStock
	}
	if in.Options != nil {
		p.Options = *in.Options
	}
	if in.Names != nil {
		p.Names = in.Names
	}
	if in.Descriptions != nil {
		p.Descriptions = in.Descriptions
	}
	if p.Names == nil {
		p.Names = map[string]string{}
	}
	if p.Descriptions == nil {
		p.Descriptions = map[string]string{}
	}
	if p.Options == nil {
		p.Options = []crm.ProductOption{}
	}
}

func productSearch(p *crm.Product) string {
	parts := []string{p.SKU, p.Name, p.Category}
	for _, n := range p.Names {
		parts = append(parts, n)
	}
	return foldSearch(strings.Join(parts, " "))
}

// CreateProduct stores a product; a Stock value books the opening receipt.
func (db *DB) CreateProduct(ctx context.Context, in crm.ProductInput) (*crm.Product, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	if in.Stock != nil && !a.Can(crm.P(crm.ResInventory, crm.Write)) {
		return nil, crm.Errorf(crm.EFORBIDDEN, "you do not have permission inventory:write")
	}
	p := crm.Product{Active: true}
	applyProductInput(&p, &in)
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO products (sku, name, sort_name, names, description, descriptions, category, price, currency,
			tax_rate_bp, active, image_url, low_stock, options, search, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			p.SKU, p.Name, strings.ToLower(p.Name), jsonText(p.Names), p.Description, jsonText(p.Descriptions), p.Category, p.Price, p.Currency,
			p.TaxRateBP, p.Active, p.ImageURL, p.LowStock, jsonText(p.Options), productSearch(&p), ms(tx.now), ms(tx.now)).Scan(&id); err != nil {
			return err
		}
		p.ID = id
		if err := tx.audit(ctx, "create", "product", id, nil, &p); err != nil {
			return err
		}
		loc := crm.DefaultLocation
		if in.Location != nil {
			loc = *in.Location
		}
		if in.Stock != nil && *in.Stock > 0 {
			_, err := tx.book(ctx, a, move{productID: id, location: loc, kind: crm.MoveReceipt, qty: *in.Stock, note: "opening stock"})
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.findProduct(ctx, db.write, "p.id = $1", id)
}

// UpdateProduct changes the fields sent. Placed orders keep the price and
// name they were sold at.
func (db *DB) UpdateProduct(ctx context.Context, id int64, in crm.ProductInput) (*crm.Product, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findProduct(ctx, tx, "p.id = $1", id)
		if err != nil {
			return err
		}
		p := *before
		applyProductInput(&p, &in)
		if _, err := tx.ExecContext(ctx, `UPDATE products SET sku=$1, name=$2, sort_name=$3, names=$4, description=$5, descriptions=$6, category=$7,
			price=$8, currency=$9, tax_rate_bp=$10, active=$11, image_url=$12, low_stock=$13, options=$14, search=$15, updated_at=$16 WHERE id=$17`,
			p.SKU, p.Name, strings.ToLower(p.Name), jsonText(p.Names), p.Description, jsonText(p.Descriptions), p.Category,
			p.Price, p.Currency, p.TaxRateBP, p.Active, p.ImageURL, p.LowStock, jsonText(p.Options), productSearch(&p), ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "product", id, before, &p)
	})
	if err != nil {
		return nil, err
	}
	return db.findProduct(ctx, db.write, "p.id = $1", id)
}

// DeleteProduct removes a product that was never ordered. A product with
// order lines is part of the sales history: deactivate it instead.
func (db *DB) DeleteProduct(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResProducts, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findProduct(ctx, tx, "p.id = $1", id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines WHERE product_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return crm.Errorf(crm.ECONFLICT, "product %s has been ordered %d times; deactivate it instead of deleting it", before.SKU, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "product", id, before, nil)
	})
}
