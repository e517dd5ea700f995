package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

const companyCols = `c.id, c.name, c.domain, c.industry, c.size, c.phone, c.street, c.city, c.region, c.country, c.owner_id,
	c.tags, c.custom, c.created_at, c.updated_at, COALESCE(u.name, ''),
	(SELECT COUNT(*) FROM contacts k WHERE k.company_id = c.id)`

const companyFrom = ` FROM companies c LEFT JOIN users u ON u.id = c.owner_id`

func scanCompany(row interface{ Scan(...any) error }) (*crm.Company, error) {
	var c crm.Company
	var owner sql.NullInt64
	var tags, custom string
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Name, &c.Domain, &c.Industry, &c.Size, &c.Phone, &c.Street, &c.City, &c.Region, &c.Country, &owner,
		&tags, &custom, &created, &updated, &c.OwnerName, &c.ContactCount); err != nil {
		return nil, err
	}
	c.OwnerID = idPtr(owner)
	c.Tags = splitTags(tags)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.Custom = map[string]any{}
	json.Unmarshal([]byte(custom), &c.Custom)
	return &c, nil
}

// FindCompanyByID returns a company; own-only actors see only theirs.
func (db *DB) FindCompanyByID(ctx context.Context, id int64) (*crm.Company, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.findCompany(ctx, db.read, a, id)
}

func (db *DB) findCompany(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Company, error) {
	query := `SELECT ` + companyCols + companyFrom + ` WHERE c.id = $1`
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
	c, err := scanCompany(row)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "company %d not found", id)
	}
	return c, db.mapErr(err)
}

var companySortSpecs = map[string]sortSpec{
	"name": {col: "c.sort_name"}, "domain": {col: "c.domain"}, "country": {col: "c.country"},
	"created_at": {col: "c.created_at", numeric: true}, "updated_at": {col: "c.updated_at", numeric: true},
}

// FindCompanies lists companies matching f.
func (db *DB) FindCompanies(ctx context.Context, f crm.CompanyFilter) (crm.Page[*crm.Company], error) {
	var page crm.Page[*crm.Company]
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Read))
	if err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if a.Restricted() {
		q.add("c.owner_id = " + q.arg(a.UserID))
	}
	if err := checkQuery(f.Query); err != nil {
		return page, err
	}
	if s := strings.ToLower(strings.TrimSpace(f.Query)); s != "" {
		q.add("c.search LIKE " + q.arg("%"+escapeLike(s)+"%") + " ESCAPE '\\'")
	}
	if len(f.IDs) > 0 {
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = q.arg(id)
		}
		q.add("c.id IN (" + strings.Join(ph, ", ") + ")")
	}
	for _, t := range f.Tags {
		q.add("EXISTS (SELECT 1 FROM company_tags t WHERE t.company_id = c.id AND t.tag = " + q.arg(strings.ToLower(t)) + ")")
	}
	if f.OwnerID != nil {
		q.add("c.owner_id = " + q.arg(*f.OwnerID))
	}
	if f.Country != "" {
		q.add("c.country = " + q.arg(strings.ToUpper(f.Country)))
	}
	if f.Industry != "" {
		q.add("c.industry = " + q.arg(f.Industry))
	}
	if len(f.Custom) > 0 {
		defs, err := db.customFields(ctx, db.read, "company")
		if err != nil {
			return page, err
		}
		if err := q.customFilters("c", f.Custom, defs); err != nil {
			return page, err
		}
	}
	spec, desc, err := parseSort(f.Sort, companySortSpecs, "name")
	if err != nil {
		return page, err
	}
	if f.WithTotal {
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM companies c WHERE `+q.sql(), q.args...).Scan(&page.Total); err != nil {
			return page, db.mapErr(err)
		}
	}
	order, err := q.keyset("c", spec, desc, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+companyCols+companyFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCompany(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, c)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		k := keyCursor{ID: last.ID}
		switch strings.TrimPrefix(f.Sort, "-") {
		case "domain":
			k.Key = last.Domain
		case "country":
			k.Key = last.Country
		case "created_at":
			k.Num = ms(last.CreatedAt)
		case "updated_at":
			k.Num = ms(last.UpdatedAt)
		default:
			k.Key = strings.ToLower(last.Name)
		}
		page.Next = encodeCursor(k)
	}
	return page, rows.Err()
}

// CreateCompany validates and stores a company.
func (db *DB) CreateCompany(ctx context.Context, in crm.CompanyInput) (*crm.Company, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Write))
	if err != nil {
		return nil, err
	}
	defs, err := db.customFields(ctx, db.read, "company")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true, defs); err != nil {
		return nil, err
	}
	if err := checkOwnerAssign(a, in.OwnerID); err != nil {
		return nil, err
	}
	var c crm.Company
	applyCompanyInput(&c, &in)
	if in.OwnerID == nil && a.UserID != 0 {
		c.OwnerID = &a.UserID
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		if err := tx.insertCompany(ctx, &c); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "company", c.ID, nil, &c)
	})
	if err != nil {
		return nil, err
	}
	return db.findCompany(ctx, db.write, crm.SystemActor, c.ID)
}

func (tx *Tx) insertCompany(ctx context.Context, c *crm.Company) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO companies (name, sort_name, domain, industry, size, phone, street, city, region, country, owner_id, tags, custom, search, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		c.Name, strings.ToLower(c.Name), c.Domain, c.Industry, c.Size, c.Phone, c.Street, c.City, c.Region, c.Country, nullID(c.OwnerID),
		joinTags(c.Tags), customJSON(c.Custom), companySearch(c), ms(c.CreatedAt), ms(c.UpdatedAt)).Scan(&c.ID); err != nil {
		return err
	}
	return tx.writeCompanyTags(ctx, c, true)
}

func companySearch(c *crm.Company) string {
	return strings.ToLower(c.Name + " " + c.Domain + " " + c.City)
}

func (tx *Tx) writeCompanyTags(ctx context.Context, c *crm.Company, fresh bool) error {
	if !fresh {
		if _, err := tx.ExecContext(ctx, `DELETE FROM company_tags WHERE company_id = $1`, c.ID); err != nil {
			return err
		}
	}
	for _, t := range c.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO company_tags (tag, company_id) VALUES ($1, $2)`, t, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func applyCompanyInput(c *crm.Company, in *crm.CompanyInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, in.Name)
	set(&c.Domain, in.Domain)
	set(&c.Industry, in.Industry)
	set(&c.Phone, in.Phone)
	set(&c.Street, in.Street)
	set(&c.City, in.City)
	set(&c.Region, in.Region)
	set(&c.Country, in.Country)
	if in.Size != nil {
		c.Size = *in.Size
	}
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

// UpdateCompany applies the set fields.
func (db *DB) UpdateCompany(ctx context.Context, id int64, in crm.CompanyInput) (*crm.Company, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Write))
	if err != nil {
		return nil, err
	}
	defs, err := db.customFields(ctx, db.read, "company")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false, defs); err != nil {
		return nil, err
	}
	if err := checkOwnerAssign(a, in.OwnerID); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findCompany(ctx, tx, a, id)
		if err != nil {
			return err
		}
		c := *before
		c.Custom = maps(before.Custom)
		applyCompanyInput(&c, &in)
		c.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE companies SET name=$1, sort_name=$2, domain=$3, industry=$4, size=$5, phone=$6, street=$7, city=$8,
			region=$9, country=$10, owner_id=$11, tags=$12, custom=$13, search=$14, updated_at=$15 WHERE id=$16`,
			c.Name, strings.ToLower(c.Name), c.Domain, c.Industry, c.Size, c.Phone, c.Street, c.City, c.Region, c.Country, nullID(c.OwnerID),
			joinTags(c.Tags), customJSON(c.Custom), companySearch(&c), ms(c.UpdatedAt), id); err != nil {
			return err
		}
		if err := tx.writeCompanyTags(ctx, &c, false); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "company", id, before, &c)
	})
	if err != nil {
		return nil, err
	}
	return db.findCompany(ctx, db.write, crm.SystemActor, id)
}

// DeleteCompany removes a company; its contacts stay, unlinked.
func (db *DB) DeleteCompany(ctx context.Context, id int64) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Write))
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findCompany(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM companies WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "company", id, before, nil)
	})
}
