package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// CreateDeal validates and stores a deal. Without a pipeline it goes to
// the first one, without a stage to the pipeline's first stage; its owner
// is the creating user unless another is named.
func (db *DB) CreateDeal(ctx context.Context, in crm.DealInput) (*crm.Deal, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	if err := checkOwnerAssign(a, in.OwnerID); err != nil {
		return nil, err
	}
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		d := &crm.Deal{Status: crm.DealOpen, Lines: []crm.DealLine{}}
		if in.OwnerID == nil && a.UserID != 0 {
			d.OwnerID = &a.UserID
		}
		if err := tx.applyDeal(ctx, a, d, nil, &in); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO deals (title, sort_title, pipeline_id, stage_id, amount, currency, expected_close, probability,
			owner_id, contact_id, company_id, status, lost_reason, closed_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			d.Title, strings.ToLower(d.Title), d.PipelineID, d.StageID, d.Amount, d.Currency, d.ExpectedClose, dealProb(d),
			nullID(d.OwnerID), nullID(d.ContactID), nullID(d.CompanyID), d.Status, d.LostReason, nullMS(d.ClosedAt), ms(tx.now)).Scan(&d.ID); err != nil {
			return err
		}
		id = d.ID
		d.CreatedAt, d.UpdatedAt = tx.now, tx.now
		if err := tx.writeDealLines(ctx, d, true); err != nil {
			return err
		}
		if err := tx.dealHistory(ctx, d.ID, nil, d.StageID, "", d.StageName); err != nil {
			return err
		}
		if err := tx.audit(ctx, "create", "deal", d.ID, nil, d); err != nil {
			return err
		}
		return tx.dealEvents(ctx, nil, d)
	})
	if err != nil {
		return nil, err
	}
	return db.dealAfterWrite(ctx, id)
}

// UpdateDeal applies the set fields. A new stage (or status) is a move:
// it is recorded in the history and emitted like MoveDeal.
func (db *DB) UpdateDeal(ctx context.Context, id int64, in crm.DealInput) (*crm.Deal, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	if err := checkOwnerAssign(a, in.OwnerID); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findDeal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		d := *before
		d.Lines = slices.Clone(before.Lines)
		if err := tx.applyDeal(ctx, a, &d, before, &in); err != nil {
			return err
		}
		d.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET title=$1, sort_title=$2, pipeline_id=$3, stage_id=$4, amount=$5, currency=$6, expected_close=$7,
			probability=$8, owner_id=$9, contact_id=$10, company_id=$11, status=$12, lost_reason=$13, closed_at=$14, updated_at=$15 WHERE id=$16`,
			d.Title, strings.ToLower(d.Title), d.PipelineID, d.StageID, d.Amount, d.Currency, d.ExpectedClose, dealProb(&d),
			nullID(d.OwnerID), nullID(d.ContactID), nullID(d.CompanyID), d.Status, d.LostReason, nullMS(d.ClosedAt), ms(tx.now), id); err != nil {
			return err
		}
		if in.Lines != nil {
			if err := tx.writeDealLines(ctx, &d, false); err != nil {
				return err
			}
		}
		if d.StageID != before.StageID {
			if err := tx.dealHistory(ctx, id, &before.StageID, d.StageID, before.StageName, d.StageName); err != nil {
				return err
			}
		}
		if err := tx.audit(ctx, "update", "deal", id, before, &d); err != nil {
			return err
		}
		return tx.dealEvents(ctx, before, &d)
	})
	if err != nil {
		return nil, err
	}
	return db.dealAfterWrite(ctx, id)
}

// MoveDeal moves a deal to another stage of its pipeline.
func (db *DB) MoveDeal(ctx context.Context, id int64, in crm.DealStageInput) (*crm.Deal, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	up := crm.DealInput{StageID: &in.StageID}
	if in.LostReason != "" {
		up.LostReason = &in.LostReason
	}
	return db.UpdateDeal(ctx, id, up)
}

// DeleteDeal removes a deal with its lines and history; orders made from
// its quote keep their (now dangling) deal id.
func (db *DB) DeleteDeal(ctx context.Context, id int64) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Write))
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findDeal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deals WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "deal", id, before, nil)
	})
}

// applyDeal copies in onto d (before is nil on create), resolving the
// stage, people and product lines and keeping the status in step with
// the stage.
func (tx *Tx) applyDeal(ctx context.Context, a *crm.Actor, d *crm.Deal, before *crm.Deal, in *crm.DealInput) error {
	if in.Title != nil {
		d.Title = *in.Title
	}
	if in.Currency != nil {
		d.Currency = *in.Currency
	}
	if in.ExpectedClose != nil {
		d.ExpectedClose = *in.ExpectedClose
	}
	if in.LostReason != nil {
		d.LostReason = *in.LostReason
	}
	d.OwnerID = setRef(d.OwnerID, in.OwnerID)
	d.ContactID = setRef(d.ContactID, in.ContactID)
	d.CompanyID = setRef(d.CompanyID, in.CompanyID)
	if in.ContactID != nil && d.ContactID != nil {
		if err := tx.db.visibleParent(ctx, tx, a, d.ContactID, nil); err != nil {
			return invalidRef(err, true)
		}
	}
	if in.CompanyID != nil && d.CompanyID != nil {
		if err := tx.db.visibleParent(ctx, tx, a, nil, d.CompanyID); err != nil {
			return invalidRef(err, false)
		}
	}
	if before == nil || in.PipelineID != nil || in.StageID != nil || in.Status != nil {
		st, err := tx.resolveStage(ctx, before, in)
		if err != nil {
			return err
		}
		d.PipelineID, d.StageID, d.StageName = st.PipelineID, st.ID, st.Name
		d.Probability = st.Probability
		if in.Status != nil && *in.Status != st.Kind {
			d.Status = *in.Status // the pipeline has no stage of that kind
		} else {
			d.Status = st.Kind
		}
	}
	if in.Probability != nil {
		d.ProbabilitySet = *in.Probability >= 0
		if d.ProbabilitySet {
			d.Probability = *in.Probability
		}
	} else if before != nil && before.ProbabilitySet {
		d.Probability = before.Probability
	}
	switch {
	case d.Status == crm.DealOpen:
		d.ClosedAt, d.LostReason = nil, ""
	case before == nil || before.Status != d.Status:
		now := tx.now
		d.ClosedAt = &now
	}
	if d.Status != crm.DealLost {
		d.LostReason = ""
	}
	currencyChanged := before != nil && before.Currency != d.Currency
	if in.Lines != nil || (currencyChanged && len(d.Lines) > 0) {
		src := in.Lines
		if src == nil {
			kept := make([]crm.DealLineInput, len(d.Lines))
			for i, l := range d.Lines {
				kept[i] = crm.DealLineInput{SKU: l.SKU, Quantity: l.Quantity, Discount: l.Discount}
			}
			src = &kept
			in.Lines = src
		}
		var prev []crm.DealLine
		if !currencyChanged {
			prev = d.Lines
		}
		lines, err := tx.db.priceDealLines(ctx, *src, d.Currency, prev)
		if err != nil {
			return err
		}
		d.Lines = lines
	}
	if in.Amount != nil {
		d.Amount = *in.Amount
	}
	if len(d.Lines) > 0 {
		var sum int64
		for _, l := range d.Lines {
			sum += l.Total
		}
		if sum > crm.MaxAmount {
			var v crm.Validation
			v.Add("lines", "amount_too_large")
			return v.Err()
		}
		d.Amount = sum
	}
	return nil
}

// resolveStage finds the stage a deal goes to. A stage must belong to the
// deal's pipeline (the one named, or the current one); a status alone
// picks the pipeline's first stage of that kind.
func (tx *Tx) resolveStage(ctx context.Context, before *crm.Deal, in *crm.DealInput) (*crm.Stage, error) {
	var pid int64
	if before != nil {
		pid = before.PipelineID
	}
	if in.PipelineID != nil {
		pid = *in.PipelineID
	}
	fail := func(field, key string) error {
		return &crm.Error{Code: crm.EINVALID, Message: "validation failed", Fields: []crm.FieldError{{Field: field, Key: key}}}
	}
	if in.StageID != nil {
		st, err := tx.db.stageOf(ctx, tx, *in.StageID)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return nil, fail("stage_id", "not_found")
		}
		if err != nil {
			return nil, err
		}
		if pid != 0 && st.PipelineID != pid {
			return nil, fail("stage_id", "stage_not_in_pipeline")
		}
		return st, nil
	}
	if pid == 0 {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM pipelines ORDER BY position, id LIMIT 1`).Scan(&pid); err != nil {
			return nil, fail("pipeline_id", "required")
		}
	}
	p, err := tx.db.pipeline(ctx, tx, crm.SystemActor, pid)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil, fail("pipeline_id", "not_found")
	}
	if err != nil {
		return nil, err
	}
	if len(p.Stages) == 0 {
		return nil, fail("pipeline_id", "required")
	}
	st := &p.Stages[0]
	if before != nil && before.PipelineID == pid {
		st = p.Stage(before.StageID)
	}
	if in.Status != nil && *in.Status != st.Kind {
		if s := p.FirstOfKind(*in.Status); s != nil {
			st = s
		}
	}
	return st, nil
}

// priceDealLines prices lines from their products in the deal's currency.
// A SKU already on the deal (prev) keeps the price and name it was added
// at: a quote must not change under the customer when a list price does.
func (db *DB) priceDealLines(ctx context.Context, in []crm.DealLineInput, currency string, prev []crm.DealLine) ([]crm.DealLine, error) {
	var v crm.Validation
	out := make([]crm.DealLine, 0, len(in))
	for i, li := range in {
		f := fmt.Sprintf("lines[%d]", i)
		l := crm.DealLine{SKU: li.SKU, Quantity: li.Quantity, Discount: li.Discount}
		if j := slices.IndexFunc(prev, func(p crm.DealLine) bool { return p.SKU == li.SKU }); j >= 0 {
			l.ProductID, l.Name, l.UnitPrice, l.TaxRateBP = prev[j].ProductID, prev[j].Name, prev[j].UnitPrice, prev[j].TaxRateBP
		} else {
			p, err := db.FindProductBySKU(ctx, li.SKU)
			if crm.ErrorCode(err) == crm.ENOTFOUND || (err == nil && !p.Active) {
				v.Add(f+".sku", "unknown_sku")
				continue
			}
			if err != nil {
				return nil, err
			}
			if p.Currency != currency {
				v.Add(f+".sku", "currency_mismatch", p.Currency)
				continue
			}
			pid := p.ID
			l.ProductID, l.Name, l.UnitPrice, l.TaxRateBP = &pid, p.Name, p.Price, p.TaxRateBP
		}
		gross := l.UnitPrice * l.Quantity // ≤ 10¹² × 10⁶, inside int64
		if l.Discount > gross {
			v.Add(f+".discount", "out_of_range")
			continue
		}
		l.Total = gross - l.Discount
		out = append(out, l)
	}
	return out, v.Err()
}

func (tx *Tx) writeDealLines(ctx context.Context, d *crm.Deal, fresh bool) error {
	if !fresh {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deal_lines WHERE deal_id = $1`, d.ID); err != nil {
			return err
		}
	}
	for i, l := range d.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deal_lines (deal_id, position, product_id, sku, name, quantity, unit_price, discount, tax_rate_bp, total)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			d.ID, i, nullID(l.ProductID), l.SKU, l.Name, l.Quantity, l.UnitPrice, l.Discount, l.TaxRateBP, l.Total); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) dealHistory(ctx context.Context, dealID int64, from *int64, to int64, fromName, toName string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, from_name, to_name, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, dealID, nullID(from), to, fromName, toName, crm.ActorFrom(ctx).Label(), ms(tx.now))
	return err
}

// dealEvents emits what changed: created, a stage move, and winning or
// losing (a deal reopened and won again is won again).
func (tx *Tx) dealEvents(ctx context.Context, before, d *crm.Deal) error {
	var events []string
	if before == nil {
		events = append(events, crm.EventDealCreated)
	} else if before.StageID != d.StageID {
		events = append(events, crm.EventDealStageChanged)
	}
	if before == nil || before.Status != d.Status {
		switch d.Status {
		case crm.DealWon:
			events = append(events, crm.EventDealWon)
		case crm.DealLost:
			events = append(events, crm.EventDealLost)
		}
	}
	for _, e := range events {
		if err := tx.emit(ctx, e, d); err != nil {
			return err
		}
	}
	return nil
}

// dealProb is the stored probability: NULL follows the stage.
func dealProb(d *crm.Deal) any {
	if !d.ProbabilitySet {
		return nil
	}
	return d.Probability
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// dealAfterWrite reads a deal back on the write connection, so the answer
// is what was just committed.
func (db *DB) dealAfterWrite(ctx context.Context, id int64) (*crm.Deal, error) {
	d, err := db.findDeal(ctx, db.write, crm.SystemActor, id)
	if err != nil {
		return nil, err
	}
	d.History, err = db.dealHistory(ctx, db.write, id)
	return d, err
}
