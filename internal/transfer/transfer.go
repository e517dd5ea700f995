// Package transfer moves data in and out of ecrm: CSV import with a column
// mapping, deduplication and a report of rejected lines; CSV export of
// contact and company lists; and the full export (a directory or zip of
// every table) with its restore into an empty database.
package transfer

import (
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/store"
)

// Transfer does imports and exports over the services of one store. The
// list export goes through the services, so it sees what the caller may
// see; bulk import and the full export use the store's bulk paths.
type Transfer struct {
	svc *crm.Services
	db  *store.DB
}

// New returns a Transfer.
func New(svc *crm.Services, db *store.DB) *Transfer {
	return &Transfer{svc: svc, db: db}
}

// Report is the outcome of an import. Rejected lists every line that was
// not stored, once per problem, in line order.
type Report struct {
	Created, Updated, Skipped int
	Rejected                  []Rejected
}

// RejectedLines counts the lines of Rejected: a line with two problems
// is listed twice and counted once.
func (r Report) RejectedLines() int {
	n, last := 0, -1
	for _, x := range r.Rejected {
		if x.Line != last {
			n++
			last = x.Line
		}
	}
	return n
}

// Rejected is one problem with one line: Line is the physical line of the
// file where the record starts (the header is line 1), Field the ecrm
// field ("" for a line that could not be read) and Reason an English
// sentence from the message catalogue.
type Rejected struct {
	Line   int
	Field  string
	Reason string
}

// en words rejection reasons: reports are read by whoever runs the import,
// and English is the catalogue's complete language.
var en = i18n.Get("en")

func reason(key string, args []any) string {
	return en.FieldError(crm.FieldError{Key: key, Args: args})
}
