//go:build ignore

// gen_online_retail writes online_retail.csv and online_retail_us.csv: a
// made-up shop's invoice-line export in the shape of the UCI "Online
// Retail" data set (InvoiceNo, StockCode, Description, Quantity,
// InvoiceDate, UnitPrice, CustomerID, Country), with the quirks real
// exports have: cancellations numbered "C…" with negative quantities,
// rows without a customer (guests), customer ids written as numbers
// ("17850.0") next to the same ids as text, a description with a comma,
// a bad-debt adjustment with a negative price, and dates written ISO with
// a space (online_retail.csv) or US month/day/year without seconds
// (online_retail_us.csv), the same rows otherwise. Nothing is downloaded;
// run it with `go run gen_online_retail.go` in this directory.
package main

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

type product struct {
	code, name string
	price      string
}

var products = []product{
	{"85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "2.55"},
	{"71053", "WHITE METAL LANTERN", "3.39"},
	{"84406B", "CREAM CUPID HEARTS COAT HANGER", "2.75"},
	{"84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", "3.39"},
	{"22752", "SET 7 BABUSHKA NESTING BOXES", "7.65"},
	{"21730", "GLASS STAR FROSTED T-LIGHT HOLDER", "4.25"},
	{"22633", "HAND WARMER UNION JACK", "1.85"},
	{"84879", "ASSORTED COLOUR BIRD ORNAMENT", "1.69"},
	{"22745", "POPPY'S PLAYHOUSE BEDROOM", "2.10"},
	{"48187", "DOORMAT, RED RETROSPOT", "7.95"},
	{"22960", "JAM MAKING SET WITH JARS", "4.25"},
	{"21754", "HOME BUILDING BLOCK WORD", "5.95"},
	{"22310", "IVORY KNITTED MUG COSY", "1.65"},
	{"POST", "POSTAGE", "18.00"},
	{"22086", "PAPER CHAIN KIT 50'S CHRISTMAS", "2.95"},
	{"21166", "COOK WITH WINE METAL SIGN", "0.00"},
}

var countries = []string{"United Kingdom", "United Kingdom", "United Kingdom", "France", "EIRE", "Germany", "Norway"}

type row struct {
	invoice string
	p       product
	qty     int
	at      time.Time
	price   string
	cust    string
	country string
}

func main() {
	r := rand.New(rand.NewPCG(2010, 12))
	customers := make([]int, 30)
	for i := range customers {
		customers[i] = 12346 + r.IntN(6000)
	}
	customers[0] = 17850 // the data set's first customer
	var rows []row
	bought := map[int][]row{} // customer → rows bought, for cancellations
	at := time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)
	invoice := 536365
	for range 110 {
		at = at.Add(time.Duration(20+r.IntN(1400)) * time.Minute)
		if at.Hour() > 19 || at.Hour() < 7 {
			at = time.Date(at.Year(), at.Month(), at.Day()+1, 7+r.IntN(3), r.IntN(60), 0, 0, time.UTC)
		}
		guest := r.IntN(7) == 0
		cust := customers[r.IntN(len(customers))]
		country := countries[r.IntN(len(countries))]
		n := 1 + r.IntN(6)
		// A customer's second purchase often comes within the hour.
		if !guest && r.IntN(5) == 0 && len(bought[cust]) > 0 {
			n = 1
		}
		for _, pi := range r.Perm(len(products))[:n] {
			p := products[pi]
			x := row{invoice: fmt.Sprint(invoice), p: p, qty: []int{1, 2, 3, 4, 6, 8, 12, 24}[r.IntN(8)], at: at, price: p.price, country: country}
			if !guest {
				x.cust = custText(r, cust)
				bought[cust] = append(bought[cust], x)
			}
			rows = append(rows, x)
		}
		invoice++
		// Now and then a cancellation: part of something bought before.
		if r.IntN(6) == 0 {
			c := customers[r.IntN(len(customers))]
			if len(bought[c]) == 0 {
				continue
			}
			orig := bought[c][r.IntN(len(bought[c]))]
			at = at.Add(time.Duration(5+r.IntN(300)) * time.Minute)
			rows = append(rows, row{invoice: fmt.Sprintf("C%d", invoice), p: orig.p, qty: -max(1, orig.qty/2), at: at, price: orig.price,
				cust: custText(r, c), country: orig.country})
			invoice++
		}
	}
	// Cancellations of purchases made before the export starts: no sale to
	// link them to.
	rows = append(rows,
		row{invoice: fmt.Sprintf("C%d", invoice), p: products[4], qty: -2, at: at.Add(time.Hour), price: products[4].price, cust: custText(r, customers[1]), country: "United Kingdom"},
		row{invoice: fmt.Sprintf("C%d", invoice+1), p: products[6], qty: -12, at: at.Add(2 * time.Hour), price: products[6].price, cust: "", country: "United Kingdom"},
		// A bad-debt adjustment: a negative price, which no order has.
		row{invoice: fmt.Sprintf("A%d", invoice+2), p: product{"B", "Adjust bad debt", ""}, qty: 1, at: at.Add(3 * time.Hour), price: "-11062.06", country: "United Kingdom"},
	)
	write("online_retail.csv", rows, func(t time.Time) string { return t.Format("2006-01-02 15:04:05") })
	// "12/1/2010 8:26": Go has no layout for an unpadded 24-hour hour.
	write("online_retail_us.csv", rows, func(t time.Time) string { return fmt.Sprintf("%s %d:%02d", t.Format("1/2/2006"), t.Hour(), t.Minute()) })
}

// custText writes a customer id as the export does: as a number half the
// time ("17850.0").
func custText(r *rand.Rand, id int) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("%d.0", id)
	}
	return fmt.Sprint(id)
}

func write(name string, rows []row, date func(time.Time) string) {
	f, err := os.Create(name)
	if err != nil {
		panic(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"})
	for _, x := range rows {
		w.Write([]string{x.invoice, x.p.code, x.p.name, fmt.Sprint(x.qty), date(x.at), x.price, x.cust, x.country})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		panic(err)
	}
	f.Close()
}
