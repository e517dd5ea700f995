package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// WriteEvents stores one batch from the collect endpoint's queue in one
// transaction: visitors upserted (first and last seen), events in
// multi-row inserts, cookieless counts added up. Events of a site deleted
// since they were accepted are dropped rather than failing the batch.
func (db *DB) WriteEvents(ctx context.Context, b crm.EventBatch) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return err
	}
	if len(b.Events) == 0 && len(b.Counts) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *Tx) error {
		live, err := tx.liveSites(ctx, b)
		if err != nil {
			return err
		}
		if err := tx.upsertVisitors(ctx, b.Events, live); err != nil {
			return err
		}
		if err := tx.insertEvents(ctx, b.Events, live); err != nil {
			return err
		}
		return tx.addPageCounts(ctx, b.Counts, live)
	})
}

// liveSites returns which of the batch's sites still exist.
func (tx *Tx) liveSites(ctx context.Context, b crm.EventBatch) (map[int64]bool, error) {
	want := map[int64]bool{}
	for _, e := range b.Events {
		want[e.SiteID] = true
	}
	for _, c := range b.Counts {
		want[c.SiteID] = true
	}
	var marks []string
	var args []any
	for id := range want {
		args = append(args, id)
		marks = append(marks, ph(len(args)))
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sites WHERE id IN (`+strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	live := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		live[id] = true
	}
	return live, rows.Err()
}

// rowsPerInsert keeps a statement's parameters under SQLite's limit
// (32766) and PostgreSQL's (65535) with room to spare.
const rowsPerInsert = 400

// multiInsert runs head + "VALUES (…),(…)" + tail for rows of n columns
// each, in chunks; tail is an ON CONFLICT clause. On SQLite the
// placeholders are anonymous ("?", see valuesList: binding numbered ones
// is quadratic in their count in the driver, which made a 2,000-event
// batch take a second) and a full chunk's statement is prepared once.
func (tx *Tx) multiInsert(ctx context.Context, head, tail string, n int, rows [][]any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), rowsPerInsert)]
		rows = rows[len(chunk):]
		args := make([]any, 0, len(chunk)*n)
		for _, r := range chunk {
			args = append(args, r...)
		}
		if tx.db.pool != nil {
			if _, err := tx.ExecContext(ctx, head+" VALUES "+numberedValues(len(chunk), n)+tail, args...); err != nil {
				return err
			}
			continue
		}
		var err error
		if len(chunk) == rowsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, head+" VALUES "+valuesList(rowsPerInsert, n)+tail); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, head+" VALUES "+valuesList(len(chunk), n)+tail, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// numberedValues is "($1,…,$n),(…)" for PostgreSQL.
func numberedValues(rows, cols int) string {
	var sb strings.Builder
	for i := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range cols {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(i*cols + j + 1))
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// upsertVisitors records each visitor once per batch (PostgreSQL refuses
// an upsert touching one row twice). A visitor's contact is never set
// here: only LinkVisitor does that.
func (tx *Tx) upsertVisitors(ctx context.Context, events []*crm.Event, live map[int64]bool) error {
	type seen struct {
		site        int64
		first, last int64
	}
	m := map[string]*seen{}
	var order []string
	for _, e := range events {
		if !live[e.SiteID] {
			continue
		}
		at := ms(e.ReceivedAt)
		if v, ok := m[e.VisitorID]; ok {
			v.last = max(v.last, at)
			continue
		}
		m[e.VisitorID] = &seen{e.SiteID, at, at}
		order = append(order, e.VisitorID)
	}
	rows := make([][]any, 0, len(order))
	for _, id := range order {
		v := m[id]
		rows = append(rows, []any{id, v.site, v.first, v.last})
	}
	return tx.multiInsert(ctx, `INSERT INTO visitors (id, site_id, first_seen, last_seen)`,
		` ON CONFLICT (id) DO UPDATE SET last_seen = CASE WHEN excluded.last_seen > visitors.last_seen THEN excluded.last_seen ELSE visitors.last_seen END,
		site_id = COALESCE(visitors.site_id, excluded.site_id)`, 4, rows)
}

func (tx *Tx) insertEvents(ctx context.Context, events []*crm.Event, live map[int64]bool) error {
	rows := make([][]any, 0, len(events))
	for _, e := range events {
		if !live[e.SiteID] {
			continue
		}
		props := "{}"
		if len(e.Props) > 0 {
			b, err := json.Marshal(e.Props)
			if err != nil {
				return err
			}
			props = string(b)
		}
		var value any
		if e.Value != nil {
			value = *e.Value
		}
		rows = append(rows, []any{e.SiteID, e.VisitorID, e.SessionID, e.Name, e.URL, e.Path, e.Title, e.Referrer,
			e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMTerm, e.UTMContent, e.ProductSKU, e.ProductName, value, e.Currency,
			props, ms(e.OccurredAt), ms(e.ReceivedAt)})
	}
	return tx.multiInsert(ctx, `INSERT INTO events (site_id, visitor_id, session_id, name, url, path, title, referrer,
		utm_source, utm_medium, utm_campaign, utm_term, utm_content, product_sku, product_name, value, currency, props, occurred_at, received_at)`, "", 20, rows)
}

func (tx *Tx) addPageCounts(ctx context.Context, counts []crm.PageCountDelta, live map[int64]bool) error {
	type key struct {
		site, day int64
		path      string
	}
	sum := map[key]int64{}
	var order []key
	for _, c := range counts {
		if !live[c.SiteID] {
			continue
		}
		k := key{c.SiteID, c.Day, c.Path}
		if _, ok := sum[k]; !ok {
			order = append(order, k)
		}
		sum[k] += c.N
	}
	rows := make([][]any, 0, len(order))
	for _, k := range order {
		rows = append(rows, []any{k.site, k.day, k.path, sum[k]})
	}
	return tx.multiInsert(ctx, `INSERT INTO page_counts (site_id, day, path, count)`,
		` ON CONFLICT (site_id, day, path) DO UPDATE SET count = page_counts.count + excluded.count`, 4, rows)
}
