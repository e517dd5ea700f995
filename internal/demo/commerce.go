package demo

import (
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// streamOrder keeps order draws apart from the other streams;
// streamTaste draws what a customer likes, so the products they buy
// change without shifting the order dates, counts and statuses.
const (
	streamOrder uint64 = 0x6f72646572
	streamTaste uint64 = 0x7461737465
)

// tastes are groups of products bought by the same kind of customer,
// across categories as real baskets are (a Persian poetry reader also buys
// Shajarian and saffron tea): three lines in four come from the
// customer's taste, the rest from the whole shop by popularity. Without
// them every product would go with every other, and "customers who
// bought this also bought" would just be the best sellers.
var tastes = [][]string{
	{"CD-1001", "CD-1002", "VN-2001"},            // jazz and rock records
	{"CD-1003", "BK-3001", "BK-3004", "TE-5002"}, // Persian culture
	{"CD-1004", "BK-3002", "TE-5003"},            // Japan
	{"TS-4001", "HD-4002", "SC-4003"},            // clothes
	{"MG-5001", "CN-5004", "BK-3003", "SC-4003"}, // gifts for the home
}

// tasteWeights: how common each taste is among customers.
var tasteWeights = []int{3, 3, 2, 3, 3}

func bySKU(sku string) demoProduct {
	for _, p := range catalogue {
		if p.sku == sku {
			return p
		}
	}
	panic("demo: no product " + sku)
}

// DemoCurrency is the demo shop's currency.
const DemoCurrency = "EUR"

type demoProduct struct {
	sku, en, fa, ja, category string
	price                     int64 // cents
	tax                       int   // basis points
	stock                     int64
	options                   []crm.ProductOption
}

var sizes = crm.ProductOption{Key: "size", Label: "Size", Type: "select", Required: true,
	Values: []crm.OptionValue{{Value: "S"}, {Value: "M"}, {Value: "L"}, {Value: "XL", PriceDelta: 200}}}

var engraving = crm.ProductOption{Key: "engraving", Label: "Engraving", Type: "text", PriceDelta: 500, MaxLen: 30}

// catalogue is a small shop: music, books, clothes and home goods, with two
// products nearly sold out so the low-stock list has something to show.
var catalogue = []demoProduct{
	{"CD-1001", "Kind of Blue (CD)", "کایند آو بلو (سی‌دی)", "カインド・オブ・ブルー（CD）", "Music", 1299, 2000, 800, nil},
	{"CD-1002", "Abbey Road (CD)", "ابی رود (سی‌دی)", "アビイ・ロード（CD）", "Music", 1499, 2000, 650, nil},
	{"CD-1003", "Shajarian: Bidad (CD)", "شجریان: بیداد (سی‌دی)", "シャジャリアン『ビダード』（CD）", "Music", 1199, 2000, 400, nil},
	{"CD-1004", "Ryuichi Sakamoto: 1996 (CD)", "ریوئیچی ساکاموتو: ۱۹۹۶ (سی‌دی)", "坂本龍一『1996』（CD）", "Music", 1899, 2000, 12, nil},
	{"VN-2001", "Rumours (vinyl)", "شایعات (صفحهٔ گرامافون)", "噂（レコード）", "Music", 2999, 2000, 150, nil},
	{"BK-3001", "The Divan of Hafez", "دیوان حافظ", "ハーフェズ詩集", "Books", 2450, 0, 300, []crm.ProductOption{engraving}},
	{"BK-3002", "Kokoro", "کوکورو", "こころ", "Books", 1350, 0, 280, nil},
	{"BK-3003", "Pride and Prejudice", "غرور و تعصب", "高慢と偏見", "Books", 990, 0, 500, nil},
	{"BK-3004", "The Blind Owl", "بوف کور", "盲目の梟", "Books", 1100, 0, 8, nil},
	{"TS-4001", "Logo T-shirt", "تی‌شرت لوگو", "ロゴTシャツ", "Clothes", 2200, 2000, 900, []crm.ProductOption{sizes}},
	{"HD-4002", "Hoodie", "هودی", "パーカー", "Clothes", 4900, 2000, 300, []crm.ProductOption{sizes}},
	{"SC-4003", "Silk scarf", "روسری ابریشمی", "シルクスカーフ", "Clothes", 3900, 2000, 120, nil},
	{"MG-5001", "Enamel mug", "ماگ لعابی", "ホーローマグ", "Home", 1450, 2000, 700, []crm.ProductOption{engraving}},
	{"TE-5002", "Saffron tea", "چای زعفرانی", "サフランティー", "Home", 890, 900, 1000, nil},
	{"TE-5003", "Uji matcha", "ماچای اوجی", "宇治抹茶", "Home", 1990, 800, 600, nil},
	{"CN-5004", "Scented candle", "شمع معطر", "アロマキャンドル", "Home", 1750, 2000, 450, nil},
}

// Products returns the demo shop's catalogue.
func (g *Generator) Products() []crm.ProductInput {
	out := make([]crm.ProductInput, len(catalogue))
	for i, p := range catalogue {
		opts := p.options
		if opts == nil {
			opts = []crm.ProductOption{}
		}
		low := int64(20)
		out[i] = crm.ProductInput{SKU: ptr(p.sku), Name: ptr(p.en), Names: map[string]string{"fa": p.fa, "ja": p.ja},
			Category: ptr(p.category), Price: ptr(p.price), Currency: ptr(DemoCurrency), TaxRateBP: ptr(p.tax),
			Stock: ptr(p.stock), LowStock: &low, Options: &opts}
	}
	return out
}

// DemoOrder is one historical order of a demo customer.
type DemoOrder struct {
	At     time.Time
	Status string // the status it ends in
	Lines  []crm.OrderLineInput
}

// Orders returns contact i's orders before now, by lifecycle stage:
// customers mostly bought once (the documents' 65 %), loyal customers
// several times, churned ones once or twice long ago; a few leads
// bought once. Older orders are delivered, the newest may still be on
// their way.
func (g *Generator) Orders(i int, stage string, now time.Time) []DemoOrder {
	r := newRNG(g.seed, i, streamOrder)
	var n, maxAgeDays, minAgeDays int
	switch stage {
	case "customer":
		n, minAgeDays, maxAgeDays = 1, 0, 540
		if r.chance(0.3) {
			n = 2
		}
	case "loyal":
		n, minAgeDays, maxAgeDays = r.between(3, 7), 0, 720
	case "churned":
		n, minAgeDays, maxAgeDays = r.between(1, 2), 240, 720
	case "opportunity", "lead":
		if !r.chance(0.08) {
			return nil
		}
		n, minAgeDays, maxAgeDays = 1, 0, 365
	default:
		return nil
	}
	ages := make([]int, n)
	for k := range ages {
		ages[k] = r.between(minAgeDays, maxAgeDays)
	}
	taste := newRNG(g.seed, i, streamTaste)
	liked := tastes[taste.weighted(tasteWeights)]
	out := make([]DemoOrder, 0, n)
	for k := range n {
		at := now.AddDate(0, 0, -ages[k]).Add(-time.Duration(r.between(0, 36000)) * time.Second)
		o := DemoOrder{At: at, Status: crm.OrderDelivered}
		switch age := ages[k]; {
		case age <= 1:
			o.Status = []string{crm.OrderPending, crm.OrderPaid}[r.intn(2)]
		case age <= 4:
			o.Status = crm.OrderShipped
		case r.chance(0.03):
			o.Status = crm.OrderReturned
		case r.chance(0.03):
			o.Status = crm.OrderCancelled
		}
		for range r.between(1, 3) {
			p := catalogue[r.skewed(len(catalogue))]
			if taste.chance(0.75) {
				p = bySKU(liked[taste.intn(len(liked))])
			}
			li := crm.OrderLineInput{SKU: p.sku, Quantity: int64(r.between(1, 2))}
			for _, opt := range p.options {
				if opt.Type == "select" {
					li.Options = map[string]string{opt.Key: opt.Values[r.intn(len(opt.Values))].Value}
				}
			}
			o.Lines = append(o.Lines, li)
		}
		out = append(out, o)
	}
	return out
}
