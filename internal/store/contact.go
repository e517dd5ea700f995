package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// contactCols reads a contact in one row: its emails and phones come
// along as unit-separator-joined aggregates, so reading a contact is one
// query on both engines (string_agg with ORDER BY is in both).
const contactCols = `c.id, c.first_name, c.last_name, c.email, c.phone, c.company_id, c.title, c.street, c.city, c.region,
	c.postal_code, c.country, c.birth_date, c.language, c.stage, c.source, c.owner_id, c.tags, c.custom, c.created_at, c.updated_at,
	COALESCE(co.name, ''), COALESCE(u.name, ''),
	(SELECT string_agg(e.email, '` + listSep + `' ORDER BY e.position) FROM contact_emails e WHERE e.contact_id = c.id),
	(SELECT string_agg(p.phone, '` + listSep + `' ORDER BY p.position) FROM contact_phones p WHERE p.contact_id = c.id)`

// listSep separates aggregated emails and phones; neither can contain it.
const listSep = "\x1f"

const contactFrom = ` FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id`

func scanContact(row interface{ Scan(...any) error }) (*crm.Contact, error) {
	var c crm.Contact
	var company, owner sql.NullInt64
	var tags, custom string
	var emails, phones sql.NullString
	var created, updated int64
	if err := row.Scan(&c.ID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &company, &c.Title, &c.Street, &c.City, &c.Region,
		&c.PostalCode, &c.Country, &c.BirthDate, &c.Language, &c.Stage, &c.Source, &owner, &tags, &custom, &created, &updated,
		&c.CompanyName, &c.OwnerName, &emails, &phones); err != nil {
		return nil, err
	}
	c.Emails, c.Phones = splitList(emails), splitList(phones)
	c.CompanyID, c.OwnerID = idPtr(company), idPtr(owner)
	c.Tags = splitTags(tags)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.Custom = map[string]any{}
	json.Unmarshal([]byte(custom), &c.Custom)
	return &c, nil
}

// sortName orders contacts by family name, then given name, then email.
func sortName(c *crm.Contact) string {
	s := strings.TrimSpace(c.LastName + " " + c.FirstName)
	if s == "" {
		s = c.Email
	}
	return foldSearch(s)
}

// searchFolder lowercases and maps Arabic yeh and kaf to their Persian
// forms: Windows-1256 files and Arabic keyboards produce ي and ك where
// Persian text has ی and ک, and a search must find both.
var searchFolder = strings.NewReplacer("ي", "ی", "ك", "ک", "ى", "ی")

func foldSearch(s string) string { return searchFolder.Replace(strings.ToLower(s)) }

// searchText is what full-text search looks in.
func searchText(c *crm.Contact) string {
	parts := []string{c.FirstName, c.LastName, c.Email, c.Phone}
	for _, e := range c.Emails {
		if e != c.Email {
			parts = append(parts, e)
		}
	}
	for _, p := range c.Phones {
		if p != c.Phone {
			parts = append(parts, p)
		}
	}
	return foldSearch(strings.Join(parts, " "))
}

// FindContactByID returns a contact with its emails and phones. For an
// actor restricted to its own records, other contacts do not exist (404,
// so ids of other people's contacts are not confirmed).
func (db *DB) FindContactByID(ctx context.Context, id int64) (*crm.Contact, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.findContact(ctx, db.read, a, id)
}

func (db *DB) findContact(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Contact, error) {
	query := `SELECT ` + contactCols + contactFrom + ` WHERE c.id = $1`
	args := []any{id}
	if a.Restricted() {
		query += ` AND c.owner_id = $2`
		args = append(args, a.UserID)
	}
	var row *sql.Row
	if q == db.read {
		row = db.readRow(ctx, query, args...)
	} else {
		row = q.QueryRowContext(ctx, query, args...)
	}
	c, err := scanContact(row)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "contact %d not found", id)
	}
	return c, db.mapErr(err)
}

func splitList(s sql.NullString) []string {
	if !s.Valid || s.String == "" {
		return []string{}
	}
	return strings.Split(s.String, listSep)
}

func (db *DB) strings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

var contactSortSpecs = map[string]sortSpec{
	"name": {col: "c.sort_name"}, "email": {col: "c.email"}, "country": {col: "c.country"}, "stage": {col: "c.stage"},
	"created_at": {col: "c.created_at", numeric: true}, "updated_at": {col: "c.updated_at", numeric: true},
}

// FindContacts lists contacts matching f, one keyset page at a time.
func (db *DB) FindContacts(ctx context.Context, f crm.ContactFilter) (crm.Page[*crm.Contact], error) {
	var page crm.Page[*crm.Contact]
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Read))
	if err != nil {
		return page, err
	}
	spec, desc, err := parseSort(f.Sort, contactSortSpecs, "name")
	if err != nil {
		return page, err
	}
	if f.WithTotal {
		cq := &listQuery{d: db.dialect}
		if err := db.contactWhere(ctx, cq, a, f, false); err != nil {
			return page, err
		}
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts c WHERE `+cq.sql(), cq.args...).Scan(&page.Total); err != nil {
			return page, db.mapErr(err)
		}
	}
	// Sorted by anything but the name, a page is found fastest by walking
	// the sort column's index and testing the few-valued filters (stage,
	// country: each a tenth to a third of the contacts) on the way; their
	// (column, name) indexes would make SQLite sort every match first
	// (1.5 s for 190,000 customers by creation date). Owners stay indexed:
	// a new account manager may own three contacts of a million.
	q := &listQuery{d: db.dialect}
	if err := db.contactWhere(ctx, q, a, f, spec.col != "c.sort_name"); err != nil {
		return page, err
	}
	order, err := q.keyset("c", spec, desc, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+contactCols+contactFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return page, db.mapErr(err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(contactCursor(last, f.Sort))
	}
	return page, nil
}

func contactCursor(c *crm.Contact, sort string) keyCursor {
	k := keyCursor{ID: c.ID}
	switch strings.TrimPrefix(sort, "-") {
	case "email":
		k.Key = c.Email
	case "country":
		k.Key = c.Country
	case "stage":
		k.Key = c.Stage
	case "created_at":
		k.Num = ms(c.CreatedAt)
	case "updated_at":
		k.Num = ms(c.UpdatedAt)
	default:
		k.Key = sortName(c)
	}
	return k
}

// contactWhere adds f's conditions; walkSort keeps the few-valued columns
// from choosing an index (see FindContacts).
func (db *DB) contactWhere(ctx context.Context, q *listQuery, a *crm.Actor, f crm.ContactFilter, walkSort bool) error {
	few := func(col string) string {
		if walkSort {
			return db.dialect.noIndex(col)
		}
		return col
	}
	if a.Restricted() {
		q.add("c.owner_id = " + q.arg(a.UserID))
	}
	if err := checkQuery(f.Query); err != nil {
		return err
	}
	if s := foldSearch(strings.TrimSpace(f.Query)); s != "" {
		cond, arg := db.dialect.contactSearch(s, len(q.args)+1)
		q.args = append(q.args, arg)
		q.add(cond)
	}
	if len(f.IDs) > 0 {
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = q.arg(id)
		}
		q.add("c.id IN (" + strings.Join(ph, ", ") + ")")
	}
	for _, t := range f.Tags {
		q.add("EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = " + q.arg(strings.ToLower(t)) + ")")
	}
	if f.OwnerID != nil {
		if *f.OwnerID == 0 {
			q.add("c.owner_id IS NULL")
		} else {
			q.add("c.owner_id = " + q.arg(*f.OwnerID))
		}
	}
	if f.CompanyID != nil {
		q.add("c.company_id = " + q.arg(*f.CompanyID))
	}
	if f.Stage != "" {
		q.add(few("c.stage") + " = " + q.arg(f.Stage))
	}
	if f.Country != "" {
		q.add(few("c.country") + " = " + q.arg(strings.ToUpper(f.Country)))
	}
	if f.Email != "" {
		q.add("c.id IN (SELECT contact_id FROM contact_emails WHERE email = " + q.arg(strings.ToLower(f.Email)) + ")")
	}
	q.createdRange("c.created_at", f.CreatedAfter, f.CreatedBefore)
	factsWhere(q, f)
	if len(f.Custom) > 0 {
		defs, err := db.customFields(ctx, db.read, "contact")
		if err != nil {
			return err
		}
		return q.customFilters("c", f.Custom, defs)
	}
	return nil
}

// CreateContact validates and stores a new contact. Its owner is the
// creating user unless an actor allowed to assign names another.
func (db *DB) CreateContact(ctx context.Context, in crm.ContactInput) (*crm.Contact, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return nil, err
	}
	defs, err := db.customFields(ctx, db.read, "contact")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true, defs); err != nil {
		return nil, err
	}
	if err := checkOwnerAssign(a, in.OwnerID); err != nil {
		return nil, err
	}
	var c crm.Contact
	applyContactInput(&c, &in)
	if in.OwnerID == nil && a.UserID != 0 {
		c.OwnerID = &a.UserID
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		if err := tx.insertContact(ctx, &c); err != nil {
			return err
		}
		if err := tx.audit(ctx, "create", "contact", c.ID, nil, &c); err != nil {
			return err
		}
		// Webhooks: contact.created goes out when this commits, with the
		// contact as GET /contacts/{id} shows it.
		return tx.emit(ctx, crm.EventContactCreated, func() (any, error) { return db.findContact(ctx, tx, crm.SystemActor, c.ID) })
	})
	if err != nil {
		return nil, err
	}
	return db.findContact(ctx, db.write, crm.SystemActor, c.ID)
}

func checkOwnerAssign(a *crm.Actor, owner *int64) error {
	if owner != nil && a.Restricted() && *owner != a.UserID {
		// Own-only users may not give records away, nor leave them unowned.
		var v crm.Validation
		v.Add("owner_id", "cannot_assign")
		return v.Err()
	}
	return nil
}

// applyContactInput copies the set fields of in onto c and keeps the
// primary email/phone first in the lists.
func applyContactInput(c *crm.Contact, in *crm.ContactInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.Title, in.Title)
	set(&c.Street, in.Street)
	set(&c.City, in.City)
	set(&c.Region, in.Region)
	set(&c.PostalCode, in.PostalCode)
	set(&c.Country, in.Country)
	set(&c.BirthDate, in.BirthDate)
	set(&c.Language, in.Language)
	set(&c.Stage, in.Stage)
	set(&c.Source, in.Source)
	if in.Emails != nil {
		c.Emails = slices.Clone(*in.Emails)
		if in.Email == nil {
			c.Email = ""
			if len(c.Emails) > 0 {
				c.Email = c.Emails[0]
			}
		}
	}
	if in.Phones != nil {
		c.Phones = slices.Clone(*in.Phones)
		if in.Phone == nil {
			c.Phone = ""
			if len(c.Phones) > 0 {
				c.Phone = c.Phones[0]
			}
		}
	}
	if in.Email != nil {
		c.Email = *in.Email
	}
	if in.Phone != nil {
		c.Phone = *in.Phone
	}
	c.Emails = primaryFirst(c.Email, c.Emails)
	c.Phones = primaryFirst(c.Phone, c.Phones)
	c.CompanyID = setRef(c.CompanyID, in.CompanyID)
	c.OwnerID = setRef(c.OwnerID, in.OwnerID)
	if in.Tags != nil {
		c.Tags = *in.Tags
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if in.Custom != nil {
		if c.Custom == nil {
			c.Custom = map[string]any{}
		}
		for k, v := range in.Custom {
			if v == nil {
				delete(c.Custom, k)
			} else {
				c.Custom[k] = v
			}
		}
	}
}

// setRef applies a reference from an input: unset keeps, 0 clears.
func setRef(cur, in *int64) *int64 {
	switch {
	case in == nil:
		return cur
	case *in == 0:
		return nil
	}
	v := *in
	return &v
}

func primaryFirst(primary string, list []string) []string {
	out := make([]string, 0, len(list)+1)
	if primary != "" {
		out = append(out, primary)
	}
	for _, s := range list {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func customJSON(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (tx *Tx) insertContact(ctx context.Context, c *crm.Contact) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO contacts (first_name, last_name, sort_name, email, phone, company_id, title, street, city, region,
		postal_code, country, birth_date, language, stage, source, owner_id, tags, custom, search, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id`,
		c.FirstName, c.LastName, sortName(c), c.Email, c.Phone, nullID(c.CompanyID), c.Title, c.Street, c.City, c.Region,
		c.PostalCode, c.Country, c.BirthDate, c.Language, c.Stage, c.Source, nullID(c.OwnerID), joinTags(c.Tags), customJSON(c.Custom),
		searchText(c), ms(c.CreatedAt), ms(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return err
	}
	return tx.writeContactLists(ctx, c, true)
}

// writeContactLists replaces the side tables that make emails, phones and
// tags searchable.
func (tx *Tx) writeContactLists(ctx context.Context, c *crm.Contact, fresh bool) error {
	if !fresh {
		for _, t := range []string{"contact_emails", "contact_phones", "contact_tags"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE contact_id = $1`, c.ID); err != nil {
				return err
			}
		}
	}
	for i, e := range c.Emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_emails (contact_id, email, position) VALUES ($1, $2, $3)`, c.ID, e, i); err != nil {
			return err
		}
	}
	for i, p := range c.Phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_phones (contact_id, phone, position) VALUES ($1, $2, $3)`, c.ID, p, i); err != nil {
			return err
		}
	}
	for _, t := range c.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_tags (tag, contact_id) VALUES ($1, $2)`, t, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// UpdateContact applies the fields set in `in`.
func (db *DB) UpdateContact(ctx context.Context, id int64, in crm.ContactInput) (*crm.Contact, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return nil, err
	}
	defs, err := db.customFields(ctx, db.read, "contact")
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findContact(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if in.Country == nil && (in.Phone != nil || in.Phones != nil) {
			// National numbers are read in the contact's stored country.
			in.Country = &before.Country
		}
		if err := in.Validate(false, defs); err != nil {
			return err
		}
		if err := checkOwnerAssign(a, in.OwnerID); err != nil {
			return err
		}
		c := *before
		c.Custom = maps(before.Custom)
		applyContactInput(&c, &in)
		c.UpdatedAt = tx.now
		if err := tx.updateContactRow(ctx, &c); err != nil {
			return err
		}
		if err := tx.audit(ctx, "update", "contact", id, before, &c); err != nil {
			return err
		}
		// Webhooks: contact.updated goes out when this commits.
		return tx.emit(ctx, crm.EventContactUpdated, func() (any, error) { return db.findContact(ctx, tx, crm.SystemActor, id) })
	})
	if err != nil {
		return nil, err
	}
	return db.findContact(ctx, db.write, crm.SystemActor, id)
}

func (tx *Tx) updateContactRow(ctx context.Context, c *crm.Contact) error {
	_, err := tx.ExecContext(ctx, `UPDATE contacts SET first_name=$1, last_name=$2, sort_name=$3, email=$4, phone=$5, company_id=$6, title=$7,
		street=$8, city=$9, region=$10, postal_code=$11, country=$12, birth_date=$13, language=$14, stage=$15, source=$16, owner_id=$17,
		tags=$18, custom=$19, search=$20, updated_at=$21 WHERE id=$22`,
		c.FirstName, c.LastName, sortName(c), c.Email, c.Phone, nullID(c.CompanyID), c.Title, c.Street, c.City, c.Region,
		c.PostalCode, c.Country, c.BirthDate, c.Language, c.Stage, c.Source, nullID(c.OwnerID), joinTags(c.Tags), customJSON(c.Custom),
		searchText(c), ms(c.UpdatedAt), c.ID)
	if err != nil {
		return err
	}
	return tx.writeContactLists(ctx, c, false)
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// DeleteContact removes a contact with its timeline and tasks.
func (db *DB) DeleteContact(ctx context.Context, id int64) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findContact(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := tx.erasePersonalData(ctx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1`, id); err != nil {
			return err
		}
		if err := tx.audit(ctx, "delete", "contact", id, before, nil); err != nil {
			return err
		}
		// Webhooks: contact.deleted carries the contact as it was.
		return tx.emit(ctx, crm.EventContactDeleted, before)
	})
}
