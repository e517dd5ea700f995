package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ecrm/ecrm/internal/crm"
)

// WriteEvents stores one batch from the collect endpoint's queue in one
// transaction: visitors upserted (first and last seen), events in
// multi-row inserts, cookieless counts added up. Events of a site deleted
// since they were accepted are dropped rather than failing the batch, and
// so are those of a visitor whose person withdrew analytics consent or was
// erased (tracking_consent.go), checked in this same transaction.
func (db *DB) WriteEvents(ctx context.Context, b crm.EventBatch) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return err
	}
	if len(b.Events) == 0 && len(b.Counts) == 0 {
		return nil
	}
	if db.pool != nil {
		return db.mapErr(db.writeEventsPG(ctx, b))
	}
	return db.inTx(ctx, func(tx *Tx) error {
		live, err := tx.liveSites(ctx, b)
		if err != nil {
			return err
		}
		if b.Events, err = tx.consentedEvents(ctx, b.Events); err != nil {
			return err
		}
		if err := tx.multiInsert(ctx, visitorsInsert, visitorsUpsert, 4, visitorRows(b.Events, live)); err != nil {
			return err
		}
		if err := tx.multiInsert(ctx, eventsInsert, "", len(eventColumns), eventRows(b.Events, live)); err != nil {
			return err
		}
		if err := tx.multiInsert(ctx, countsInsert, countsUpsert, 4, countRows(b.Counts, live)); err != nil {
			return err
		}
		if r := b.Spool; r != nil {
			_, err := tx.ExecContext(ctx, spoolRangeInsert, r.Spool, r.First, r.Last)
			return err
		}
		return nil
	})
}

// spoolRangeInsert records a spooled batch as committed, in its own
// transaction. A second commit of the same range breaks the primary key
// and fails the batch rather than storing its events twice.
const spoolRangeInsert = `INSERT INTO collect_spool_ranges (spool, first_seq, last_seq) VALUES ($1, $2, $3)`

// SpoolRanges lists a collect spool's committed ranges, for its replay.
func (db *DB) SpoolRanges(ctx context.Context, spool string) ([]crm.SpoolRange, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return nil, err
	}
	rows, err := db.write.QueryContext(ctx, `SELECT first_seq, last_seq FROM collect_spool_ranges WHERE spool = $1 ORDER BY first_seq`, spool)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var out []crm.SpoolRange
	for rows.Next() {
		r := crm.SpoolRange{Spool: spool}
		if err := rows.Scan(&r.First, &r.Last); err != nil {
			return nil, db.mapErr(err)
		}
		out = append(out, r)
	}
	return out, db.mapErr(rows.Err())
}

// ForgetSpoolRanges deletes the ranges of records no spool file holds
// any more.
func (db *DB) ForgetSpoolRanges(ctx context.Context, spool string, below int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, `DELETE FROM collect_spool_ranges WHERE spool = $1 AND last_seq < $2`, spool, below)
	return db.mapErr(err)
}

// writeEventsPG is WriteEvents on PostgreSQL: the events go in with COPY
// (a multi-row INSERT of 2,000 events spent most of its time encoding
// 40,000 parameters), in one pgx transaction on one connection.
func (db *DB) writeEventsPG(ctx context.Context, b crm.EventBatch) error {
	c, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		var ids []int64
		for id := range batchSites(b) {
			ids = append(ids, id)
		}
		rows, err := tx.Query(ctx, `SELECT id FROM sites WHERE id = ANY($1)`, ids)
		if err != nil {
			return err
		}
		live := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			live[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if b.Events, err = db.consentedEventsPG(ctx, tx, b.Events, ms(db.Now())); err != nil {
			return err
		}
		upsert := func(head, tail string, n int, all [][]any) error {
			for len(all) > 0 {
				chunk := all[:min(len(all), rowsPerInsert)]
				all = all[len(chunk):]
				var args []any
				for _, r := range chunk {
					args = append(args, r...)
				}
				if _, err := tx.Exec(ctx, head+" VALUES "+numberedValues(len(chunk), n)+tail, args...); err != nil {
					return err
				}
			}
			return nil
		}
		if err := upsert(visitorsInsert, visitorsUpsert, 4, visitorRows(b.Events, live)); err != nil {
			return err
		}
		if evs := eventRows(b.Events, live); len(evs) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, pgx.CopyFromRows(evs)); err != nil {
				return err
			}
		}
		if err := upsert(countsInsert, countsUpsert, 4, countRows(b.Counts, live)); err != nil {
			return err
		}
		if r := b.Spool; r != nil {
			if _, err := tx.Exec(ctx, spoolRangeInsert, r.Spool, r.First, r.Last); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	})
}

func batchSites(b crm.EventBatch) map[int64]bool {
	want := map[int64]bool{}
	for _, e := range b.Events {
		want[e.SiteID] = true
	}
	for _, c := range b.Counts {
		want[c.SiteID] = true
	}
	return want
}

// liveSites returns which of the batch's sites still exist.
func (tx *Tx) liveSites(ctx context.Context, b crm.EventBatch) (map[int64]bool, error) {
	want := batchSites(b)
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
// each, in chunks, on SQLite; tail is an ON CONFLICT clause. The
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

// The statements of a batch. A visitor is recorded once per batch
// (PostgreSQL refuses an upsert touching one row twice), and its contact
// is never set here: only LinkVisitor does that.
const (
	visitorsInsert = `INSERT INTO visitors (id, site_id, first_seen, last_seen)`
	visitorsUpsert = ` ON CONFLICT (id) DO UPDATE SET last_seen = CASE WHEN excluded.last_seen > visitors.last_seen THEN excluded.last_seen ELSE visitors.last_seen END,
		site_id = COALESCE(visitors.site_id, excluded.site_id)`
	countsInsert = `INSERT INTO page_counts (site_id, day, path, count)`
	countsUpsert = ` ON CONFLICT (site_id, day, path) DO UPDATE SET count = page_counts.count + excluded.count`
)

var eventColumns = []string{"site_id", "visitor_id", "session_id", "name", "url", "path", "title", "referrer",
	"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "product_sku", "product_name", "value", "currency", "props", "occurred_at", "received_at"}

var eventsInsert = `INSERT INTO events (` + strings.Join(eventColumns, ", ") + `)`

func visitorRows(events []*crm.Event, live map[int64]bool) [][]any {
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
	return rows
}

func eventRows(events []*crm.Event, live map[int64]bool) [][]any {
	rows := make([][]any, 0, len(events))
	for _, e := range events {
		if !live[e.SiteID] {
			continue
		}
		props := "{}"
		if len(e.Props) > 0 {
			// A map of strings, numbers, booleans and nulls always encodes.
			b, _ := json.Marshal(e.Props)
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
	return rows
}

func countRows(counts []crm.PageCountDelta, live map[int64]bool) [][]any {
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
	return rows
}
