package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/store"
)

// chunk is the rows read from the file for one store batch, with the line
// each came from and the lines that could not be read.
type chunk struct {
	contacts  []crm.ContactInput
	companies []crm.CompanyInput
	names     []string // company name per contact row
	lines     []int
	bad       []Rejected
	prepared  *store.Batch
}

// ImportCSV imports contacts or companies from a CSV file. mapping maps
// header → field (see ContactFields, CompanyFields, "custom.<key>");
// unmapped columns are ignored. The file streams through in batches: at
// most two batches of rows are in memory, one being validated while the
// previous one is written. Lines that cannot be read (broken quoting,
// bytes invalid in the encoding) are rejected and reading goes on; if the
// file cannot be read any further, the rest is rejected with the reason.
func (t *Transfer) ImportCSV(ctx context.Context, entity string, r io.Reader, enc string, mapping map[string]string, dedupe string) (Report, error) {
	var rep Report
	if err := checkMapping(entity, mapping); err != nil {
		return rep, err
	}
	cr, err := csvx.NewReader(r, enc)
	if err != nil {
		return rep, crm.Errorf(crm.EINVALID, "%v", err)
	}
	header, _, err := cr.Read()
	if err == io.EOF {
		return rep, crm.Errorf(crm.EINVALID, "the file is empty")
	}
	if err != nil {
		return rep, readError("cannot read the header: ", err)
	}
	plan := make([]string, len(header)) // column → field
	for i, h := range header {
		plan[i] = mapping[h]
	}
	if entity == EntityCompany {
		return t.importCompanies(ctx, cr, plan, dedupe)
	}
	imp, err := t.db.BeginContactImport(ctx, store.ImportOptions{Dedupe: dedupe, CompanyByName: slices.Contains(plan, "company")})
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The reader goroutine parses and validates the next batch while this
	// one writes the previous: on two cores validation (phone parsing) and
	// SQLite's insert take about the same time.
	chunks := make(chan *chunk, 1)
	go func() {
		defer close(chunks)
		readChunks(ctx, cr, EntityContact, plan, func(c *chunk) bool {
			c.prepared = imp.Prepare(c.contacts, c.names)
			select {
			case chunks <- c:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	offset := 0
	var lines []int
	var bad []Rejected
	for c := range chunks {
		if err == nil {
			err = imp.Write(ctx, c.prepared, offset)
		}
		if err != nil {
			cancel() // stop the reader; drain what it already sent
			continue
		}
		offset += len(c.contacts)
		lines = append(lines, c.lines...)
		bad = append(bad, c.bad...)
		imp.AddUnreadable(len(c.bad))
	}
	if ferr := imp.Finish(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	return report(imp.Result(), lines, bad), err
}

// report turns store row errors (by index) into rejected lines.
func report(res store.ImportResult, lines []int, bad []Rejected) Report {
	rep := Report{Created: res.Created, Updated: res.Updated, Skipped: res.Skipped, Rejected: bad}
	for _, e := range res.Errors {
		rep.Rejected = append(rep.Rejected, Rejected{Line: lines[e.Index], Field: e.Field, Reason: reason(e.Key, e.Args)})
	}
	slices.SortStableFunc(rep.Rejected, func(a, b Rejected) int { return a.Line - b.Line })
	return rep
}

// readChunks reads records into chunks of store.ImportBatch rows and hands
// each to emit, stopping when emit returns false.
func readChunks(ctx context.Context, cr *csvx.Reader, entity string, plan []string, emit func(*chunk) bool) {
	company := slices.Contains(plan, "company")
	isCompany := entity == EntityCompany
	c := &chunk{}
	for ctx.Err() == nil {
		rec, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		var le *csvx.LineError
		if errors.As(err, &le) {
			c.bad = append(c.bad, Rejected{Line: le.Line, Reason: lineReason(le)})
			if le.Fatal() {
				break
			}
			continue
		}
		if err != nil {
			c.bad = append(c.bad, Rejected{Line: line, Reason: err.Error()})
			break
		}
		c.lines = append(c.lines, line)
		if isCompany {
			c.companies = append(c.companies, companyRow(rec, plan))
		} else {
			in, name := contactRow(rec, plan)
			c.contacts = append(c.contacts, in)
			if company {
				c.names = append(c.names, name)
			}
		}
		if len(c.lines) == store.ImportBatch {
			if !emit(c) {
				return
			}
			c = &chunk{}
		}
	}
	if len(c.lines) > 0 || len(c.bad) > 0 {
		emit(c)
	}
}

// lineReason words a CSV reading error in English, adding for a fatal one
// that nothing after it was imported.
func lineReason(le *csvx.LineError) string {
	msg := lineText(le)
	if le.Fatal() {
		msg += " The rest of the file was not imported."
	}
	return msg
}

func lineText(le *csvx.LineError) string {
	if en.Has(le.Key) {
		return en.T(le.Key)
	}
	return le.Msg
}

// readError is the error a reader gives up with when the file cannot be
// read: at its header, or in the preview at a fatal error. It names the
// line in its message (for the command line and logs) and in a field
// error the console shows in the reader's language (error.csv_*).
func readError(what string, err error) error {
	var le *csvx.LineError
	if !errors.As(err, &le) {
		return crm.Errorf(crm.EINVALID, "%s%v", what, err)
	}
	return &crm.Error{Code: crm.EINVALID, Message: fmt.Sprintf("%sline %d: %s", what, le.Line, lineText(le)),
		Fields: []crm.FieldError{{Field: "file", Key: "csv_" + strings.TrimPrefix(le.Key, "csv.error."), Args: []any{le.Line}}}}
}

// cell returns a value as read back from a spreadsheet: trimmed, with the
// quote ecrm's own exports put before formula characters removed.
func cell(s string) string { return csvx.Unneutralize(strings.TrimSpace(s)) }

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' })
}

func parseID(s string) *int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		bad := int64(-1) // rejected by the store as a missing record
		return &bad
	}
	return &id
}

// contactRow builds the input of one record. Empty cells are "not given",
// so an update import never clears a field by leaving it blank.
func contactRow(rec []string, plan []string) (crm.ContactInput, string) {
	var in crm.ContactInput
	var company string
	for i, f := range plan {
		if f == "" || i >= len(rec) {
			continue
		}
		v := cell(rec[i])
		if v == "" {
			continue
		}
		p := &v
		switch f {
		case "first_name":
			in.FirstName = p
		case "last_name":
			in.LastName = p
		case "email":
			in.Email = p
		case "phone":
			in.Phone = p
		case "emails":
			l := splitList(v)
			in.Emails = &l
		case "phones":
			l := splitList(v)
			in.Phones = &l
		case "company":
			company = v
		case "company_id":
			in.CompanyID = parseID(v)
		case "title":
			in.Title = p
		case "street":
			in.Street = p
		case "city":
			in.City = p
		case "region":
			in.Region = p
		case "postal_code":
			in.PostalCode = p
		case "country":
			in.Country = p
		case "birth_date":
			in.BirthDate = p
		case "language":
			in.Language = p
		case "stage":
			in.Stage = p
		case "source":
			in.Source = p
		case "tags":
			l := splitList(v)
			in.Tags = &l
		case "owner_id":
			in.OwnerID = parseID(v)
		default:
			if in.Custom == nil {
				in.Custom = map[string]any{}
			}
			in.Custom[strings.TrimPrefix(f, "custom.")] = v
		}
	}
	return in, company
}

func companyRow(rec []string, plan []string) crm.CompanyInput {
	var in crm.CompanyInput
	for i, f := range plan {
		if f == "" || i >= len(rec) {
			continue
		}
		v := cell(rec[i])
		if v == "" {
			continue
		}
		p := &v
		switch f {
		case "name":
			in.Name = p
		case "domain":
			in.Domain = p
		case "industry":
			in.Industry = p
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil {
				n = -1 // out_of_range
			}
			in.Size = &n
		case "phone":
			in.Phone = p
		case "street":
			in.Street = p
		case "city":
			in.City = p
		case "region":
			in.Region = p
		case "country":
			in.Country = p
		case "tags":
			l := splitList(v)
			in.Tags = &l
		case "owner_id":
			in.OwnerID = parseID(v)
		default:
			if in.Custom == nil {
				in.Custom = map[string]any{}
			}
			in.Custom[strings.TrimPrefix(f, "custom.")] = v
		}
	}
	return in
}

// importCompanies reads the whole company file batch by batch through the
// store's company import; company files are small, so no pipeline.
func (t *Transfer) importCompanies(ctx context.Context, cr *csvx.Reader, plan []string, dedupe string) (Report, error) {
	var rows []crm.CompanyInput
	var lines []int
	var bad []Rejected
	readChunks(ctx, cr, EntityCompany, plan, func(c *chunk) bool {
		rows = append(rows, c.companies...)
		lines = append(lines, c.lines...)
		bad = append(bad, c.bad...)
		return true
	})
	res, err := t.db.ImportCompanies(ctx, rows, store.ImportOptions{Dedupe: dedupe, Unreadable: len(bad)})
	return report(res, lines, bad), err
}
