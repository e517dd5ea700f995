package store

import (
	"context"
	"hash/maphash"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// lookupChunk bounds the placeholders of one IN (…) lookup.
const lookupChunk = 500

// resolveCompanies sets the company of every row that names one, creating
// missing companies when the import allows it and rejecting the row
// otherwise (rejected rows get index -1). It returns the names it
// resolved, for the import's cache once the transaction commits, and how
// many companies it created.
func (imp *ContactImport) resolveCompanies(ctx context.Context, tx *Tx, b *Batch) ([]RowError, map[string]int64, int, error) {
	resolved := map[string]int64{}
	var want []string
	for i := range b.contacts {
		name := strings.ToLower(b.contacts[i].company)
		if name == "" {
			continue
		}
		if _, ok := imp.companies[name]; ok {
			continue
		}
		if _, ok := resolved[name]; !ok {
			resolved[name] = 0
			want = append(want, name)
		}
	}
	for from := 0; from < len(want); from += lookupChunk {
		part := want[from:min(from+lookupChunk, len(want))]
		q := &listQuery{d: imp.db.dialect}
		ph := make([]string, len(part))
		for i, n := range part {
			ph[i] = q.arg(n)
		}
		q.add("sort_name IN (" + strings.Join(ph, ", ") + ")")
		if imp.actor.Restricted() {
			q.add("owner_id = " + q.arg(imp.actor.UserID))
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, sort_name FROM companies WHERE `+q.sql()+` ORDER BY id DESC`, q.args...)
		if err != nil {
			return nil, nil, 0, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, nil, 0, err
			}
			resolved[name] = id // descending: the oldest company wins
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, 0, err
		}
	}
	var rejected []RowError
	created := 0
	for i := range b.contacts {
		p := &b.contacts[i]
		if p.company == "" {
			continue
		}
		name := strings.ToLower(p.company)
		id, ok := imp.companies[name]
		// An id read or created in this transaction needs no second look
		// in checkRefs; one cached from an earlier batch does, unless the
		// whole import is one transaction.
		p.companyChecked = !ok || imp.bulk != nil
		if !ok {
			id = resolved[name]
		}
		if id == 0 {
			if !imp.opts.CompanyByName {
				rejected = append(rejected, RowError{Index: p.index, Field: "company", Key: "not_found"})
				p.index = -1
				continue
			}
			in := crm.CompanyInput{Name: &p.company}
			if err := in.Validate(true, nil); err != nil {
				for _, fe := range crm.FieldErrors(err) {
					rejected = append(rejected, RowError{Index: p.index, Field: "company", Key: fe.Key, Args: fe.Args})
				}
				p.index = -1
				continue
			}
			c := crm.Company{Name: *in.Name, Tags: []string{}, CreatedAt: tx.now, UpdatedAt: tx.now}
			if imp.actor.UserID != 0 {
				c.OwnerID = &imp.actor.UserID
			}
			if err := tx.insertCompany(ctx, &c); err != nil {
				return nil, nil, 0, err
			}
			id = c.ID
			resolved[name] = id
			created++
		}
		p.c.CompanyID = &id
	}
	for name, id := range resolved {
		if id == 0 {
			delete(resolved, name)
		}
	}
	return rejected, resolved, created, nil
}

// existing maps the emails of the batch that belong to contacts already
// stored (by this import or before it) to the oldest such contact. When
// the table was empty at the start, only emails this import has stored can
// match, and a hash set of those spares the database a million lookups; a
// hash hit is still confirmed here.
func (imp *ContactImport) existing(ctx context.Context, tx *Tx, b *Batch) (map[string]int64, error) {
	out := map[string]int64{}
	if imp.opts.Dedupe == DedupeCreate {
		return out, nil
	}
	var want []string
	for i := range b.contacts {
		e := b.contacts[i].c.Email
		if e == "" || b.contacts[i].index < 0 {
			continue
		}
		if !imp.checkDB && imp.bulk == nil {
			if _, ok := imp.seen[maphash.String(imp.seed, e)]; !ok {
				continue
			}
		}
		want = append(want, e)
	}
	if imp.bulk != nil {
		return imp.bulk.existing(ctx, want)
	}
	for from := 0; from < len(want); from += lookupChunk {
		part := want[from:min(from+lookupChunk, len(want))]
		q := &listQuery{d: imp.db.dialect}
		ph := make([]string, len(part))
		for i, e := range part {
			ph[i] = q.arg(e)
		}
		q.add("e.email IN (" + strings.Join(ph, ", ") + ")")
		if imp.actor.Restricted() {
			// Other people's contacts do not exist for an own-only actor.
			q.add("c.owner_id = " + q.arg(imp.actor.UserID))
		}
		rows, err := tx.QueryContext(ctx, `SELECT e.email, e.contact_id FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
			WHERE `+q.sql()+` ORDER BY e.contact_id DESC`, q.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e string
			var id int64
			if err := rows.Scan(&e, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[e] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkRefs rejects rows whose owner or company does not exist. The
// database would refuse them too, but for the whole batch at once (and on
// SQLite the bulk insert runs without foreign keys, see inBulkTx).
func (imp *ContactImport) checkRefs(ctx context.Context, tx *Tx, b *Batch) ([]RowError, error) {
	owners, companies := map[int64]bool{}, map[int64]bool{}
	for i := range b.contacts {
		p := &b.contacts[i]
		if p.index < 0 {
			continue
		}
		if p.c.OwnerID != nil {
			owners[*p.c.OwnerID] = false
		}
		if p.c.CompanyID != nil && !p.companyChecked {
			companies[*p.c.CompanyID] = false
		}
	}
	if err := markExisting(ctx, tx, "users", owners); err != nil {
		return nil, err
	}
	if err := markExisting(ctx, tx, "companies", companies); err != nil {
		return nil, err
	}
	var rejected []RowError
	for i := range b.contacts {
		p := &b.contacts[i]
		switch {
		case p.index < 0:
		case p.c.OwnerID != nil && !owners[*p.c.OwnerID]:
			rejected = append(rejected, RowError{Index: p.index, Field: "owner_id", Key: "not_found"})
			p.index = -1
		case p.c.CompanyID != nil && !p.companyChecked && !companies[*p.c.CompanyID]:
			rejected = append(rejected, RowError{Index: p.index, Field: "company_id", Key: "not_found"})
			p.index = -1
		}
	}
	return rejected, nil
}

// markExisting sets ids[id] to true for the ids present in table.
func markExisting(ctx context.Context, tx *Tx, table string, ids map[int64]bool) error {
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	for from := 0; from < len(list); from += lookupChunk {
		part := list[from:min(from+lookupChunk, len(list))]
		ph := make([]string, len(part))
		for i := range part {
			ph[i] = "$" + itoa(int64(i+1))
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM `+table+` WHERE id IN (`+strings.Join(ph, ", ")+`)`, part...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
