package store

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// A large import into a small contacts table runs, on SQLite, as one
// transaction that drops the secondary indexes of contacts and of its email
// and phone tables and the full-text triggers first, and builds them again
// at the end: SQLite builds an index by sorting, which for a million rows is
// many times cheaper than a million inserts in random key order into nine
// B-trees, and the trigram index is rebuilt in one pass. The indexes are
// dropped and recreated inside the transaction, so other connections never
// see them missing and a crash leaves the database as it was before the
// import. The price: the import is all or nothing (an error or a cancel
// stores none of it), and the write lock is held until it ends.
const (
	// bulkMaxExisting is the most contacts the table may hold for a
	// rebuild: rebuilding costs time in proportion to the whole table.
	bulkMaxExisting = 50000
	// bulkRebuildCacheKiB is the page cache of the rebuild transaction, 0
	// for the connection's own. Without secondary indexes the inserts only
	// append, so a larger cache saves no reads; and the pure-Go allocator
	// maps and unmaps every cache page on its own, which made a 1 GB cache
	// cost seconds (measured: 100,000 rows 7.7 s with 1 GB, 5.2 s without).
	bulkRebuildCacheKiB = 0
)

// bulkSession is the state of a rebuild import.
type bulkSession struct {
	tx       *bulkTx
	indexes  []string // CREATE INDEX statements, to run again at the end
	triggers []string // CREATE TRIGGER statements, likewise
	// Email lookups cannot use the dropped email index. Emails of contacts
	// that existed before are read once (the table is small); for the
	// contacts this import stores, the hash of each email maps to the first
	// contact with it, and further contacts with an email of the same hash
	// (a collision, or an email repeated as a secondary one) to more. A
	// candidate is confirmed through contact_emails' primary key.
	before map[string]int64
	seed   maphash.Seed
	first  map[uint64]int64
	more   map[uint64][]int64
}

// startBulk begins a rebuild import when the table is small enough, or
// returns nil to import batch by batch.
func (imp *ContactImport) startBulk(ctx context.Context) (*bulkSession, error) {
	tx, err := imp.db.beginBulkTx(ctx, bulkRebuildCacheKiB)
	if err != nil {
		return nil, err
	}
	s, err := imp.prepareBulk(ctx, tx)
	if err != nil || s == nil {
		tx.end(ctx, false)
		return nil, err
	}
	return s, nil
}

func (imp *ContactImport) prepareBulk(ctx context.Context, tx *bulkTx) (*bulkSession, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM contacts LIMIT `+itoa(bulkMaxExisting)+`) x`).Scan(&n); err != nil {
		return nil, err
	}
	if n >= bulkMaxExisting {
		return nil, nil
	}
	s := &bulkSession{tx: tx, seed: maphash.MakeSeed(), before: map[string]int64{}, first: map[uint64]int64{}, more: map[uint64][]int64{}}
	// contact_tags keeps its index on contact_id: new ids go at its end,
	// which costs little, and updating a contact's tags needs it. Unique
	// indexes stay too, so that they keep rejecting rows as they come.
	rows, err := tx.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND
		((type = 'index' AND tbl_name IN ('contacts', 'contact_emails', 'contact_phones') AND upper(sql) NOT LIKE 'CREATE UNIQUE%')
		OR (type = 'trigger' AND tbl_name = 'contacts' AND name LIKE 'contacts\_fts\_%' ESCAPE '\')) ORDER BY type, name`)
	if err != nil {
		return nil, err
	}
	var drop []string
	for rows.Next() {
		var typ, name, ddl string
		if err := rows.Scan(&typ, &name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		drop = append(drop, `DROP `+strings.ToUpper(typ)+` "`+strings.ReplaceAll(name, `"`, `""`)+`"`)
		if typ == "index" {
			s.indexes = append(s.indexes, ddl)
		} else {
			s.triggers = append(s.triggers, ddl)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range drop {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if n > 0 && imp.opts.Dedupe != DedupeCreate {
		q := `SELECT e.email, MIN(e.contact_id) FROM contact_emails e JOIN contacts c ON c.id = e.contact_id`
		var args []any
		if imp.actor.Restricted() {
			q += ` WHERE c.owner_id = $1` // other people's contacts do not exist for it
			args = append(args, imp.actor.UserID)
		}
		rows, err := tx.QueryContext(ctx, q+` GROUP BY e.email`, args...)
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
			s.before[e] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	tx.rebuild = true
	return s, nil
}

// existing is ContactImport.existing for a rebuild import: the oldest
// contact that has the email, among those that existed before and those
// this import stored.
func (s *bulkSession) existing(ctx context.Context, want []string) (map[string]int64, error) {
	out := map[string]int64{}
	cands := map[string][]int64{}
	var ids []any
	for _, e := range want {
		if id, ok := s.before[e]; ok {
			out[e] = id // older than anything this import stored
			continue
		}
		h := maphash.String(s.seed, e)
		id, ok := s.first[h]
		if !ok {
			continue
		}
		c := append([]int64{id}, s.more[h]...)
		cands[e] = c
		for _, id := range c {
			ids = append(ids, id)
		}
	}
	has := map[int64][]string{}
	for from := 0; from < len(ids); from += lookupChunk {
		part := ids[from:min(from+lookupChunk, len(ids))]
		ph := make([]string, len(part))
		for i := range part {
			ph[i] = "$" + itoa(int64(i+1))
		}
		rows, err := s.tx.QueryContext(ctx, `SELECT contact_id, email FROM contact_emails WHERE contact_id IN (`+strings.Join(ph, ", ")+`)`, part...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var e string
			if err := rows.Scan(&id, &e); err != nil {
				rows.Close()
				return nil, err
			}
			has[id] = append(has[id], e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for e, c := range cands {
		for _, id := range c { // ascending: the first match is the oldest
			if slices.Contains(has[id], e) {
				out[e] = id
				break
			}
		}
	}
	return out, nil
}

// stored notes the emails of contacts the import has just inserted.
func (s *bulkSession) stored(cs []*crm.Contact) {
	for _, c := range cs {
		for _, e := range contactEmails(c) {
			h := maphash.String(s.seed, e)
			if _, ok := s.first[h]; ok {
				s.more[h] = append(s.more[h], c.ID)
			} else {
				s.first[h] = c.ID
			}
		}
	}
}

// contactEmails returns the contact's distinct emails, primary first.
func contactEmails(c *crm.Contact) []string {
	out := make([]string, 0, 1+len(c.Emails))
	if c.Email != "" {
		out = append(out, c.Email)
	}
	for _, e := range c.Emails {
		if e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// finish builds the dropped indexes and the full-text index again,
// restores the triggers, runs last (the audit entry) and commits.
func (s *bulkSession) finish(ctx context.Context, last func(tx *Tx) error) error {
	err := s.rebuild(ctx)
	if err == nil {
		err = last(s.tx.Tx)
	}
	if err != nil {
		s.tx.end(ctx, false)
		return s.tx.db.mapErr(err)
	}
	return s.tx.end(ctx, true)
}

func (s *bulkSession) rebuild(ctx context.Context) error {
	for _, ddl := range s.indexes {
		if _, err := s.tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	if len(s.triggers) > 0 {
		if err := s.rebuildFTS(ctx); err != nil {
			return err
		}
	}
	for _, ddl := range s.triggers {
		if _, err := s.tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	return nil
}

// ftsMergeDefaults are FTS5's own values of the merge settings that
// rebuildFTS changes for the rebuild, restored where none were stored.
var ftsMergeDefaults = map[string]string{"automerge": "4", "crisismerge": "16"}

// rebuildFTS indexes the whole content table again ('rebuild' reads every
// row, those from before the import included, which is why the table must
// be small). FTS5 writes the index in segments of about a megabyte and
// normally merges them as it goes, rewriting each entry several times;
// with merging off during the rebuild and one 'optimize' at the end that
// leaves a single segment, a million contacts index in 13.5 s instead of
// 20 s. The merge settings are stored in the index, so they are set back.
func (s *bulkSession) rebuildFTS(ctx context.Context) error {
	saved := map[string]string{}
	for k, v := range ftsMergeDefaults {
		saved[k] = v
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT k, v FROM contacts_fts_config WHERE k IN ('automerge', 'crisismerge')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		saved[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	set := func(k, v string) error {
		_, err := s.tx.ExecContext(ctx, `INSERT INTO contacts_fts(contacts_fts, rank) VALUES ($1, $2)`, k, v)
		return err
	}
	for _, q := range []func() error{
		func() error { return set("automerge", "0") },
		func() error { return set("crisismerge", "1000000") },
		func() error {
			_, err := s.tx.ExecContext(ctx, `INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')`)
			return err
		},
		func() error {
			_, err := s.tx.ExecContext(ctx, `INSERT INTO contacts_fts(contacts_fts) VALUES ('optimize')`)
			return err
		},
		func() error { return set("automerge", saved["automerge"]) },
		func() error { return set("crisismerge", saved["crisismerge"]) },
	} {
		if err := q(); err != nil {
			return err
		}
	}
	return nil
}
