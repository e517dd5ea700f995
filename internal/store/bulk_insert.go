package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// bulkTx is a write transaction pinned to one connection, so that on
// PostgreSQL COPY can run inside it through the pgx connection underneath.
type bulkTx struct {
	*Tx
	conn    *sql.Conn
	pragmas bool  // SQLite settings changed, restored by release
	cache   int64 // the connection's cache_size before
	// rebuild is set while the secondary indexes and full-text triggers
	// are dropped (see bulkSession): inserts then leave indexing to it.
	rebuild bool
}

// inBulkTx is inTx for bulk writes.
func (db *DB) inBulkTx(ctx context.Context, fn func(tx *bulkTx) error) error {
	tx, err := db.beginBulkTx(ctx, bulkCacheKiB)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.end(ctx, false)
		return db.mapErr(err)
	}
	return tx.end(ctx, true)
}

// bulkCacheKiB is the page cache of a batch: a large import inserts into
// nine secondary indexes in random key order, and once they outgrow the
// usual 32 MB every insert reads pages from disk.
const bulkCacheKiB = 262144

// beginBulkTx pins the write connection and begins a transaction on it
// with a page cache of cacheKiB (0: unchanged); end commits or rolls it
// back and hands the connection back.
func (db *DB) beginBulkTx(ctx context.Context, cacheKiB int64) (*bulkTx, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, db.mapErr(err)
	}
	tx := &bulkTx{conn: conn}
	if db.dialect.name() == "sqlite" {
		// A multi-row INSERT that might fail half way makes SQLite keep a
		// statement journal (a copy of every page it touches, so it can
		// undo just that statement); that journal was a third of the cost
		// of an import. Foreign keys declared immediate are such a failure
		// even when deferred by pragma, so they are switched off on this
		// connection for the transaction (Write checks every reference
		// itself, and the rows' own ids are assigned here), and inserts say
		// OR ROLLBACK: any error undoes the whole transaction, as the import
		// wants.
		if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&tx.cache); err != nil {
			conn.Close()
			return nil, db.mapErr(err)
		}
		tx.pragmas = true
		q := `PRAGMA foreign_keys = OFF`
		if cacheKiB != 0 {
			q += `; PRAGMA cache_size = -` + itoa(cacheKiB)
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			tx.release(ctx)
			return nil, db.mapErr(err)
		}
	}
	stx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		tx.release(ctx)
		return nil, db.mapErr(err)
	}
	tx.Tx = &Tx{Tx: stx, db: db, now: db.Now().UTC()}
	return tx, nil
}

// end commits (or rolls back) the transaction, restores the connection's
// settings and returns it to the pool.
func (tx *bulkTx) end(ctx context.Context, commit bool) error {
	var err error
	if commit {
		err = tx.db.mapErr(tx.Commit())
	} else {
		tx.Rollback()
	}
	tx.release(ctx)
	return err
}

func (tx *bulkTx) release(ctx context.Context) {
	if tx.pragmas {
		ctx := context.WithoutCancel(ctx)
		_, err := tx.conn.ExecContext(ctx, `PRAGMA foreign_keys = ON; PRAGMA cache_size = `+itoa(tx.cache))
		if err != nil {
			// Never hand the pool a connection without foreign keys.
			tx.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	tx.conn.Close()
}

// insertRows inserts n rows into table; fill writes row i's values into
// dst (len(cols) long). PostgreSQL gets COPY; SQLite gets multi-row
// INSERTs through one prepared statement, which saves most of the
// per-statement cost of the pure-Go driver.
func (tx *bulkTx) insertRows(ctx context.Context, table string, cols []string, n int, fill func(i int, dst []any)) error {
	if n == 0 {
		return nil
	}
	if tx.db.dialect.name() == "postgres" {
		src := &copySource{n: n, fill: fill, row: make([]any, len(cols)), i: -1}
		return tx.conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
			return err
		})
	}
	per := max(1, min(256, 30000/len(cols))) // SQLite allows 32766 parameters
	head := `INSERT OR ROLLBACK INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, per*len(cols))
	for from := 0; from < n; from += per {
		k := min(per, n-from)
		for j := range k {
			fill(from+j, args[j*len(cols):(j+1)*len(cols)])
		}
		var err error
		if k == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, head+valuesList(per, len(cols))); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, head+valuesList(k, len(cols)), args[:k*len(cols)]...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// valuesList returns "(?, ?), (?, ?)" for rows×cols placeholders. Only
// the SQLite path uses it, with anonymous parameters: the driver looks up
// each parameter's name in a list as long as the statement's named ones,
// which makes binding numbered parameters quadratic in their count.
func valuesList(rows, cols int) string {
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// copySource adapts fill to pgx.CopyFromSource.
type copySource struct {
	n, i int
	fill func(i int, dst []any)
	row  []any
}

func (s *copySource) Next() bool {
	s.i++
	return s.i < s.n
}

func (s *copySource) Values() ([]any, error) {
	s.fill(s.i, s.row)
	return s.row, nil
}

func (s *copySource) Err() error { return nil }

// allocIDs reserves n new ids for table. SQLite hands out max(id)+1 and
// the transaction holds the write lock, so the next n are ours; PostgreSQL
// takes them from the table's sequence, as a plain INSERT would.
func (tx *bulkTx) allocIDs(ctx context.Context, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.db.dialect.name() == "postgres" {
		rows, err := tx.QueryContext(ctx, `SELECT nextval('`+table+`_id_seq') FROM generate_series(1, $1)`, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&last); err != nil {
		return nil, err
	}
	for i := range n {
		ids = append(ids, last+1+int64(i))
	}
	return ids, nil
}

var contactInsertCols = []string{"id", "first_name", "last_name", "sort_name", "email", "phone", "company_id", "title", "street",
	"city", "region", "postal_code", "country", "birth_date", "language", "stage", "source", "owner_id", "tags", "custom",
	"search", "created_at", "updated_at"}

// insertContacts stores new contacts with their emails, phones and tags,
// setting their ids; it is insertContact for many rows at once.
func (tx *bulkTx) insertContacts(ctx context.Context, cs []*crm.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	ids, err := tx.allocIDs(ctx, "contacts", len(cs))
	if err != nil {
		return err
	}
	for i, c := range cs {
		c.ID = ids[i]
	}
	var ddl string
	if !tx.rebuild {
		if ddl, err = tx.dropFTSTrigger(ctx); err != nil {
			return err
		}
	}
	err = tx.insertRows(ctx, "contacts", contactInsertCols, len(cs), func(i int, d []any) {
		c := cs[i]
		d[0], d[1], d[2], d[3], d[4], d[5] = c.ID, c.FirstName, c.LastName, sortName(c), c.Email, c.Phone
		d[6], d[7], d[8], d[9], d[10], d[11] = nullID(c.CompanyID), c.Title, c.Street, c.City, c.Region, c.PostalCode
		d[12], d[13], d[14], d[15], d[16], d[17] = c.Country, c.BirthDate, c.Language, c.Stage, c.Source, nullID(c.OwnerID)
		d[18], d[19], d[20], d[21], d[22] = joinTags(c.Tags), customJSON(c.Custom), searchText(c), ms(c.CreatedAt), ms(c.UpdatedAt)
	})
	if err != nil {
		return err
	}
	type item struct {
		id  int64
		s   string
		pos int
	}
	var emails, phones, tags []item
	for _, c := range cs {
		for i, e := range c.Emails {
			emails = append(emails, item{c.ID, e, i})
		}
		for i, p := range c.Phones {
			phones = append(phones, item{c.ID, p, i})
		}
		for _, t := range c.Tags {
			tags = append(tags, item{c.ID, t, 0})
		}
	}
	list := func(table, col string, items []item) error {
		return tx.insertRows(ctx, table, []string{"contact_id", col, "position"}, len(items), func(i int, d []any) {
			d[0], d[1], d[2] = items[i].id, items[i].s, items[i].pos
		})
	}
	if err := list("contact_emails", "email", emails); err != nil {
		return err
	}
	if err := list("contact_phones", "phone", phones); err != nil {
		return err
	}
	err = tx.insertRows(ctx, "contact_tags", []string{"tag", "contact_id"}, len(tags), func(i int, d []any) {
		d[0], d[1] = tags[i].s, tags[i].id
	})
	if err != nil {
		return err
	}
	if ddl != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts_fts (rowid, search) SELECT id, search FROM contacts WHERE id BETWEEN $1 AND $2`,
			ids[0], ids[len(ids)-1]); err != nil {
			return err
		}
	}
	return tx.createFTSTrigger(ctx, ddl)
}

// dropFTSTrigger drops SQLite's insert trigger on contacts for the rest
// of the transaction and returns its DDL for createFTSTrigger (PostgreSQL
// has none: ""). The trigger writes a virtual table, which makes SQLite
// journal every page each multi-row INSERT touches so it could undo that
// one statement; without it the inserts need no such journal, and the new
// rows are indexed in one statement instead. Other connections never see
// the trigger missing: the change commits or rolls back with the rows.
func (tx *bulkTx) dropFTSTrigger(ctx context.Context) (string, error) {
	if tx.db.dialect.name() != "sqlite" {
		return "", nil
	}
	var ddl string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'contacts_fts_ai'`).Scan(&ddl); err != nil {
		return "", err
	}
	_, err := tx.ExecContext(ctx, `DROP TRIGGER contacts_fts_ai`)
	return ddl, err
}

func (tx *bulkTx) createFTSTrigger(ctx context.Context, ddl string) error {
	if ddl == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, ddl)
	return err
}
