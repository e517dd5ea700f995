package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Forecast sums the weighted amounts of open deals by month of expected
// close and by owner, and the amounts won in the same months, per
// currency (amounts in different currencies are never added together).
// Without a range it covers the current month and the eleven after it.
func (db *DB) Forecast(ctx context.Context, f crm.ForecastFilter) (*crm.Forecast, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Read))
	if err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	if f.From == "" {
		f.From = now.Format("2006-01")
	}
	if f.To == "" {
		from, _ := time.Parse("2006-01", f.From)
		f.To = from.AddDate(0, 11, 0).Format("2006-01")
	}
	if f.To < f.From {
		var v crm.Validation
		v.Add("to", "invalid_range")
		return nil, v.Err()
	}
	start, _ := time.Parse("2006-01", f.From)
	end, _ := time.Parse("2006-01", f.To)
	end = end.AddDate(0, 1, 0)
	q := &listQuery{d: db.dialect}
	if a.Restricted() {
		q.add("d.owner_id = " + q.arg(a.UserID))
	}
	if f.PipelineID != nil {
		q.add("d.pipeline_id = " + q.arg(*f.PipelineID))
	}
	if f.OwnerID != nil {
		if *f.OwnerID == 0 {
			q.add("d.owner_id IS NULL")
		} else {
			q.add("d.owner_id = " + q.arg(*f.OwnerID))
		}
	}
	// Dates are text YYYY-MM-DD, so month bounds compare as strings.
	q.add("((d.status = 'open' AND (d.expected_close = '' OR (d.expected_close >= " + q.arg(f.From+"-01") + " AND d.expected_close < " +
		q.arg(end.Format(time.DateOnly)) + "))) OR (d.status = 'won' AND d.closed_at >= " + q.arg(ms(start)) + " AND d.closed_at < " + q.arg(ms(end)) + "))")
	rows, err := db.read.QueryContext(ctx, `SELECT d.status, d.amount, d.currency, COALESCE(d.probability, s.probability), d.expected_close, d.closed_at,
		d.owner_id, COALESCE(u.name, '') FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id LEFT JOIN users u ON u.id = d.owner_id
		WHERE `+q.sql(), q.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var deals []crm.ForecastDeal
	for rows.Next() {
		var fd crm.ForecastDeal
		var closed, owner sql.NullInt64
		if err := rows.Scan(&fd.Status, &fd.Amount, &fd.Currency, &fd.Probability, &fd.ExpectedClose, &closed, &owner, &fd.OwnerName); err != nil {
			return nil, err
		}
		fd.ClosedAt, fd.OwnerID = fromNullMS(closed), idPtr(owner)
		deals = append(deals, fd)
	}
	if err := rows.Err(); err != nil {
		return nil, db.mapErr(err)
	}
	return crm.BuildForecast(deals, f.From, f.To), nil
}
