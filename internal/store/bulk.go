package store

import (
	"cmp"
	"context"
	"encoding/json"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Dedupe modes of an import: what happens to a row whose email belongs to
// a contact that already exists or to an earlier row of the same import.
const (
	DedupeSkip   = "skip"   // keep the existing contact, drop the row
	DedupeUpdate = "update" // apply the row's fields to the existing contact
	DedupeCreate = "create" // create another contact anyway
)

// ImportOptions control an import.
type ImportOptions struct {
	// Dedupe is DedupeSkip (the default when empty), DedupeUpdate or DedupeCreate.
	Dedupe string
	// CompanyByName creates the companies rows name that do not exist yet;
	// without it a row naming an unknown company is rejected.
	CompanyByName bool
	// CompanyNames holds, for ImportContacts, the company name of each row
	// ("" for none), matched case-insensitively against company names.
	CompanyNames []string
	// Unreadable counts, for ImportCompanies, the lines of the file the
	// caller could not read into rows: rejected too, so the audit entry
	// counts them with the rows the store rejected.
	Unreadable int
}

// RowError rejects one row: Index is the row's position in the slice
// given to the import; Field and Key are those of crm.FieldError so the
// caller can word the reason in the user's language.
type RowError struct {
	Index int
	Field string
	Key   string
	Args  []any
}

// ImportResult counts what an import did. A row is created, updated,
// skipped (a duplicate under DedupeSkip) or rejected (listed in Errors,
// once per invalid field).
type ImportResult struct {
	Created, Updated, Skipped int
	Errors                    []RowError
}

// Rejected counts the distinct rows in Errors.
func (r ImportResult) Rejected() int {
	n, last := 0, -1
	for _, e := range r.Errors {
		if e.Index != last {
			n++
			last = e.Index
		}
	}
	return n
}

func (r *ImportResult) add(o ImportResult, offset int) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Skipped += o.Skipped
	for _, e := range o.Errors {
		e.Index += offset
		r.Errors = append(r.Errors, e)
	}
}

// ImportContacts validates rows and stores the valid ones in batches; see
// ContactImport for the streaming form that files of any size need.
func (db *DB) ImportContacts(ctx context.Context, rows []crm.ContactInput, opts ImportOptions) (ImportResult, error) {
	imp, err := db.BeginContactImport(ctx, opts)
	if err != nil {
		return ImportResult{}, err
	}
	batch := db.importBatchRows()
	for from := 0; from < len(rows); from += batch {
		to := min(from+batch, len(rows))
		var names []string
		if opts.CompanyNames != nil {
			names = opts.CompanyNames[from:to]
		}
		if err := imp.Write(ctx, imp.Prepare(rows[from:to], names), from); err != nil {
			imp.Finish(ctx)
			return imp.Result(), err
		}
	}
	return imp.Result(), imp.Finish(ctx)
}

// ImportBatch is how many rows go into one transaction: large enough that
// commits do not dominate, small enough that the SQLite write lock is
// released often for the console's own writes.
const ImportBatch = 8192

func (db *DB) importBatchRows() int {
	if db.importBatch > 0 {
		return db.importBatch
	}
	return ImportBatch
}

// ContactImport is one import in progress. Prepare validates a batch and
// touches no database, so callers may run it on several goroutines while
// Write stores the previous batch; Write must be called in row order
// (dedupe keeps the first row of an email) from one goroutine at a time.
type ContactImport struct {
	db      *DB
	actor   *crm.Actor
	opts    ImportOptions
	defs    []*crm.CustomField
	checkDB bool // contacts existed before: every email is looked up

	mu        sync.Mutex
	seed      maphash.Seed
	seen      map[uint64]struct{} // hashes of the emails this import stored
	companies map[string]int64    // lower-case name → id
	res       ImportResult

	companiesCreated int
	unreadable       int // lines the caller could not read (AddUnreadable)

	decided bool // whether to rebuild was decided at the first Write
	// events: every contact written so far was announced by its own
	// webhook event, which only a one-batch import of at most
	// crm.ImportEventLimit changes does (see crm.ContactImportSummary).
	events  bool
	started time.Time
	bulk    *bulkSession // the rebuild transaction, if any (bulk_rebuild.go)
	aborted bool         // a rebuild import failed: nothing was stored
}

// BeginContactImport authorises an import and reads what every batch
// needs. Finish must be called to write the audit entry.
func (db *DB) BeginContactImport(ctx context.Context, opts ImportOptions) (*ContactImport, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
		return nil, err
	}
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return nil, err
	}
	switch opts.Dedupe {
	case "":
		opts.Dedupe = DedupeSkip
	case DedupeSkip, DedupeUpdate, DedupeCreate:
	default:
		var v crm.Validation
		v.Add("dedupe", "invalid_choice")
		return nil, v.Err()
	}
	if opts.CompanyByName && !a.Can(crm.P(crm.ResCompanies, crm.Write)) {
		return nil, crm.Errorf(crm.EFORBIDDEN, "you do not have permission %s", crm.P(crm.ResCompanies, crm.Write))
	}
	defs, err := db.customFields(ctx, db.read, "contact")
	if err != nil {
		return nil, err
	}
	var any int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM contacts LIMIT 1) x`).Scan(&any); err != nil {
		return nil, db.mapErr(err)
	}
	return &ContactImport{db: db, actor: a, opts: opts, defs: defs, checkDB: any > 0, started: db.Now().UTC().Truncate(time.Millisecond), events: true,
		seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, companies: map[string]int64{}}, nil
}

// Batch is a validated slice of rows, ready for Write.
type Batch struct {
	n        int
	contacts []pendingContact
	errs     []RowError
}

type pendingContact struct {
	index   int // row in the batch
	c       crm.Contact
	in      crm.ContactInput // kept for DedupeUpdate of an existing contact
	company string
	// companyChecked: the company named by the row was found or created
	// in the transaction that stores it, so it is known to exist.
	companyChecked bool
}

// Prepare validates rows (companies[i] is row i's company name, or nil)
// and turns the valid ones into contacts. It spreads the work over the
// CPUs: phone parsing makes validation cost as much as the insert.
func (imp *ContactImport) Prepare(rows []crm.ContactInput, companies []string) *Batch {
	b := &Batch{n: len(rows), contacts: make([]pendingContact, len(rows))}
	ok := make([]bool, len(rows))
	errs := make([][]crm.FieldError, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/512))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				in := rows[i]
				if err := in.Validate(true, imp.defs); err != nil {
					errs[i] = crm.FieldErrors(err)
					if errs[i] == nil {
						errs[i] = []crm.FieldError{{Field: "", Key: "invalid_value"}}
					}
					continue
				}
				if in.OwnerID != nil && imp.actor.Restricted() && *in.OwnerID != imp.actor.UserID {
					errs[i] = []crm.FieldError{{Field: "owner_id", Key: "cannot_assign"}}
					continue
				}
				p := &b.contacts[i]
				p.index, p.in = i, in
				applyContactInput(&p.c, &in)
				if in.OwnerID == nil && imp.actor.UserID != 0 {
					p.c.OwnerID = &imp.actor.UserID
				}
				if companies != nil {
					p.company = strings.TrimSpace(companies[i])
				}
				ok[i] = true
			}
		})
	}
	wg.Wait()
	kept := b.contacts[:0]
	for i := range rows {
		if ok[i] {
			kept = append(kept, b.contacts[i])
			continue
		}
		for _, fe := range errs[i] {
			b.errs = append(b.errs, RowError{Index: i, Field: fe.Field, Key: fe.Key, Args: fe.Args})
		}
	}
	b.contacts = kept
	return b
}

// Write stores a prepared batch in one transaction; offset is added to the
// row indexes in the result's errors. On error nothing of the batch is
// stored and the import should stop.
//
// On SQLite, when the first batch is full (the import is large) and the
// contacts table small, the whole import becomes one transaction that
// rebuilds the indexes in Finish (see bulk_rebuild.go): then an error
// stores nothing of the import, and rows are committed only by Finish.
func (imp *ContactImport) Write(ctx context.Context, b *Batch, offset int) error {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	if imp.aborted {
		return crm.Errorf(crm.ECONFLICT, "the import has failed")
	}
	if imp.decided {
		// A second batch: the import is large, later contacts are
		// announced by the summary only.
		imp.events = false
	} else {
		imp.decided = true
		imp.events = b.n < imp.db.importBatchRows()
		if imp.db.dialect.name() == "sqlite" && b.n >= imp.db.importBatchRows() {
			s, err := imp.startBulk(ctx)
			if err != nil {
				return err
			}
			imp.bulk = s
		}
	}
	var w batchWrite
	body := func(tx *bulkTx) error { return imp.writeBatch(ctx, tx, b, &w) }
	if imp.bulk == nil {
		if err := imp.db.inBulkTx(ctx, body); err != nil {
			return err
		}
		for _, h := range w.hashes {
			imp.seen[h] = struct{}{}
		}
	} else {
		if err := body(imp.bulk.tx); err != nil {
			imp.abort(ctx)
			return imp.db.mapErr(err)
		}
		imp.bulk.stored(w.fresh)
	}
	for name, id := range w.companies {
		imp.companies[name] = id
	}
	imp.companiesCreated += w.created
	imp.res.add(w.res, offset)
	return nil
}

// abort rolls a rebuild import back: the counts so far were never stored.
func (imp *ContactImport) abort(ctx context.Context) {
	imp.bulk.tx.end(ctx, false)
	imp.bulk, imp.aborted = nil, true
	imp.res.Created, imp.res.Updated, imp.res.Skipped = 0, 0, 0
	imp.companiesCreated = 0
	clear(imp.companies)
}

// batchWrite is what writing one batch did, applied to the import once
// the batch is stored.
type batchWrite struct {
	res       ImportResult
	fresh     []*crm.Contact
	updated   []int64 // existing contacts the batch changed
	hashes    []uint64
	companies map[string]int64
	created   int
}

func (imp *ContactImport) writeBatch(ctx context.Context, tx *bulkTx, b *Batch, w *batchWrite) error {
	*w = batchWrite{res: ImportResult{Errors: b.errs}}
	res := &w.res
	rejected, resolved, n, err := imp.resolveCompanies(ctx, tx.Tx, b)
	w.companies, w.created = resolved, n
	if err != nil {
		return err
	}
	res.Errors = append(res.Errors, rejected...)
	if rejected, err = imp.checkRefs(ctx, tx.Tx, b); err != nil {
		return err
	}
	res.Errors = append(res.Errors, rejected...)
	existing, err := imp.existing(ctx, tx.Tx, b)
	if err != nil {
		return err
	}
	inBatch := map[string]*crm.Contact{}
	for i := range b.contacts {
		p := &b.contacts[i]
		if p.index < 0 { // rejected by resolveCompanies
			continue
		}
		c := &p.c
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		email := c.Email
		if imp.opts.Dedupe == DedupeCreate || email == "" {
			w.fresh = append(w.fresh, c)
			continue
		}
		if prev, ok := inBatch[email]; ok {
			if imp.opts.Dedupe == DedupeUpdate {
				in := p.in
				if p.c.CompanyID != nil {
					in.CompanyID = p.c.CompanyID
				}
				applyContactInput(prev, &in)
				res.Updated++
			} else {
				res.Skipped++
			}
			continue
		}
		if id, ok := existing[email]; ok {
			if imp.opts.Dedupe == DedupeUpdate {
				if err := imp.update(ctx, tx.Tx, id, p); err != nil {
					return err
				}
				w.updated = append(w.updated, id)
				res.Updated++
			} else {
				res.Skipped++
			}
			continue
		}
		inBatch[email] = c
		w.fresh = append(w.fresh, c)
		for _, e := range contactEmails(c) {
			w.hashes = append(w.hashes, maphash.String(imp.seed, e))
		}
	}
	if err := tx.insertContacts(ctx, w.fresh); err != nil {
		return err
	}
	res.Created = len(w.fresh)
	if imp.events {
		if len(w.fresh)+len(w.updated) > crm.ImportEventLimit {
			imp.events = false
		} else if err := imp.announce(ctx, tx.Tx, w); err != nil {
			return err
		}
	}
	slices.SortStableFunc(res.Errors, func(a, b RowError) int { return a.Index - b.Index })
	return nil
}

// announce sends contact.created and contact.updated for the contacts a
// batch wrote, in its transaction, like single creations and edits do.
func (imp *ContactImport) announce(ctx context.Context, tx *Tx, w *batchWrite) error {
	for _, c := range w.fresh {
		id := c.ID
		if err := tx.emit(ctx, crm.EventContactCreated, func() (any, error) { return imp.db.findContact(ctx, tx, crm.SystemActor, id) }); err != nil {
			return err
		}
	}
	for _, id := range w.updated {
		if err := tx.emit(ctx, crm.EventContactUpdated, func() (any, error) { return imp.db.findContact(ctx, tx, crm.SystemActor, id) }); err != nil {
			return err
		}
	}
	return nil
}

// update applies a row to an existing contact, as UpdateContact would,
// without an audit entry per row (the import has one).
func (imp *ContactImport) update(ctx context.Context, tx *Tx, id int64, p *pendingContact) error {
	before, err := imp.db.findContact(ctx, tx, imp.actor, id)
	if err != nil {
		return err
	}
	c := *before
	c.Custom = maps(before.Custom)
	in := p.in
	if p.c.CompanyID != nil {
		in.CompanyID = p.c.CompanyID
	}
	if in.OwnerID == nil {
		in.OwnerID = before.OwnerID // an import does not take contacts over
	}
	applyContactInput(&c, &in)
	c.UpdatedAt = tx.now
	return tx.updateContactRow(ctx, &c)
}

// Result returns the counts so far.
func (imp *ContactImport) Result() ImportResult {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	return imp.res
}

// AddUnreadable counts lines of the file that the caller could not read
// into rows (broken quoting, bad bytes): they are rejected lines too, and
// the audit entry counts them.
func (imp *ContactImport) AddUnreadable(n int) {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	imp.unreadable += n
}

// Finish records the import in the audit log with its counts: one entry,
// not one per row, so a million-row import does not double the log. A
// rebuild import builds its indexes and commits here.
func (imp *ContactImport) Finish(ctx context.Context) error {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	summary, _ := json.Marshal(map[string]any{"created": imp.res.Created, "updated": imp.res.Updated,
		"skipped": imp.res.Skipped, "rejected": imp.res.Rejected() + imp.unreadable, "dedupe": imp.opts.Dedupe,
		"companies_created": imp.companiesCreated})
	event := &crm.ContactImportSummary{Created: imp.res.Created, Updated: imp.res.Updated, Skipped: imp.res.Skipped,
		Rejected: imp.res.Rejected(), Dedupe: cmp.Or(imp.opts.Dedupe, DedupeSkip), ContactEvents: imp.events, StartedAt: imp.started}
	audit := func(tx *Tx) error {
		if err := tx.audit(ctx, "import", "contact", 0, nil, json.RawMessage(summary)); err != nil {
			return err
		}
		return tx.emit(ctx, crm.EventContactImportCompleted, event)
	}
	if s := imp.bulk; s != nil {
		imp.bulk = nil
		if err := s.finish(ctx, audit); err != nil {
			imp.aborted = true
			imp.res.Created, imp.res.Updated, imp.res.Skipped = 0, 0, 0
			return err
		}
		return nil
	}
	return imp.db.inTx(ctx, audit)
}
