package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/ecrm/ecrm/internal/crm"
)

const formCols = `f.id, f.slug, f.name, f.status, f.language, f.title, f.intro, f.submit_label, f.fields, f.consents, f.double_opt_in,
	f.owner_id, f.success_message, f.redirect_url, f.views, f.submissions, f.created_at, f.updated_at, COALESCE(u.name, '')`

const formFrom = ` FROM forms f LEFT JOIN users u ON u.id = f.owner_id`

func scanForm(row interface{ Scan(...any) error }) (*crm.Form, error) {
	var f crm.Form
	var fields, consents string
	var owner sql.NullInt64
	var created, updated int64
	if err := row.Scan(&f.ID, &f.Slug, &f.Name, &f.Status, &f.Language, &f.Title, &f.Intro, &f.SubmitLabel, &fields, &consents, &f.DoubleOptIn,
		&owner, &f.SuccessMessage, &f.RedirectURL, &f.Views, &f.Submissions, &created, &updated, &f.OwnerName); err != nil {
		return nil, err
	}
	f.Fields, f.Consents = []crm.FormField{}, []crm.FormConsent{}
	json.Unmarshal([]byte(fields), &f.Fields)
	json.Unmarshal([]byte(consents), &f.Consents)
	f.OwnerID = idPtr(owner)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return &f, nil
}

// FindForms lists forms by name; status "" lists both.
func (db *DB) FindForms(ctx context.Context, status string) ([]*crm.Form, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+formCols+formFrom+` WHERE f.status = $1 OR $1 = '' ORDER BY f.status, f.name, f.id`, status)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.Form{}
	for rows.Next() {
		f, err := scanForm(rows)
		if err != nil {
			return nil, db.mapErr(err)
		}
		out = append(out, f)
	}
	return out, db.mapErr(rows.Err())
}

// FindFormByID returns one form.
func (db *DB) FindFormByID(ctx context.Context, id int64) (*crm.Form, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Read)); err != nil {
		return nil, err
	}
	return db.findForm(ctx, db.read, `f.id = $1`, id)
}

func (db *DB) findForm(ctx context.Context, q queryer, where string, arg any) (*crm.Form, error) {
	f, err := scanForm(q.QueryRowContext(ctx, `SELECT `+formCols+formFrom+` WHERE `+where, arg))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "form not found")
	}
	return f, db.mapErr(err)
}

// CreateForm stores a form; its consent wordings become version 1.
func (db *DB) CreateForm(ctx context.Context, in crm.FormInput) (*crm.Form, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write))
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
	f := crm.Form{Status: crm.FormActive, Consents: []crm.FormConsent{}}
	if in.OwnerID == nil && a.UserID != 0 {
		f.OwnerID = &a.UserID
	}
	applyFormInput(&f, &in)
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := tx.checkFormOwner(ctx, f.OwnerID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO forms (slug, name, status, language, title, intro, submit_label, fields, consents, double_opt_in,
			owner_id, success_message, redirect_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $10, $11, $12, $13, $13) RETURNING id`,
			f.Slug, f.Name, f.Status, f.Language, f.Title, f.Intro, f.SubmitLabel, jsonText(f.Fields), f.DoubleOptIn,
			nullID(f.OwnerID), f.SuccessMessage, f.RedirectURL, ms(tx.now)).Scan(&id); err != nil {
			return slugConflict(err, db)
		}
		f.ID = id
		if err := tx.versionConsents(ctx, &f, nil); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "form", id, nil, &f)
	})
	if err != nil {
		return nil, err
	}
	return db.findForm(ctx, db.write, `f.id = $1`, id)
}

// slugConflict names the slug field when the unique index refused it.
func slugConflict(err error, db *DB) error {
	err = db.mapErr(err)
	if crm.ErrorCode(err) == crm.ECONFLICT {
		return &crm.Error{Code: crm.ECONFLICT, Message: "another form has this address",
			Fields: []crm.FieldError{{Field: "slug", Key: "slug_taken"}}}
	}
	return err
}

func (tx *Tx) checkFormOwner(ctx context.Context, owner *int64) error {
	if owner == nil {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, *owner).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		var v crm.Validation
		v.Add("owner_id", "invalid_choice")
		return v.Err()
	}
	return nil
}

func applyFormInput(f *crm.Form, in *crm.FormInput) {
	set := func(dst, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&f.Slug, in.Slug)
	set(&f.Name, in.Name)
	set(&f.Status, in.Status)
	set(&f.Language, in.Language)
	set(&f.Title, in.Title)
	set(&f.Intro, in.Intro)
	set(&f.SubmitLabel, in.SubmitLabel)
	set(&f.SuccessMessage, in.SuccessMessage)
	set(&f.RedirectURL, in.RedirectURL)
	if in.Fields != nil {
		f.Fields = *in.Fields
	}
	if in.Consents != nil {
		f.Consents = *in.Consents
	}
	if in.DoubleOptIn != nil {
		f.DoubleOptIn = *in.DoubleOptIn
	}
	f.OwnerID = setRef(f.OwnerID, in.OwnerID)
}

// versionConsents gives each of want its version: the current one when
// its wording is unchanged, else a new version recorded in
// form_consent_versions (old versions stay, so every ledger entry keeps
// naming the text that was shown). want nil keeps f.Consents as they are
// given. It writes the form's consents column.
func (tx *Tx) versionConsents(ctx context.Context, f *crm.Form, want []crm.FormConsent) error {
	if want == nil {
		want = f.Consents
	}
	out := make([]crm.FormConsent, len(want))
	for i, c := range want {
		var latest int
		var wording sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT version, wording FROM form_consent_versions WHERE form_id = $1 AND purpose = $2 AND channel = $3 ORDER BY version DESC LIMIT 1`,
			f.ID, c.Purpose, c.Channel).Scan(&latest, &wording)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		c.Version = latest
		if !wording.Valid || wording.String != c.Wording {
			c.Version = latest + 1
			if _, err := tx.ExecContext(ctx, `INSERT INTO form_consent_versions (form_id, purpose, channel, version, wording, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				f.ID, c.Purpose, c.Channel, c.Version, c.Wording, ms(tx.now)); err != nil {
				return err
			}
		}
		out[i] = c
	}
	f.Consents = out
	_, err := tx.ExecContext(ctx, `UPDATE forms SET consents = $1 WHERE id = $2`, jsonText(out), f.ID)
	return err
}

// UpdateForm applies the set fields; a changed consent wording gets a new
// version.
func (db *DB) UpdateForm(ctx context.Context, id int64, in crm.FormInput) (*crm.Form, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write)); err != nil {
		return nil, err
	}
	defs, err := db.customFields(ctx, db.read, "contact")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false, defs); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findForm(ctx, tx, `f.id = $1`, id)
		if err != nil {
			return err
		}
		f := *before
		applyFormInput(&f, &in)
		if err := tx.checkFormOwner(ctx, f.OwnerID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET slug=$1, name=$2, status=$3, language=$4, title=$5, intro=$6, submit_label=$7, fields=$8,
			double_opt_in=$9, owner_id=$10, success_message=$11, redirect_url=$12, updated_at=$13 WHERE id=$14`,
			f.Slug, f.Name, f.Status, f.Language, f.Title, f.Intro, f.SubmitLabel, jsonText(f.Fields), f.DoubleOptIn, nullID(f.OwnerID),
			f.SuccessMessage, f.RedirectURL, ms(tx.now), id); err != nil {
			return slugConflict(err, db)
		}
		if in.Consents != nil {
			if err := tx.versionConsents(ctx, &f, *in.Consents); err != nil {
				return err
			}
		}
		f.UpdatedAt = tx.now
		return tx.audit(ctx, "update", "form", id, before, &f)
	})
	if err != nil {
		return nil, err
	}
	return db.findForm(ctx, db.write, `f.id = $1`, id)
}

// DeleteForm deletes a form nobody has submitted yet. Submissions are the
// record of what people agreed to, so a form with any is archived
// instead, and that is what the caller is told (409).
func (db *DB) DeleteForm(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findForm(ctx, tx, `f.id = $1`, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM form_submissions WHERE form_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &crm.Error{Code: crm.ECONFLICT, Message: "the form has submissions: archive it instead",
				Fields: []crm.FieldError{{Field: "status", Key: "form_has_submissions"}}}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM form_consent_versions WHERE form_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM forms WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "form", id, before, nil)
	})
}

// FormConsentVersions lists every wording of a form's checkboxes, newest first.
func (db *DB) FormConsentVersions(ctx context.Context, formID int64) ([]*crm.FormConsentVersion, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT form_id, purpose, channel, version, wording, created_at FROM form_consent_versions WHERE form_id = $1 ORDER BY id DESC`, formID)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.FormConsentVersion{}
	for rows.Next() {
		var v crm.FormConsentVersion
		var at int64
		if err := rows.Scan(&v.FormID, &v.Purpose, &v.Channel, &v.Version, &v.Wording, &at); err != nil {
			return nil, db.mapErr(err)
		}
		v.CreatedAt = fromMS(at)
		out = append(out, &v)
	}
	return out, db.mapErr(rows.Err())
}

// FindPublicForm returns an active form by its address, for the public
// page (system actor).
func (db *DB) FindPublicForm(ctx context.Context, slug string) (*crm.Form, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write)); err != nil {
		return nil, err
	}
	if !crm.ValidFormSlug(slug) {
		return nil, crm.Errorf(crm.ENOTFOUND, "form not found")
	}
	f, err := db.findForm(ctx, db.read, `f.slug = $1`, slug)
	if err == nil && f.Status != crm.FormActive {
		return nil, crm.Errorf(crm.ENOTFOUND, "form not found")
	}
	return f, err
}

// CountFormView adds one to the form's views (the console's conversion
// rate). It is a single-row update with no audit entry: views are a
// counter, not a change anyone made.
func (db *DB) CountFormView(ctx context.Context, formID int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE forms SET views = views + 1 WHERE id = $1`, formID)
		return err
	})
}

// Forms travel whole with the export: definitions, every consent wording
// and every submission (the proof of what people were asked).
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{Name: "forms", Columns: cols("id:int slug name status language title intro submit_label fields consents double_opt_in:bool owner_id:int success_message redirect_url views:int submissions:int created_at:int updated_at:int"), Sequence: "forms_id_seq"},
		DumpTable{Name: "form_consent_versions", Columns: cols("id:int form_id:int purpose channel version:int wording created_at:int"), Sequence: "form_consent_versions_id_seq"},
		DumpTable{Name: "form_submissions", Columns: cols("id:int form_id:int contact_id:int answers consents ip user_agent visitor_id status created_at:int confirmed_at:int confirm_ip confirm_user_agent"), Sequence: "form_submissions_id_seq"},
	)
}
