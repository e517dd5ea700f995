package transfer

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// orderBatch is how many orders go to the store at a time; the import is
// one transaction whatever the batch size, this only bounds memory.
const orderBatch = 8192

// OrderOptions control an order import.
type OrderOptions struct {
	Format   string // FormatCSV (default) or FormatCDNOW
	Encoding string // CSV only: "" detects
	// Mapping maps order fields (OrderFieldNames) to CSV headers; fields
	// left out are found by their usual header names.
	Mapping map[string]string
	// MinorUnits says unit prices are integers in minor units (cents);
	// by default they are decimals in major units ("12.50").
	MinorUnits bool
	// Currency is used for rows without a currency column (default USD).
	Currency string
	// CustomerSource names the system customer_id values come from
	// (contact_external_ids.source); default "csv".
	CustomerSource string
	// NoTimeline skips the timeline activities of the imported orders.
	NoTimeline bool
}

// OrderReport is the outcome of an order import.
type OrderReport struct {
	Orders          int        `json:"orders"`
	Lines           int        `json:"lines"`
	Skipped         int        `json:"skipped"`
	ContactsCreated int        `json:"contacts_created"`
	ContactsMatched int        `json:"contacts_matched"`
	FactsUpdated    int        `json:"facts_updated"`
	Rejected        []Rejected `json:"rejected"`
}

// ImportOrders imports historical orders from r: all of them in one
// transaction, rejected lines reported. Orders already imported (same
// external id) are skipped, so importing a file twice creates nothing.
func (t *Transfer) ImportOrders(ctx context.Context, r io.Reader, opts OrderOptions) (OrderReport, error) {
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	if opts.CustomerSource == "" {
		opts.CustomerSource = "csv"
	}
	var bad []Rejected
	var orders []crm.HistoricalOrder
	switch opts.Format {
	case FormatCDNOW:
	case "", FormatCSV:
		var err error
		if orders, bad, err = csvOrders(r, opts); err != nil {
			return OrderReport{Rejected: bad}, err
		}
	default:
		return OrderReport{}, crm.Errorf(crm.EINVALID, "unknown order format %q (csv or cdnow)", opts.Format)
	}
	imp, err := t.db.BeginOrderImport(ctx, store.OrderImportOptions{NoTimeline: opts.NoTimeline})
	if err != nil {
		return OrderReport{}, err
	}
	write := func(batch []crm.HistoricalOrder) error { return imp.Write(ctx, batch) }
	if opts.Format == FormatCDNOW {
		bad, err = parseCDNOW(r, write)
	} else {
		for from := 0; from < len(orders) && err == nil; from += orderBatch {
			err = write(orders[from:min(from+orderBatch, len(orders))])
		}
	}
	if err != nil {
		imp.Abort(ctx)
		return OrderReport{Rejected: bad}, err
	}
	res, err := imp.Finish(context.WithoutCancel(ctx))
	rep := OrderReport{Orders: res.Orders, Lines: res.Lines, Skipped: res.Skipped, ContactsCreated: res.ContactsCreated,
		ContactsMatched: res.ContactsMatched, FactsUpdated: res.FactsUpdated, Rejected: bad}
	for _, e := range res.Errors {
		rep.Rejected = append(rep.Rejected, Rejected{Line: e.Line, Field: e.Field, Reason: reason(e.Key, e.Args)})
	}
	slices.SortStableFunc(rep.Rejected, func(a, b Rejected) int { return a.Line - b.Line })
	return rep, err
}

// ImportOrdersFile imports an order file for the command line and prints
// the summary and every rejected line ("line N: field: reason") to out.
func (t *Transfer) ImportOrdersFile(ctx context.Context, path string, opts OrderOptions, out io.Writer) (OrderReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return OrderReport{}, crm.Errorf(crm.EINVALID, "cannot open %s: %v", path, err)
	}
	defer f.Close()
	rep, err := t.ImportOrders(ctx, f, opts)
	for _, r := range rep.Rejected {
		if r.Field == "" {
			fmt.Fprintf(out, "line %d: %s\n", r.Line, r.Reason)
		} else {
			fmt.Fprintf(out, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
		}
	}
	return rep, err
}
