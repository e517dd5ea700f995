package store

import (
	"context"
	"database/sql"

	"github.com/ecrm/ecrm/internal/crm"
)

const activityCols = `a.id, a.kind, a.contact_id, a.company_id, a.subject, a.body, a.outcome, a.duration_sec, a.occurred_at, a.author_id, a.order_id, a.created_at, COALESCE(u.name, '')`

const activityFrom = ` FROM activities a LEFT JOIN users u ON u.id = a.author_id`

func scanActivity(row interface{ Scan(...any) error }) (*crm.Activity, error) {
	var x crm.Activity
	var contact, company, author, order sql.NullInt64
	var occurred, created int64
	if err := row.Scan(&x.ID, &x.Kind, &contact, &company, &x.Subject, &x.Body, &x.Outcome, &x.DurationSec, &occurred, &author, &order, &created, &x.AuthorName); err != nil {
		return nil, err
	}
	x.ContactID, x.CompanyID, x.AuthorID, x.OrderID = idPtr(contact), idPtr(company), idPtr(author), idPtr(order)
	x.OccurredAt, x.CreatedAt = fromMS(occurred), fromMS(created)
	return &x, nil
}

// visibleParent checks the actor may see the contact and company a
// timeline entry or task hangs on; own-only actors get 404 otherwise.
func (db *DB) visibleParent(ctx context.Context, q queryer, a *crm.Actor, contactID, companyID *int64) error {
	if contactID != nil {
		if _, err := db.findContact(ctx, q, a, *contactID); err != nil {
			return err
		}
	}
	if companyID != nil {
		if _, err := db.findCompany(ctx, q, a, *companyID); err != nil {
			return err
		}
	}
	return nil
}

// ownParentCond restricts activities or tasks (alias t) to records whose
// contact or company the actor owns.
func ownParentCond(q *listQuery, alias string, a *crm.Actor) {
	if !a.Restricted() {
		return
	}
	u := q.arg(a.UserID)
	q.add("(" + alias + ".contact_id IN (SELECT id FROM contacts WHERE owner_id = " + u + ") OR " +
		alias + ".company_id IN (SELECT id FROM companies WHERE owner_id = " + u + "))")
}

// FindActivityByID returns one timeline entry.
func (db *DB) FindActivityByID(ctx context.Context, id int64) (*crm.Activity, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResActivities, crm.Read))
	if err != nil {
		return nil, err
	}
	x, err := scanActivity(db.read.QueryRowContext(ctx, `SELECT `+activityCols+activityFrom+` WHERE a.id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "activity %d not found", id)
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	if err := db.visibleParent(ctx, db.read, a, x.ContactID, x.CompanyID); err != nil {
		return nil, crm.Errorf(crm.ENOTFOUND, "activity %d not found", id)
	}
	return x, nil
}

// FindActivities lists a timeline, newest first.
func (db *DB) FindActivities(ctx context.Context, f crm.ActivityFilter) (crm.Page[*crm.Activity], error) {
	var page crm.Page[*crm.Activity]
	a, err := crm.Authorize(ctx, crm.P(crm.ResActivities, crm.Read))
	if err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	ownParentCond(q, "a", a)
	if f.ContactID != nil {
		q.add("a.contact_id = " + q.arg(*f.ContactID))
	}
	if f.CompanyID != nil {
		// A company's timeline includes its people's entries.
		p := q.arg(*f.CompanyID)
		q.add("(a.company_id = " + p + " OR a.contact_id IN (SELECT id FROM contacts WHERE company_id = " + p + "))")
	}
	if f.Kind != "" {
		q.add("a.kind = " + q.arg(f.Kind))
	}
	order, err := q.keyset("a", sortSpec{col: "a.occurred_at", numeric: true}, true, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+activityCols+activityFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanActivity(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, x)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(keyCursor{Num: ms(last.OccurredAt), ID: last.ID})
	}
	return page, rows.Err()
}

// CreateActivity logs a note, call, meeting or email on a timeline.
func (db *DB) CreateActivity(ctx context.Context, in crm.ActivityInput) (*crm.Activity, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResActivities, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	var x crm.Activity
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := db.visibleParent(ctx, tx, a, in.ContactID, in.CompanyID); err != nil {
			return invalidRef(err, in.ContactID != nil)
		}
		x = crm.Activity{Kind: *in.Kind, ContactID: in.ContactID, CompanyID: in.CompanyID, Subject: deref(in.Subject), Body: deref(in.Body),
			Outcome: deref(in.Outcome), DurationSec: deref(in.DurationSec), OccurredAt: tx.now, CreatedAt: tx.now}
		if in.OccurredAt != nil {
			x.OccurredAt = in.OccurredAt.UTC()
		}
		if a.UserID != 0 {
			x.AuthorID = &a.UserID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO activities (kind, contact_id, company_id, subject, body, outcome, duration_sec, occurred_at, author_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			x.Kind, nullID(x.ContactID), nullID(x.CompanyID), x.Subject, x.Body, x.Outcome, x.DurationSec, ms(x.OccurredAt), nullID(x.AuthorID), ms(x.CreatedAt)).Scan(&x.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "activity", x.ID, nil, &x)
	})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

var errOrderEntry = crm.Errorf(crm.ECONFLICT, "entries written for orders, forms and surveys cannot be changed by hand")

// invalidRef turns "the contact you point at is not visible" into a field
// error on the reference, which is what the client got wrong.
func invalidRef(err error, contact bool) error {
	if crm.ErrorCode(err) != crm.ENOTFOUND {
		return err
	}
	var v crm.Validation
	if contact {
		v.Add("contact_id", "not_found")
	} else {
		v.Add("company_id", "not_found")
	}
	return v.Err()
}

// UpdateActivity edits a timeline entry; kind and parent stay.
func (db *DB) UpdateActivity(ctx context.Context, id int64, in crm.ActivityInput) (*crm.Activity, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResActivities, crm.Write)); err != nil {
		return nil, err
	}
	in.Kind, in.ContactID, in.CompanyID = nil, nil, nil
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	before, err := db.FindActivityByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if crm.SystemKind(before.Kind) {
		return nil, errOrderEntry
	}
	x := *before
	err = db.inTx(ctx, func(tx *Tx) error {
		if in.Subject != nil {
			x.Subject = *in.Subject
		}
		if in.Body != nil {
			x.Body = *in.Body
		}
		if in.Outcome != nil {
			x.Outcome = *in.Outcome
		}
		if in.DurationSec != nil {
			x.DurationSec = *in.DurationSec
		}
		if in.OccurredAt != nil {
			x.OccurredAt = in.OccurredAt.UTC()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET subject=$1, body=$2, outcome=$3, duration_sec=$4, occurred_at=$5 WHERE id=$6`,
			x.Subject, x.Body, x.Outcome, x.DurationSec, ms(x.OccurredAt), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "activity", id, before, &x)
	})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// DeleteActivity removes a timeline entry.
func (db *DB) DeleteActivity(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResActivities, crm.Write)); err != nil {
		return err
	}
	before, err := db.FindActivityByID(ctx, id)
	if err != nil {
		return err
	}
	if crm.SystemKind(before.Kind) {
		return errOrderEntry
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM activities WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "activity", id, before, nil)
	})
}
