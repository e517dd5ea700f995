package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Events, visitors and identity (0007_tracking.sql). An event's contact
// is its visitor's: linking a visitor attaches its whole history at once,
// and the events table is never rewritten.

const eventCols = `e.id, e.site_id, e.visitor_id, v.contact_id, e.session_id, e.name, e.url, e.path, e.title, e.referrer,
	e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.product_sku, e.product_name, e.value, e.currency,
	e.props, e.occurred_at, e.received_at`

const eventFrom = ` FROM events e LEFT JOIN visitors v ON v.id = e.visitor_id`

func scanEvent(row interface{ Scan(...any) error }) (*crm.Event, error) {
	var e crm.Event
	var contact, value sql.NullInt64
	var props string
	var occurred, received int64
	if err := row.Scan(&e.ID, &e.SiteID, &e.VisitorID, &contact, &e.SessionID, &e.Name, &e.URL, &e.Path, &e.Title, &e.Referrer,
		&e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMTerm, &e.UTMContent, &e.ProductSKU, &e.ProductName, &value, &e.Currency,
		&props, &occurred, &received); err != nil {
		return nil, err
	}
	e.ContactID, e.Value = idPtr(contact), idPtr(value)
	e.Props = map[string]any{}
	json.Unmarshal([]byte(props), &e.Props)
	e.OccurredAt, e.ReceivedAt = fromMS(occurred), fromMS(received)
	return &e, nil
}

// FindEvents lists events newest first. A role that sees only its own
// records sees only events of visitors linked to contacts it owns.
func (db *DB) FindEvents(ctx context.Context, f crm.EventFilter) (crm.Page[*crm.Event], error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Read))
	if err != nil {
		return crm.Page[*crm.Event]{}, err
	}
	q := listQuery{d: db.dialect}
	if f.SiteID != nil {
		q.add("e.site_id = " + q.arg(*f.SiteID))
	}
	if f.VisitorID != "" {
		q.add("e.visitor_id = " + q.arg(f.VisitorID))
	}
	if f.ContactID != nil {
		q.add("e.visitor_id IN (SELECT id FROM visitors WHERE contact_id = " + q.arg(*f.ContactID) + ")")
	}
	if a.Restricted() {
		q.add("e.visitor_id IN (SELECT vv.id FROM visitors vv JOIN contacts c ON c.id = vv.contact_id WHERE c.owner_id = " + q.arg(a.UserID) + ")")
	}
	if f.Name != "" {
		q.add("e.name = " + q.arg(f.Name))
	}
	if f.Since != nil {
		q.add("e.occurred_at >= " + q.arg(ms(*f.Since)))
	}
	if f.Until != nil {
		q.add("e.occurred_at < " + q.arg(ms(*f.Until)))
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return crm.Page[*crm.Event]{}, err
		}
		q.add("e.id < " + q.arg(c.ID))
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+eventCols+eventFrom+` WHERE `+q.sql()+` ORDER BY e.id DESC LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return crm.Page[*crm.Event]{}, db.mapErr(err)
	}
	defer rows.Close()
	p := crm.Page[*crm.Event]{Items: []*crm.Event{}}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, e)
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = encodeCursor(idCursor{p.Items[limit-1].ID})
	}
	return p, db.mapErr(rows.Err())
}

const visitorCols = `id, site_id, contact_id, first_seen, last_seen, linked_at, link_source`

func scanVisitor(row interface{ Scan(...any) error }) (*crm.Visitor, error) {
	var v crm.Visitor
	var site, contact, linked sql.NullInt64
	var first, last int64
	if err := row.Scan(&v.ID, &site, &contact, &first, &last, &linked, &v.LinkSource); err != nil {
		return nil, err
	}
	v.SiteID, v.ContactID, v.LinkedAt = idPtr(site), idPtr(contact), fromNullMS(linked)
	v.FirstSeen, v.LastSeen = fromMS(first), fromMS(last)
	return &v, nil
}

// FindVisitor returns one visitor.
func (db *DB) FindVisitor(ctx context.Context, id string) (*crm.Visitor, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Read))
	if err != nil {
		return nil, err
	}
	v, err := scanVisitor(db.read.QueryRowContext(ctx, `SELECT `+visitorCols+` FROM visitors WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "visitor not found")
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	if a.Restricted() {
		if v.ContactID == nil {
			return nil, crm.Errorf(crm.ENOTFOUND, "visitor not found")
		}
		if _, err := db.findContact(ctx, db.read, a, *v.ContactID); err != nil {
			return nil, crm.Errorf(crm.ENOTFOUND, "visitor not found")
		}
	}
	return v, nil
}

// LinkVisitor attaches a visitor to a contact (crm.TrackingService).
func (db *DB) LinkVisitor(ctx context.Context, visitorID string, contactID int64, source string) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write))
	if err != nil {
		return err
	}
	var v crm.Validation
	if !crm.VisitorIDRe.MatchString(visitorID) {
		v.Add("visitor_id", "invalid_value")
	}
	if !slices.Contains(crm.LinkSources, source) {
		v.Add("source", "invalid_choice")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := db.findContact(ctx, tx, a, contactID); err != nil {
			if crm.ErrorCode(err) == crm.ENOTFOUND {
				var v crm.Validation
				v.Add("contact_id", "not_found")
				return v.Err()
			}
			return err
		}
		return tx.linkVisitor(ctx, visitorID, contactID, source)
	})
}

func (tx *Tx) linkVisitor(ctx context.Context, visitorID string, contactID int64, source string) error {
	now := ms(tx.now)
	var firstSeen int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO visitors (id, contact_id, first_seen, last_seen, linked_at, link_source) VALUES ($1, $2, $3, $3, $3, $4)
		ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, linked_at = excluded.linked_at, link_source = excluded.link_source
		RETURNING first_seen`,
		visitorID, contactID, now, source).Scan(&firstSeen); err != nil {
		return err
	}
	if err := tx.audit(ctx, "link_visitor", "contact", contactID, nil, map[string]string{"visitor_id": visitorID, "source": source}); err != nil {
		return err
	}
	return tx.bannerConsent(ctx, visitorID, contactID, fromMS(firstSeen))
}

// bannerWording is what the snippet's banner asks before it makes a
// visitor id; the ledger entry of a linked visitor names it.
const bannerWording = "Accepted analytics in the website's cookie banner (ecrm snippet)"

// bannerConsent puts the analytics consent a visitor gave in the banner on
// the contact's ledger once the visitor is known: the snippet makes a
// visitor id only after that consent, so a linked visitor is proof of it,
// given no later than the visitor was first seen. The newer word wins: a
// contact whose analytics state is granted gets no new entry, and neither
// does one whose newest entry (a withdrawal in the preference centre, say)
// is as recent as the visitor or more — a browser that consented before
// the person withdrew does not consent again by being linked. A browser
// told of the withdrawal forgets its id; consenting in the banner anew
// makes a new visitor, first seen after the withdrawal, and linking that
// one records a fresh grant.
func (tx *Tx) bannerConsent(ctx context.Context, visitorID string, contactID int64, firstSeen time.Time) error {
	latest, err := scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE contact_id = $1 AND purpose = $2 AND channel = $3 ORDER BY at DESC, id DESC LIMIT 1`,
		contactID, crm.PurposeAnalytics, crm.ChannelWeb))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		latest = nil
	case err != nil:
		return err
	}
	if latest.Current(tx.now) || latest != nil && !latest.At.Before(firstSeen) {
		return nil
	}
	ref := visitorID
	if len(ref) > 8 {
		ref = ref[:8]
	}
	_, err = tx.appendConsent(ctx, crm.SystemActor, crm.ConsentInput{ContactID: contactID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb,
		Status: crm.ConsentGranted, LegalBasis: crm.BasisConsent, Source: crm.SourceTracking, SourceRef: "visitor " + ref,
		WordingVersion: "banner-1", Wording: bannerWording})
	return err
}

// IdentifyVisitor links a visitor to the contact with this email, making
// the contact when there is none (crm.TrackingService). The caller has
// verified the email; creating a contact needs contacts:write as well.
func (db *DB) IdentifyVisitor(ctx context.Context, visitorID, email, source string) (int64, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return 0, err
	}
	// Looking a contact up by email tells the caller who exists.
	if _, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Read)); err != nil {
		return 0, err
	}
	norm, ok := crm.NormalizeEmail(email)
	var v crm.Validation
	if !ok {
		v.Add("email", "invalid_email")
	}
	if !crm.VisitorIDRe.MatchString(visitorID) {
		v.Add("visitor_id", "invalid_value")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE email = $1 ORDER BY contact_id LIMIT 1`, norm).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		src := "web"
		c, err := db.CreateContact(ctx, crm.ContactInput{Email: &norm, Source: &src})
		if err != nil {
			return 0, err
		}
		id = c.ID
	case err != nil:
		return 0, db.mapErr(err)
	}
	return id, db.LinkVisitor(ctx, visitorID, id, source)
}

// webWeek is the window of the 360 page's summary.
const webWeek = 7 * 24 * time.Hour

// WebActivity summarises a contact's browsing for the 360 page.
func (db *DB) WebActivity(ctx context.Context, contactID int64) (*crm.WebActivity, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Read))
	if err != nil {
		return nil, err
	}
	if _, err := db.findContact(ctx, db.read, a, contactID); err != nil {
		return nil, err
	}
	w := &crm.WebActivity{ContactID: contactID, ProductViews: []*crm.ProductViews{}, Visitors: []*crm.Visitor{}, Sessions: []*crm.WebSession{}}
	rows, err := db.read.QueryContext(ctx, `SELECT `+visitorCols+` FROM visitors WHERE contact_id = $1 ORDER BY last_seen DESC LIMIT 20`, contactID)
	if err != nil {
		return nil, db.mapErr(err)
	}
	for rows.Next() {
		v, err := scanVisitor(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		w.Visitors = append(w.Visitors, v)
	}
	rows.Close()
	if len(w.Visitors) == 0 {
		return w, nil
	}
	week := ms(db.Now().Add(-webWeek))
	mine := `e.visitor_id IN (SELECT id FROM visitors WHERE contact_id = $1)`
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events e WHERE `+mine+` AND e.name = $2 AND e.occurred_at >= $3`,
		contactID, crm.EventPageView, week).Scan(&w.PageViews7d); err != nil {
		return nil, db.mapErr(err)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT e.product_sku, MAX(e.product_name), COUNT(*), MAX(e.occurred_at) FROM events e
		WHERE `+mine+` AND e.name = $2 AND e.occurred_at >= $3 AND (e.product_sku <> '' OR e.product_name <> '')
		GROUP BY e.product_sku ORDER BY COUNT(*) DESC, MAX(e.occurred_at) DESC LIMIT 10`, contactID, crm.EventProduct, week)
	if err != nil {
		return nil, db.mapErr(err)
	}
	for rows.Next() {
		var p crm.ProductViews
		var last int64
		if err := rows.Scan(&p.SKU, &p.Name, &p.Views, &last); err != nil {
			rows.Close()
			return nil, err
		}
		p.Last = fromMS(last)
		w.ProductViews = append(w.ProductViews, &p)
	}
	rows.Close()
	// The latest sessions: the newest 200 events, grouped by session.
	rows, err = db.read.QueryContext(ctx, `SELECT `+eventCols+eventFrom+` WHERE `+mine+` ORDER BY e.occurred_at DESC, e.id DESC LIMIT 200`, contactID)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	bySession := map[string]*crm.WebSession{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		key := e.VisitorID + "/" + e.SessionID
		s, ok := bySession[key]
		if !ok {
			if len(w.Sessions) == 5 {
				continue
			}
			s = &crm.WebSession{ID: e.SessionID, Start: e.OccurredAt, End: e.OccurredAt}
			bySession[key] = s
			w.Sessions = append(w.Sessions, s)
		}
		s.Start = e.OccurredAt
		s.Events = append(s.Events, e)
	}
	for _, s := range w.Sessions {
		slices.Reverse(s.Events)
	}
	return w, db.mapErr(rows.Err())
}

// SiteStats are a site's cookieless and consented figures since a time.
func (db *DB) SiteStats(ctx context.Context, id int64, since time.Time) (*crm.SiteStats, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Read)); err != nil {
		return nil, err
	}
	if _, err := db.findSite(ctx, db.read, id); err != nil {
		return nil, err
	}
	st := &crm.SiteStats{Since: since, TopPaths: []*crm.PageCount{}, ConsentedDays: []*crm.DayCount{}}
	day := ms(since) / dayMS
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM page_counts WHERE site_id = $1 AND day >= $2`, id, day).Scan(&st.PageViews); err != nil {
		return nil, db.mapErr(err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT visitor_id) FROM events WHERE site_id = $1 AND occurred_at >= $2`, id, ms(since)).Scan(&st.Events, &st.Visitors); err != nil {
		return nil, db.mapErr(err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT path, SUM(count) FROM page_counts WHERE site_id = $1 AND day >= $2 GROUP BY path ORDER BY SUM(count) DESC, path LIMIT 20`, id, day)
	if err != nil {
		return nil, db.mapErr(err)
	}
	for rows.Next() {
		var p crm.PageCount
		if err := rows.Scan(&p.Path, &p.Count); err != nil {
			rows.Close()
			return nil, err
		}
		st.TopPaths = append(st.TopPaths, &p)
	}
	rows.Close()
	rows, err = db.read.QueryContext(ctx, `SELECT occurred_at / `+itoa(dayMS)+` AS d, COUNT(*) FROM events WHERE site_id = $1 AND occurred_at >= $2 GROUP BY d ORDER BY d`, id, ms(since))
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		st.ConsentedDays = append(st.ConsentedDays, &crm.DayCount{Day: time.UnixMilli(d * dayMS).UTC().Format(time.DateOnly), Count: n})
	}
	return st, db.mapErr(rows.Err())
}
