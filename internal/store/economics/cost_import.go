package economics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/store"
)

// en words rejected lines for the CLI and the API.
var en = i18n.Get("en")

// CostColumns are the header names of a cost file; kind, key, date and
// amount are required.
var CostColumns = []string{"kind", "key", "date", "amount", "currency", "per", "note"}

// maxCostLines bounds a cost file: costs are entered per month and
// product, not per order.
const maxCostLines = 200000

type costLine struct {
	line int
	cost crm.Cost
}

// ImportCosts reads a cost CSV. Every line is checked first; a file with
// a rejected line stores nothing. A line whose kind, key, date and
// currency are stored already updates that cost, so importing a file
// twice changes nothing the second time.
func (s *Store) ImportCosts(ctx context.Context, r io.Reader, opts crm.CostImportOptions) (*crm.CostImportReport, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResCosts, crm.Write)); err != nil {
		return nil, err
	}
	if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
		return nil, err
	}
	rep := &crm.CostImportReport{DryRun: opts.DryRun, Rejected: []crm.RejectedLine{}}
	shop := store.DefaultCurrency
	if err := s.db.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&shop); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, s.db.MapErr(err)
	}
	lines, err := readCostFile(r, opts, shop, rep)
	if err != nil {
		return nil, err
	}
	if len(rep.Rejected) > 0 {
		return rep, nil
	}
	apply := func(ctx context.Context, q store.Queryer, tx *store.Tx) error {
		for _, l := range lines {
			c := l.cost
			old, err := scanCost(q.QueryRowContext(ctx, `SELECT `+costCols+` FROM costs WHERE kind = $1 AND key = $2 AND day = $3 AND currency = $4`,
				c.Kind, c.Key, crm.CostDay(&c), c.Currency))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				rep.Created++
				if tx != nil {
					if err := insertCost(ctx, tx, &c); err != nil {
						return err
					}
					if err := tx.Audit(ctx, "import", "cost", c.ID, nil, &c); err != nil {
						return err
					}
				}
			case err != nil:
				return err
			case old.Amount == c.Amount && old.Per == c.Per && old.Note == c.Note:
				rep.Unchanged++
			default:
				rep.Updated++
				if tx != nil {
					c.ID, c.Created = old.ID, old.Created
					if err := updateCost(ctx, tx, &c); err != nil {
						return err
					}
					if err := tx.Audit(ctx, "import", "cost", c.ID, old, &c); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if opts.DryRun {
		if err := apply(ctx, s.db.Read(), nil); err != nil {
			return nil, s.db.MapErr(err)
		}
		return rep, nil
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		rep.Created, rep.Updated, rep.Unchanged = 0, 0, 0
		return apply(ctx, tx, tx)
	})
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	return rep, nil
}

// readCostFile parses and validates every line, rejecting by line and
// field (the header is line 1).
func readCostFile(r io.Reader, opts crm.CostImportOptions, shop string, rep *crm.CostImportReport) ([]costLine, error) {
	cr, err := csvx.NewReader(r, opts.Encoding)
	if err != nil {
		return nil, &crm.Error{Code: crm.EINVALID, Message: err.Error(), Fields: []crm.FieldError{{Field: "encoding", Key: "invalid_choice"}}}
	}
	reject := func(line int, field, key string, args ...any) {
		reason := en.FieldError(crm.FieldError{Key: key, Args: args})
		rep.Rejected = append(rep.Rejected, crm.RejectedLine{Line: line, Field: field, Reason: reason, Key: key, Args: args})
	}
	header, _, err := cr.Read()
	if err == io.EOF {
		return nil, &crm.Error{Code: crm.EINVALID, Message: "the file is empty", Fields: []crm.FieldError{{Field: "file", Key: "required"}}}
	}
	if err != nil {
		return nil, &crm.Error{Code: crm.EINVALID, Message: err.Error(), Fields: []crm.FieldError{{Field: "file", Key: "invalid_value"}}}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		for _, name := range CostColumns {
			if h == name {
				col[name] = i
			}
		}
	}
	var missing []string
	for _, name := range CostColumns[:4] {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &crm.Error{Code: crm.EINVALID, Message: "the header lacks " + strings.Join(missing, ", ") + " (columns: " + strings.Join(CostColumns, ",") + ")",
			Fields: []crm.FieldError{{Field: missing[0], Key: "required"}}}
	}
	seen := map[string]int{}
	var out []costLine
	for {
		rec, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		var le *csvx.LineError
		if errors.As(err, &le) && !le.Fatal() {
			rep.FileLines++
			rep.Rejected = append(rep.Rejected, crm.RejectedLine{Line: le.Line, Reason: le.Msg, Key: "invalid_line"})
			continue
		}
		if err != nil {
			return nil, &crm.Error{Code: crm.EINVALID, Message: err.Error(), Fields: []crm.FieldError{{Field: "file", Key: "invalid_value"}}}
		}
		rep.FileLines++
		if rep.FileLines > maxCostLines {
			return nil, crm.Errorf(crm.ETOOLARGE, "a cost file has at most %d lines", maxCostLines)
		}
		get := func(name string) (string, bool) {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return "", false
			}
			return strings.TrimSpace(rec[i]), true
		}
		blank := true
		for _, v := range rec {
			blank = blank && strings.TrimSpace(v) == ""
		}
		if blank {
			rep.FileLines--
			continue
		}
		in := crm.CostInput{}
		kind, _ := get("kind")
		key, _ := get("key")
		date, _ := get("date")
		in.Kind, in.Key, in.Date = &kind, &key, &date
		cur := shop
		if v, ok := get("currency"); ok && v != "" {
			cur = v
		}
		in.Currency = &cur
		if v, ok := get("note"); ok {
			in.Note = &v
		}
		bad := false
		if v, ok := get("per"); ok && v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				reject(line, "per", "invalid_number")
				bad = true
			}
			in.Per = &n
		}
		amount, _ := get("amount")
		digits := 2
		if c, ok := crm.NormalizeCurrency(cur); ok {
			digits = crm.CurrencyDigits(c)
		}
		var minor int64
		var ok bool
		if opts.MinorUnits {
			var err error
			minor, err = strconv.ParseInt(amount, 10, 64)
			ok = err == nil
		} else {
			minor, ok = parseMinor(amount, digits)
		}
		if !ok {
			reject(line, "amount", "invalid_number")
			bad = true
		}
		in.Amount = &minor
		var c crm.Cost
		if err := crm.ApplyCost(&c, in, shop); err != nil {
			for _, fe := range crm.FieldErrors(err) {
				if fe.Field == "amount" && bad {
					continue
				}
				reject(line, fe.Field, fe.Key, fe.Args...)
			}
			continue
		}
		if bad {
			continue
		}
		k := fmt.Sprintf("%s\x00%s\x00%s\x00%s", c.Kind, c.Key, c.Date, c.Currency)
		if first, dup := seen[k]; dup {
			reject(line, "date", "duplicate_of_line", first)
			continue
		}
		seen[k] = line
		out = append(out, costLine{line, c})
	}
	return out, nil
}

// parseMinor parses a decimal amount in major units ("12.5", "1234.56")
// into minor units with digits decimals, exactly.
func parseMinor(s string, digits int) (int64, bool) {
	whole, frac, hasDot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" {
		whole = "0"
	}
	isDigits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if s == "" || !isDigits(whole) || !isDigits(frac) || len(whole) > 15 || (hasDot && frac == "") {
		return 0, false
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	return v, err == nil
}
