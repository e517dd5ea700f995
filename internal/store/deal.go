package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

const dealCols = `d.id, d.title, d.pipeline_id, d.stage_id, d.amount, d.currency, d.expected_close, d.probability, s.probability,
	d.owner_id, d.contact_id, d.company_id, d.status, d.lost_reason, d.closed_at, d.created_at, d.updated_at,
	p.name, s.name, COALESCE(u.name, ''), COALESCE(TRIM(c.first_name || ' ' || c.last_name), ''), COALESCE(co.name, '')`

const dealFrom = ` FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN pipeline_stages s ON s.id = d.stage_id
	LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN contacts c ON c.id = d.contact_id LEFT JOIN companies co ON co.id = d.company_id`

func scanDeal(row interface{ Scan(...any) error }) (*crm.Deal, error) {
	var d crm.Deal
	var prob sql.NullInt64
	var stageProb int
	var owner, contact, company, closed sql.NullInt64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.Title, &d.PipelineID, &d.StageID, &d.Amount, &d.Currency, &d.ExpectedClose, &prob, &stageProb,
		&owner, &contact, &company, &d.Status, &d.LostReason, &closed, &created, &updated,
		&d.PipelineName, &d.StageName, &d.OwnerName, &d.ContactName, &d.CompanyName); err != nil {
		return nil, err
	}
	d.Probability, d.ProbabilitySet = stageProb, prob.Valid
	if prob.Valid {
		d.Probability = int(prob.Int64)
	}
	d.OwnerID, d.ContactID, d.CompanyID = idPtr(owner), idPtr(contact), idPtr(company)
	d.ClosedAt = fromNullMS(closed)
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	d.Lines = []crm.DealLine{}
	return &d, nil
}

// FindDealByID returns a deal with its lines and stage history; own-only
// actors see only the deals they own.
func (db *DB) FindDealByID(ctx context.Context, id int64) (*crm.Deal, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Read))
	if err != nil {
		return nil, err
	}
	d, err := db.findDeal(ctx, db.read, a, id)
	if err != nil {
		return nil, err
	}
	if d.History, err = db.dealHistory(ctx, db.read, id); err != nil {
		return nil, err
	}
	return d, nil
}

func (db *DB) findDeal(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Deal, error) {
	query := `SELECT ` + dealCols + dealFrom + ` WHERE d.id = $1`
	args := []any{id}
	if a.Restricted() {
		query += ` AND d.owner_id = $2`
		args = append(args, a.UserID)
	}
	d, err := scanDeal(q.QueryRowContext(ctx, query, args...))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "deal %d not found", id)
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	if err := db.dealLines(ctx, q, []*crm.Deal{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// dealLines fills the lines of deals in one query.
func (db *DB) dealLines(ctx context.Context, q queryer, deals []*crm.Deal) error {
	if len(deals) == 0 {
		return nil
	}
	lq := &listQuery{d: db.dialect}
	byID := make(map[int64]*crm.Deal, len(deals))
	ph := make([]string, len(deals))
	for i, d := range deals {
		ph[i] = lq.arg(d.ID)
		byID[d.ID] = d
	}
	rows, err := q.QueryContext(ctx, `SELECT deal_id, id, product_id, sku, name, quantity, unit_price, discount, tax_rate_bp, total
		FROM deal_lines WHERE deal_id IN (`+strings.Join(ph, ", ")+`) ORDER BY deal_id, position`, lq.args...)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l crm.DealLine
		var dealID int64
		var product sql.NullInt64
		if err := rows.Scan(&dealID, &l.ID, &product, &l.SKU, &l.Name, &l.Quantity, &l.UnitPrice, &l.Discount, &l.TaxRateBP, &l.Total); err != nil {
			return err
		}
		l.ProductID = idPtr(product)
		byID[dealID].Lines = append(byID[dealID].Lines, l)
	}
	return db.mapErr(rows.Err())
}

func (db *DB) dealHistory(ctx context.Context, q queryer, id int64) ([]crm.StageChange, error) {
	rows, err := q.QueryContext(ctx, `SELECT from_stage_id, to_stage_id, from_name, to_name, actor, at FROM deal_stage_history WHERE deal_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []crm.StageChange{}
	for rows.Next() {
		var c crm.StageChange
		var from sql.NullInt64
		var at int64
		if err := rows.Scan(&from, &c.ToStageID, &c.FromName, &c.ToName, &c.Actor, &at); err != nil {
			return nil, err
		}
		c.FromStageID, c.At = idPtr(from), fromMS(at)
		out = append(out, c)
	}
	return out, db.mapErr(rows.Err())
}

var dealSortSpecs = map[string]sortSpec{
	"title": {col: "d.sort_title"}, "expected_close": {col: "d.expected_close"},
	"amount": {col: "d.amount", numeric: true}, "probability": {col: "COALESCE(d.probability, s.probability)", numeric: true},
	"created_at": {col: "d.created_at", numeric: true}, "updated_at": {col: "d.updated_at", numeric: true},
}

// dealWhere adds f's conditions (and own-only) to q.
func dealWhere(q *listQuery, a *crm.Actor, f crm.DealFilter) error {
	if a.Restricted() {
		q.add("d.owner_id = " + q.arg(a.UserID))
	}
	if err := checkQuery(f.Query); err != nil {
		return err
	}
	if s := strings.ToLower(strings.TrimSpace(f.Query)); s != "" {
		q.add("d.sort_title LIKE " + q.arg("%"+escapeLike(s)+"%") + " ESCAPE '\\'")
	}
	ids := []struct {
		col string
		p   *int64
	}{{"d.pipeline_id", f.PipelineID}, {"d.stage_id", f.StageID}, {"d.contact_id", f.ContactID}}
	for _, c := range ids {
		if c.p != nil {
			q.add(c.col + " = " + q.arg(*c.p))
		}
	}
	if f.CompanyID != nil {
		p := q.arg(*f.CompanyID)
		q.add("(d.company_id = " + p + " OR d.contact_id IN (SELECT id FROM contacts WHERE company_id = " + p + "))")
	}
	if f.OwnerID != nil {
		if *f.OwnerID == 0 {
			q.add("d.owner_id IS NULL")
		} else {
			q.add("d.owner_id = " + q.arg(*f.OwnerID))
		}
	}
	var v crm.Validation
	if f.Status != "" {
		if !slices.Contains(crm.DealStatuses, f.Status) {
			v.Add("status", "invalid_choice")
		}
		q.add("d.status = " + q.arg(f.Status))
	}
	for _, r := range []struct {
		name, val, op string
	}{{"close_from", f.CloseFrom, ">="}, {"close_to", f.CloseTo, "<="}} {
		if r.val == "" {
			continue
		}
		if !validDate(r.val) {
			v.Add(r.name, "invalid_date")
		}
		q.add("d.expected_close <> '' AND d.expected_close " + r.op + " " + q.arg(r.val))
	}
	return v.Err()
}

// FindDeals lists deals matching f.
func (db *DB) FindDeals(ctx context.Context, f crm.DealFilter) (crm.Page[*crm.Deal], error) {
	var page crm.Page[*crm.Deal]
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Read))
	if err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if err := dealWhere(q, a, f); err != nil {
		return page, err
	}
	spec, desc, err := parseSort(f.Sort, dealSortSpecs, "title")
	if err != nil {
		return page, err
	}
	if f.WithTotal {
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deals d WHERE `+q.sql(), q.args...).Scan(&page.Total); err != nil {
			return page, db.mapErr(err)
		}
	}
	order, err := q.keyset("d", spec, desc, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+dealCols+dealFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDeal(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, d)
	}
	if err := rows.Err(); err != nil {
		return page, db.mapErr(err)
	}
	rows.Close()
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		k := keyCursor{ID: last.ID}
		switch strings.TrimPrefix(f.Sort, "-") {
		case "expected_close":
			k.Key = last.ExpectedClose
		case "amount":
			k.Num = last.Amount
		case "probability":
			k.Num = int64(last.Probability)
		case "created_at":
			k.Num = ms(last.CreatedAt)
		case "updated_at":
			k.Num = ms(last.UpdatedAt)
		default:
			k.Key = strings.ToLower(last.Title)
		}
		page.Next = encodeCursor(k)
	}
	if !f.WithoutLine {
		if err := db.dealLines(ctx, db.read, page.Items); err != nil {
			return page, err
		}
	}
	return page, nil
}
