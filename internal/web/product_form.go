package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// productForm is the create/edit page of a product. Options are rows of
// the form; a select option's values are written "M; L; XL +2.00".
type productForm struct {
	Product *crm.Product // nil when new
	Options []optionRow
	Langs   []string // languages a name can be translated into
}

type optionRow struct {
	Key, Label, Type, Values, Delta string
	Required                        bool
}

// translatedLangs are the console languages besides the default name.
var translatedLangs = []string{"fa", "ja"}

func productValues(p *crm.Product) url.Values {
	v := url.Values{}
	v.Set("sku", p.SKU)
	v.Set("name", p.Name)
	v.Set("description", p.Description)
	v.Set("category", p.Category)
	v.Set("price", moneyInput(p.Price, p.Currency))
	v.Set("currency", p.Currency)
	v.Set("tax_rate", strconv.FormatFloat(float64(p.TaxRateBP)/100, 'f', -1, 64))
	v.Set("image_url", p.ImageURL)
	v.Set("low_stock", strconv.FormatInt(p.LowStock, 10))
	if p.Active {
		v.Set("active", "on")
	}
	for _, l := range translatedLangs {
		v.Set("name_"+l, p.Names[l])
		v.Set("description_"+l, p.Descriptions[l])
	}
	return v
}

func optionRows(p *crm.Product, blank int) []optionRow {
	var rows []optionRow
	if p != nil {
		for _, o := range p.Options {
			row := optionRow{Key: o.Key, Label: o.Label, Type: o.Type, Required: o.Required}
			if o.Type == "select" {
				vals := make([]string, len(o.Values))
				for i, ov := range o.Values {
					vals[i] = ov.Value
					if ov.PriceDelta > 0 {
						vals[i] += " +" + moneyInput(ov.PriceDelta, p.Currency)
					} else if ov.PriceDelta < 0 {
						vals[i] += " -" + moneyInput(-ov.PriceDelta, p.Currency)
					}
				}
				row.Values = strings.Join(vals, "; ")
			} else if o.PriceDelta != 0 {
				row.Delta = moneyInput(o.PriceDelta, p.Currency)
			}
			rows = append(rows, row)
		}
	}
	for range blank {
		rows = append(rows, optionRow{Type: "select"})
	}
	return rows
}

// productInput reads a posted product form. Amounts are typed in major
// units of the chosen currency; the tax rate in percent.
func productInput(f url.Values, create bool) (crm.ProductInput, []optionRow, error) {
	var v crm.Validation
	str := func(k string) *string { s := f.Get(k); return &s }
	in := crm.ProductInput{Name: str("name"), Description: str("description"), Category: str("category"),
		Currency: str("currency"), ImageURL: str("image_url")}
	if create {
		in.SKU = str("sku")
	} else if f.Has("sku") {
		in.SKU = str("sku")
	}
	cur, _ := crm.NormalizeCurrency(f.Get("currency"))
	if price, ok := parseMoney(f.Get("price"), cur); ok {
		in.Price = &price
	} else {
		v.Add("price", "invalid_amount")
	}
	if t := strings.TrimSpace(normalizeDigits(f.Get("tax_rate"))); t != "" {
		pct, err := strconv.ParseFloat(strings.Replace(t, "٫", ".", 1), 64)
		bp := int(pct*100 + 0.5)
		if err != nil || pct < 0 || pct > 100 {
			v.Add("tax_rate", "out_of_range")
		} else {
			in.TaxRateBP = &bp
		}
	} else {
		zero := 0
		in.TaxRateBP = &zero
	}
	if n, ok := parseCount(f.Get("low_stock")); ok {
		in.LowStock = &n
	} else if strings.TrimSpace(f.Get("low_stock")) != "" {
		v.Add("low_stock", "out_of_range")
	}
	active := f.Get("active") == "on"
	in.Active = &active
	in.Names, in.Descriptions = map[string]string{}, map[string]string{}
	for _, l := range translatedLangs {
		in.Names[l] = f.Get("name_" + l)
		in.Descriptions[l] = f.Get("description_" + l)
	}
	if create {
		if s := strings.TrimSpace(f.Get("stock")); s != "" {
			if n, ok := parseCount(s); ok {
				in.Stock = &n
			} else {
				v.Add("stock", "out_of_range")
			}
		}
		if loc := strings.TrimSpace(f.Get("location")); loc != "" {
			in.Location = &loc
		}
	}
	opts, rows := readOptions(&v, f, cur)
	in.Options = &opts
	return in, rows, v.Err()
}

func readOptions(v *crm.Validation, f url.Values, cur string) ([]crm.ProductOption, []optionRow) {
	keys, labels, types, values, deltas := f["opt_key"], f["opt_label"], f["opt_type"], f["opt_values"], f["opt_delta"]
	at := func(s []string, i int) string {
		if i < len(s) {
			return strings.TrimSpace(s[i])
		}
		return ""
	}
	opts := []crm.ProductOption{}
	var rows []optionRow
	for i := range keys {
		row := optionRow{Key: at(keys, i), Label: at(labels, i), Type: at(types, i), Values: at(values, i), Delta: at(deltas, i)}
		row.Required = f.Has("opt_required_" + strconv.Itoa(i))
		rows = append(rows, row)
		if row.Key == "" {
			continue
		}
		o := crm.ProductOption{Key: row.Key, Label: row.Label, Type: row.Type, Required: row.Required}
		field := "options[" + strconv.Itoa(len(opts)) + "]"
		switch row.Type {
		case "select":
			for _, part := range strings.Split(row.Values, ";") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				ov := crm.OptionValue{Value: part}
				if sp := strings.LastIndexByte(part, ' '); sp > 0 && (part[sp+1] == '+' || part[sp+1] == '-') {
					amt, ok := parseMoney(part[sp+2:], cur)
					if !ok {
						v.Add(field+".values", "invalid_amount")
					}
					if part[sp+1] == '-' {
						amt = -amt
					}
					ov = crm.OptionValue{Value: strings.TrimSpace(part[:sp]), PriceDelta: amt}
				}
				o.Values = append(o.Values, ov)
			}
		case "text":
			if row.Delta != "" {
				amt, ok := parseMoney(row.Delta, cur)
				if !ok {
					v.Add(field+".price_delta", "invalid_amount")
				}
				o.PriceDelta = amt
			}
		}
		opts = append(opts, o)
	}
	return opts, rows
}

func (s *server) productFormView(r *http.Request, p *crm.Product, vals url.Values, rows []optionRow) *view {
	v := s.newView(r, "products")
	v.Title = v.L.T("commerce.product.new")
	if p != nil {
		v.Title = v.L.T("commerce.product.edit", p.LocalName(v.L.Lang()))
	}
	if rows == nil {
		rows = optionRows(p, 2)
	}
	v.Form = newForm(vals)
	v.Data = productForm{Product: p, Options: rows, Langs: translatedLangs}
	return v
}

func (s *server) productNew(w http.ResponseWriter, r *http.Request) error {
	st, err := s.svc.Facts.ShopSettings(r.Context())
	if err != nil {
		return err
	}
	vals := url.Values{"currency": {st.Currency}, "active": {"on"}, "location": {crm.DefaultLocation}}
	return s.ok(w, r, "product_form", s.productFormView(r, nil, vals, nil))
}

func (s *server) productCreate(w http.ResponseWriter, r *http.Request) error {
	in, rows, err := productInput(r.PostForm, true)
	v := s.productFormView(r, nil, r.PostForm, rows)
	if err != nil {
		return redisplay(err, "product_form", v)
	}
	p, err := s.svc.Products.CreateProduct(r.Context(), in)
	if err != nil {
		return redisplay(err, "product_form", v)
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *server) productEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pathProduct(r)
	if err != nil {
		return err
	}
	return s.ok(w, r, "product_form", s.productFormView(r, p, productValues(p), nil))
}

func (s *server) productUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pathProduct(r)
	if err != nil {
		return err
	}
	in, rows, err := productInput(r.PostForm, false)
	v := s.productFormView(r, p, r.PostForm, rows)
	if err != nil {
		return redisplay(err, "product_form", v)
	}
	if _, err := s.svc.Products.UpdateProduct(r.Context(), p.ID, in); err != nil {
		return redisplay(err, "product_form", v)
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}
