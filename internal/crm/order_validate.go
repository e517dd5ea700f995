package crm

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/currency"
)

// Limits of commerce values. MaxAmount keeps every sum of a 500-line order
// far inside int64, so totals never overflow silently.
const (
	MaxAmount    = 1_000_000_000_000 // 10¹² minor units per unit price or discount
	MaxQuantity  = 1_000_000
	MaxLines     = 500
	MaxOptions   = 20
	MaxOptionLen = 200
)

var (
	skuRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)
	locationRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
)

// NormalizeCurrency uppercases an ISO 4217 code and checks it is known.
func NormalizeCurrency(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 3 {
		return "", false
	}
	if _, err := currency.ParseISO(s); err != nil {
		return "", false
	}
	return s, true
}

// CurrencyDigits is how many minor-unit digits a currency has (2 for EUR,
// 0 for JPY), for display.
func CurrencyDigits(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

func cleanTranslations(v *Validation, field string, m map[string]string, max int) {
	for lang, text := range m {
		if !slices.Contains(Languages, lang) {
			v.Add(field+"."+lang, "invalid_choice")
			continue
		}
		t := strings.TrimSpace(text)
		cleanString(v, field+"."+lang, &t, max, false)
		if t == "" {
			delete(m, lang)
		} else {
			m[lang] = t
		}
	}
}

// Validate normalises a product input in place and checks it.
func (in *ProductInput) Validate(create bool) error {
	var v Validation
	if in.SKU != nil {
		*in.SKU = strings.TrimSpace(*in.SKU)
		if !skuRe.MatchString(*in.SKU) {
			v.Add("sku", "invalid_sku")
		}
	} else if create {
		v.Add("sku", "required")
	}
	cleanString(&v, "name", in.Name, MaxName, create)
	cleanString(&v, "description", in.Description, MaxBody, false)
	cleanString(&v, "category", in.Category, MaxName, false)
	cleanTranslations(&v, "names", in.Names, MaxName)
	cleanTranslations(&v, "descriptions", in.Descriptions, MaxBody)
	if in.Price != nil && (*in.Price < 0 || *in.Price > MaxAmount) {
		v.Add("price", "out_of_range")
	} else if in.Price == nil && create {
		v.Add("price", "required")
	}
	if in.Currency != nil {
		c, ok := NormalizeCurrency(*in.Currency)
		if !ok {
			v.Add("currency", "invalid_currency")
		}
		*in.Currency = c
	} else if create {
		v.Add("currency", "required")
	}
	if in.TaxRateBP != nil && (*in.TaxRateBP < 0 || *in.TaxRateBP > 10000) {
		v.Add("tax_rate_bp", "out_of_range")
	}
	if in.ImageURL != nil {
		*in.ImageURL = strings.TrimSpace(*in.ImageURL)
		if *in.ImageURL != "" {
			u, err := url.Parse(*in.ImageURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*in.ImageURL) > 2000 {
				v.Add("image_url", "invalid_url")
			}
		}
	}
	if in.LowStock != nil && (*in.LowStock < 0 || *in.LowStock > MaxQuantity) {
		v.Add("low_stock", "out_of_range")
	}
	if in.Stock != nil && (*in.Stock < 0 || *in.Stock > MaxQuantity) {
		v.Add("stock", "out_of_range")
	}
	if in.Stock != nil && !create {
		v.Add("stock", "stock_via_movements")
	}
	validateLocation(&v, "location", in.Location)
	if in.Options != nil {
		validateOptions(&v, *in.Options)
	}
	return v.Err()
}

func validateLocation(v *Validation, field string, p *string) {
	if p == nil {
		return
	}
	*p = strings.ToLower(strings.TrimSpace(*p))
	if *p == "" {
		*p = DefaultLocation
	}
	if !locationRe.MatchString(*p) {
		v.Add(field, "invalid_location")
	}
}

func validateOptions(v *Validation, opts []ProductOption) {
	if len(opts) > MaxOptions {
		v.Add("options", "too_many", MaxOptions)
		return
	}
	seen := map[string]bool{}
	for i := range opts {
		o := &opts[i]
		f := fmt.Sprintf("options[%d]", i)
		o.Key = strings.TrimSpace(o.Key)
		if !keyRe.MatchString(o.Key) || seen[o.Key] {
			v.Add(f+".key", "invalid_key")
		}
		seen[o.Key] = true
		cleanString(v, f+".label", &o.Label, MaxName, false)
		if !slices.Contains(OptionTypes, o.Type) {
			v.Add(f+".type", "invalid_choice")
		}
		if o.PriceDelta < -MaxAmount || o.PriceDelta > MaxAmount {
			v.Add(f+".price_delta", "out_of_range")
		}
		switch o.Type {
		case "select":
			if len(o.Values) == 0 || len(o.Values) > 100 {
				v.Add(f+".values", "required")
			}
			vals := map[string]bool{}
			for j := range o.Values {
				ov := &o.Values[j]
				ov.Value = strings.TrimSpace(ov.Value)
				if ov.Value == "" || vals[ov.Value] || utf8.RuneCountInString(ov.Value) > MaxName {
					v.Add(fmt.Sprintf("%s.values[%d].value", f, j), "invalid_option", ov.Value)
				}
				vals[ov.Value] = true
				if ov.PriceDelta < -MaxAmount || ov.PriceDelta > MaxAmount {
					v.Add(fmt.Sprintf("%s.values[%d].price_delta", f, j), "out_of_range")
				}
			}
		case "text":
			o.Values = nil
			if o.MaxLen < 0 || o.MaxLen > MaxOptionLen {
				v.Add(f+".max_length", "out_of_range")
			}
		}
	}
}

// Validate normalises an order input in place and checks what can be
// checked without the database (SKUs, stock and prices are the store's).
func (in *OrderInput) Validate() error {
	var v Validation
	if in.ContactID == nil && empty(in.Email) {
		v.Add("contact_id", "contact_or_email")
	}
	if in.Email != nil && *in.Email != "" {
		e, ok := NormalizeEmail(*in.Email)
		if !ok {
			v.Add("email", "invalid_email")
		}
		*in.Email = e
	}
	cleanString(&v, "first_name", in.FirstName, MaxName, false)
	cleanString(&v, "last_name", in.LastName, MaxName, false)
	if in.Currency == nil {
		v.Add("currency", "required")
	} else if c, ok := NormalizeCurrency(*in.Currency); !ok {
		v.Add("currency", "invalid_currency")
	} else {
		*in.Currency = c
	}
	if in.Channel == nil || *in.Channel == "" {
		ch := "web"
		in.Channel = &ch
	} else if !slices.Contains(Channels, *in.Channel) {
		v.Add("channel", "invalid_choice")
	}
	if in.Status == nil || *in.Status == "" {
		st := OrderPending
		in.Status = &st
	} else if *in.Status != OrderPending && *in.Status != OrderPaid {
		v.Add("status", "invalid_choice")
	}
	cleanString(&v, "external_id", in.ExternalID, 100, false)
	cleanString(&v, "note", in.Note, MaxBody, false)
	if in.Discount != nil && (*in.Discount < 0 || *in.Discount > MaxAmount) {
		v.Add("discount", "out_of_range")
	}
	switch {
	case len(in.Lines) == 0:
		v.Add("lines", "required")
	case len(in.Lines) > MaxLines:
		v.Add("lines", "too_many", MaxLines)
	}
	for i := range in.Lines {
		l := &in.Lines[i]
		f := fmt.Sprintf("lines[%d]", i)
		l.SKU = strings.TrimSpace(l.SKU)
		if !skuRe.MatchString(l.SKU) {
			v.Add(f+".sku", "invalid_sku")
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			v.Add(f+".quantity", "out_of_range")
		}
		if len(l.Options) > MaxOptions {
			v.Add(f+".options", "too_many", MaxOptions)
		}
		if l.Location != "" {
			validateLocation(&v, f+".location", &l.Location)
		}
	}
	return v.Err()
}

// Validate checks a status change.
func (in *OrderStatusInput) Validate() error {
	var v Validation
	if !slices.Contains(OrderStatuses, in.Status) {
		v.Add("status", "invalid_choice")
	}
	cleanString(&v, "note", &in.Note, MaxText, false)
	cleanString(&v, "carrier", &in.Carrier, MaxName, false)
	cleanString(&v, "tracking_number", &in.TrackingNumber, 100, false)
	return v.Err()
}

// Validate checks a manual stock movement.
func (in *MovementInput) Validate() error {
	var v Validation
	if in.ProductID == nil && empty(in.SKU) {
		v.Add("sku", "required")
	}
	if in.Kind == nil || !slices.Contains(ManualMovementKinds, *in.Kind) {
		v.Add("kind", "invalid_choice")
	}
	switch {
	case in.Quantity == nil || *in.Quantity == 0:
		v.Add("quantity", "required")
	case *in.Quantity < -MaxQuantity || *in.Quantity > MaxQuantity:
		v.Add("quantity", "out_of_range")
	case *in.Quantity < 0 && in.Kind != nil && *in.Kind == MoveReceipt:
		v.Add("quantity", "out_of_range")
	}
	if in.Location == nil {
		loc := DefaultLocation
		in.Location = &loc
	}
	validateLocation(&v, "location", in.Location)
	cleanString(&v, "note", in.Note, MaxText, false)
	return v.Err()
}

// OptionLine checks the options chosen on an order line against the
// product's, returning the attributes to store and the unit-price delta.
func (p *Product) OptionLine(v *Validation, field string, chosen map[string]string) (map[string]string, int64) {
	attrs := map[string]string{}
	var delta int64
	for k := range chosen {
		if !slices.ContainsFunc(p.Options, func(o ProductOption) bool { return o.Key == k }) {
			v.Add(field+".options."+k, "unknown_field")
		}
	}
	for _, o := range p.Options {
		val := strings.TrimSpace(chosen[o.Key])
		if val == "" {
			if o.Required {
				v.Add(field+".options."+o.Key, "required")
			}
			continue
		}
		switch o.Type {
		case "select":
			i := slices.IndexFunc(o.Values, func(ov OptionValue) bool { return ov.Value == val })
			if i < 0 {
				v.Add(field+".options."+o.Key, "invalid_choice")
				continue
			}
			delta += o.Values[i].PriceDelta
		case "text":
			max := o.MaxLen
			if max == 0 {
				max = MaxOptionLen
			}
			cleanString(v, field+".options."+o.Key, &val, max, false)
			delta += o.PriceDelta
		}
		attrs[o.Key] = val
	}
	return attrs, delta
}
