package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/wire"
)

const importOrdersUsage = "usage: ecrm import orders FILE [--format csv|cdnow] [--map field=Header,…] [--minor-units] [--currency USD] [--source NAME] [--encoding …] [--timeline]" +
	" [--date-format iso|mdy|dmy|LAYOUT] [--tz ZONE] [--max-rejects N|N%]"

// errNothingImported is the exit of an import that stored no order and
// found none already stored: a script must not read it as success.
var errNothingImported = errors.New("nothing was imported: the file has no order that could be read")

// runImportOrders imports historical orders: a CDNOW file or a generic
// CSV whose columns are found by header name or mapped with --map.
func runImportOrders(ctx context.Context, env Env, args []string) error {
	c := newFlags("import orders", env)
	format := c.fs.String("format", "csv", "file format: csv or cdnow")
	mapping := c.fs.String("map", "", "column mapping field=Header,… (fields: "+strings.Join(store.OrderFieldNames, ", ")+")")
	minor := c.fs.Bool("minor-units", false, "unit prices are integers in minor units (cents), not decimals such as 12.50")
	currency := c.fs.String("currency", "", "currency of rows without a currency column (default: the shop currency)")
	source := c.fs.String("source", "csv", "system the customer_id column comes from (external ids)")
	enc := c.fs.String("encoding", "", "CSV encoding: utf-8, shift_jis or windows-1256 (default: detect)")
	timeline := c.fs.Bool("timeline", false, "also put every order on its customer's timeline (slower; the contact page lists purchases anyway)")
	dateFormat := c.fs.String("date-format", "", "how the CSV's dates are written: iso, mdy, dmy or a Go layout (default: detect, refusing a file whose day/month order cannot be told). Accepted: "+store.DateFormatsHelp)
	tz := c.fs.String("tz", "UTC", "IANA time zone of dates written without an offset, such as Europe/London")
	maxRejects := c.fs.String("max-rejects", "", "store nothing when more lines than this are rejected: a count (100) or a share of the file's lines (5%); default "+crm.DefaultMaxRejects)
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
		return usageError("%s", importOrdersUsage)
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
	// Through wire: an import requests the jobs that depend on orders.
	rep, err := wire.Services(db).OrderImports.ImportOrders(system(ctx), f, crm.OrderFileOptions{Format: *format, Encoding: *enc, Mapping: m,
		MinorUnits: *minor, Currency: *currency, CustomerSource: *source, Timeline: *timeline,
		DateFormat: *dateFormat, TimeZone: *tz, MaxRejects: *maxRejects})
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
	for _, w := range rep.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	// Lines, not reasons: a line with two problems is listed twice above
	// and counted once.
	fmt.Fprintf(env.Stdout, "imported orders: %d orders (%d lines), %d skipped as already imported, %d of %d lines rejected; %d contacts created, %d matched\n",
		rep.Orders, rep.Lines, rep.Skipped, rep.RejectedLines, rep.FileLines, rep.ContactsCreated, rep.ContactsMatched)
	if rep.Credits > 0 || rep.Guests > 0 {
		fmt.Fprintf(env.Stdout, "of the orders: %d credit notes (cancellations and returns, %d linked to their sale), %d guest orders (no customer)\n",
			rep.Credits, rep.CreditsLinked, rep.Guests)
	}
	if rep.Orders == 0 && rep.Skipped == 0 {
		return errNothingImported
	}
	return nil
}
