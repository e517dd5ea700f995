package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

const importOrdersUsage = "usage: ecrm import orders FILE [--format csv|cdnow] [--map field=Header,…] [--minor-units] [--currency USD] [--source NAME] [--encoding …] [--timeline]"

// runImportOrders imports historical orders: a CDNOW file or a generic
// CSV whose columns are found by header name or mapped with --map.
func runImportOrders(ctx context.Context, env Env, args []string) error {
	c := newFlags("import orders", env)
	format := c.fs.String("format", "csv", "file format: csv or cdnow")
	mapping := c.fs.String("map", "", "column mapping field=Header,… (fields: "+strings.Join(store.OrderFieldNames, ", ")+")")
	minor := c.fs.Bool("minor-units", false, "unit prices are integers in minor units (cents), not decimals such as 12.50")
	currency := c.fs.String("currency", "USD", "currency of rows without a currency column")
	source := c.fs.String("source", "csv", "system the customer_id column comes from (external ids)")
	enc := c.fs.String("encoding", "", "CSV encoding: utf-8, shift_jis or windows-1256 (default: detect)")
	timeline := c.fs.Bool("timeline", false, "also put every order on its customer's timeline (slower; the contact page lists purchases anyway)")
	// Flags may come before or after FILE (the usage puts them after).
	var files []string
	for {
		if err := c.parse(args); err != nil {
			return err
		}
		if c.fs.NArg() == 0 {
			break
		}
		files = append(files, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageError(importOrdersUsage)
	}
	if *format != crm.OrderFormatCSV && *format != crm.OrderFormatCDNOW {
		return usageError("--format must be csv or cdnow, not %q", *format)
	}
	m := map[string]string{}
	for _, pair := range strings.Split(*mapping, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, header, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(field) == "" || strings.TrimSpace(header) == "" {
			return usageError("--map takes field=Header pairs separated by commas, not %q", pair)
		}
		m[strings.TrimSpace(field)] = strings.TrimSpace(header)
	}
	cfg, err := c.resolve(env)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", files[0], err)
	}
	defer f.Close()
	rep, err := db.ImportOrders(system(ctx), f, crm.OrderFileOptions{Format: *format, Encoding: *enc, Mapping: m,
		MinorUnits: *minor, Currency: *currency, CustomerSource: *source, Timeline: *timeline})
	if rep != nil {
		for _, r := range rep.Rejected {
			if r.Field == "" {
				fmt.Fprintf(env.Stderr, "line %d: %s\n", r.Line, r.Reason)
			} else {
				fmt.Fprintf(env.Stderr, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
			}
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported orders: %d orders (%d lines), %d skipped as already imported, %d lines rejected; %d contacts created, %d matched\n",
		rep.Orders, rep.Lines, rep.Skipped, len(rep.Rejected), rep.ContactsCreated, rep.ContactsMatched)
	return nil
}
