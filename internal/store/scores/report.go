package scores

import (
	"context"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/clv"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// ValueReport is the customer value report of the analytics home. An
// own-only user's figures are of the customers they own.
func (s *Store) ValueReport(ctx context.Context, atRisk int) (*crm.ValueReport, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResAnalytics, crm.Read))
	if err != nil {
		return nil, err
	}
	if atRisk <= 0 || atRisk > 200 {
		atRisk = 25
	}
	rep := &crm.ValueReport{Currency: s.currency(ctx), Groups: []crm.ValueGroup{}, CLV: []crm.ValueBucket{}, AtRisk: []crm.AtRiskRow{}}
	if rep.Run, err = s.latestOK(ctx); err != nil {
		return nil, s.db.MapErr(err)
	}
	// own restricts to the actor's customers: a join on the owner.
	own, args := "", []any{}
	if a.Restricted() {
		own, args = ` JOIN contacts oc ON oc.id = s.contact_id AND oc.owner_id = $1`, []any{a.UserID}
	}
	read := s.db.Read()

	groups := map[string]*crm.ValueGroup{}
	for _, g := range clv.Groups {
		groups[g] = &crm.ValueGroup{Group: g}
	}
	rows, err := read.QueryContext(ctx, `SELECT s.rfm_group, COUNT(*), COALESCE(SUM(s.clv_12m), 0), COALESCE(AVG(s.p_alive), 0)
FROM contact_scores s`+own+` GROUP BY s.rfm_group`, args...)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	for rows.Next() {
		var g crm.ValueGroup
		if err := rows.Scan(&g.Group, &g.Customers, &g.CLV, &g.AvgPAlive); err != nil {
			rows.Close()
			return nil, err
		}
		groups[g.Group] = &g
		rep.Customers += g.Customers
		rep.TotalCLV += g.CLV
	}
	rows.Close()
	for _, g := range clv.Groups {
		rep.Groups = append(rep.Groups, *groups[g])
	}

	rep.Grid = make([][]int, 5)
	for i := range rep.Grid {
		rep.Grid[i] = make([]int, 5)
	}
	rows, err = read.QueryContext(ctx, `SELECT s.r_score, s.f_score, COUNT(*) FROM contact_scores s`+own+` GROUP BY s.r_score, s.f_score`, args...)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	for rows.Next() {
		var r, f, n int
		if err := rows.Scan(&r, &f, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if r >= 1 && r <= 5 && f >= 1 && f <= 5 {
			rep.Grid[5-r][f-1] = n
		}
	}
	rows.Close()

	if rep.Customers > 0 {
		var maxCLV int64
		if err := read.QueryRowContext(ctx, `SELECT COALESCE(MAX(s.clv_12m), 0) FROM contact_scores s`+own, args...).Scan(&maxCLV); err != nil {
			return nil, s.db.MapErr(err)
		}
		bounds := Buckets(maxCLV)
		var b strings.Builder
		b.WriteString(`SELECT CASE`)
		bargs := append([]any(nil), args...)
		for i, v := range bounds {
			bargs = append(bargs, v)
			b.WriteString(` WHEN s.clv_12m < ` + store.Ph(len(bargs)) + ` THEN ` + strconv.Itoa(i))
		}
		b.WriteString(` ELSE ` + strconv.Itoa(len(bounds)) + ` END AS bucket, COUNT(*) FROM contact_scores s` + own + ` GROUP BY 1`)
		counts := make([]int, len(bounds)+1)
		rows, err = read.QueryContext(ctx, b.String(), bargs...)
		if err != nil {
			return nil, s.db.MapErr(err)
		}
		for rows.Next() {
			var i, n int
			if err := rows.Scan(&i, &n); err != nil {
				rows.Close()
				return nil, err
			}
			counts[i] = n
		}
		rows.Close()
		var from int64
		for i, n := range counts {
			var to int64
			if i < len(bounds) {
				to = bounds[i]
			}
			rep.CLV = append(rep.CLV, crm.ValueBucket{From: from, To: to, Customers: n})
			from = to
		}
	}

	q := `SELECT s.contact_id, c.first_name, c.last_name, c.email, c.owner_id, COALESCE(u.name, ''), s.rfm_group, s.clv_12m,
  s.p_alive, s.churn_risk, s.recency_days, s.frequency
FROM contact_scores s JOIN contacts c ON c.id = s.contact_id LEFT JOIN users u ON u.id = c.owner_id
WHERE s.rfm_group IN ('at_risk', 'cant_lose')`
	qargs := []any{atRisk}
	if a.Restricted() {
		q += ` AND c.owner_id = $2`
		qargs = append(qargs, a.UserID)
	}
	rows, err = read.QueryContext(ctx, q+` ORDER BY s.clv_12m DESC, s.contact_id LIMIT $1`, qargs...)
	if err != nil {
		return nil, s.db.MapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r crm.AtRiskRow
		var first, last string
		if err := rows.Scan(&r.ContactID, &first, &last, &r.Email, &r.OwnerID, &r.OwnerName, &r.RFMGroup, &r.CLV12m,
			&r.PAlive, &r.ChurnRisk, &r.RecencyDays, &r.Frequency); err != nil {
			return nil, err
		}
		r.Name = strings.TrimSpace(first + " " + last)
		rep.AtRisk = append(rep.AtRisk, r)
	}
	return rep, rows.Err()
}

// Buckets are the upper bounds of the CLV distribution's buckets for a
// largest CLV of max (minor units): a 1-2-5 series, so a skewed
// distribution stays readable, at most ten buckets (the lowest bucket
// takes whatever is below the series).
func Buckets(max int64) []int64 {
	var out []int64
	for base := int64(100); ; base *= 10 {
		for _, m := range []int64{1, 2, 5} {
			v := base * m
			out = append(out, v)
			if v > max {
				if len(out) > 9 {
					out = out[len(out)-9:]
				}
				return out
			}
		}
		if base > 1e15 {
			return out
		}
	}
}
