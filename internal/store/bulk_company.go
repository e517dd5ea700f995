package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// ImportCompanies validates rows and stores the valid ones, deduplicating
// by name (case-insensitively) against existing companies and earlier
// rows. Companies are few next to contacts, so rows go through the
// ordinary insert one by one, in transactions of ImportBatch rows, with a
// single audit entry for the whole import.
func (db *DB) ImportCompanies(ctx context.Context, rows []crm.CompanyInput, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
		return res, err
	}
	a, err := crm.Authorize(ctx, crm.P(crm.ResCompanies, crm.Write))
	if err != nil {
		return res, err
	}
	if opts.Dedupe == "" {
		opts.Dedupe = DedupeSkip
	}
	if opts.Dedupe != DedupeSkip && opts.Dedupe != DedupeUpdate && opts.Dedupe != DedupeCreate {
		var v crm.Validation
		v.Add("dedupe", "invalid_choice")
		return res, v.Err()
	}
	defs, err := db.customFields(ctx, db.read, "company")
	if err != nil {
		return res, err
	}
	for from := 0; from < len(rows) && err == nil; from += ImportBatch {
		var part ImportResult
		part, err = db.importCompanyBatch(ctx, a, rows[from:min(from+ImportBatch, len(rows))], opts, defs)
		if err == nil {
			res.add(part, from)
		}
	}
	summary, _ := json.Marshal(map[string]any{"created": res.Created, "updated": res.Updated,
		"skipped": res.Skipped, "rejected": res.Rejected() + opts.Unreadable, "dedupe": opts.Dedupe})
	if aerr := db.inTx(ctx, func(tx *Tx) error {
		return tx.audit(ctx, "import", "company", 0, nil, json.RawMessage(summary))
	}); err == nil {
		err = aerr
	}
	return res, err
}

func (db *DB) importCompanyBatch(ctx context.Context, a *crm.Actor, rows []crm.CompanyInput, opts ImportOptions, defs []*crm.CustomField) (ImportResult, error) {
	var res ImportResult
	err := db.inTx(ctx, func(tx *Tx) error {
		res = ImportResult{}
		for i := range rows {
			in := rows[i]
			if err := in.Validate(true, defs); err != nil {
				for _, fe := range crm.FieldErrors(err) {
					res.Errors = append(res.Errors, RowError{Index: i, Field: fe.Field, Key: fe.Key, Args: fe.Args})
				}
				continue
			}
			if err := checkOwnerAssign(a, in.OwnerID); err != nil {
				res.Errors = append(res.Errors, RowError{Index: i, Field: "owner_id", Key: "cannot_assign"})
				continue
			}
			if in.OwnerID != nil {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, *in.OwnerID).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					res.Errors = append(res.Errors, RowError{Index: i, Field: "owner_id", Key: "not_found"})
					continue
				}
			}
			if opts.Dedupe != DedupeCreate {
				q := `SELECT id FROM companies WHERE sort_name = $1`
				args := []any{strings.ToLower(*in.Name)}
				if a.Restricted() {
					q += ` AND owner_id = $2`
					args = append(args, a.UserID)
				}
				var id int64
				err := tx.QueryRowContext(ctx, q+` ORDER BY id LIMIT 1`, args...).Scan(&id)
				if err == nil {
					if opts.Dedupe == DedupeSkip {
						res.Skipped++
						continue
					}
					if err := tx.updateCompanyRow(ctx, a, id, &in); err != nil {
						return err
					}
					res.Updated++
					continue
				}
				if crm.ErrorCode(db.mapErr(err)) != crm.ENOTFOUND {
					return err
				}
			}
			var c crm.Company
			applyCompanyInput(&c, &in)
			if c.OwnerID == nil && a.UserID != 0 {
				c.OwnerID = &a.UserID
			}
			c.CreatedAt, c.UpdatedAt = tx.now, tx.now
			if err := tx.insertCompany(ctx, &c); err != nil {
				return err
			}
			res.Created++
		}
		return nil
	})
	return res, err
}

// updateCompanyRow applies an imported row to an existing company, keeping
// its owner unless the row names one.
func (tx *Tx) updateCompanyRow(ctx context.Context, a *crm.Actor, id int64, in *crm.CompanyInput) error {
	before, err := tx.db.findCompany(ctx, tx, a, id)
	if err != nil {
		return err
	}
	c := *before
	c.Custom = maps(before.Custom)
	applyCompanyInput(&c, in)
	c.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE companies SET name=$1, sort_name=$2, domain=$3, industry=$4, size=$5, phone=$6, street=$7, city=$8,
		region=$9, country=$10, owner_id=$11, tags=$12, custom=$13, search=$14, updated_at=$15 WHERE id=$16`,
		c.Name, strings.ToLower(c.Name), c.Domain, c.Industry, c.Size, c.Phone, c.Street, c.City, c.Region, c.Country, nullID(c.OwnerID),
		joinTags(c.Tags), customJSON(c.Custom), companySearch(&c), ms(c.UpdatedAt), id); err != nil {
		return err
	}
	return tx.writeCompanyTags(ctx, &c, false)
}
