package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/crm"
)

// The consent ledger outranks a browser's banner choice once the browser
// is known: the events of a visitor whose contact's newest analytics (web)
// entry withdraws (or is a grant that has expired), and of a visitor whose
// contact was erased, are not stored. The writer checks in the transaction
// that stores a batch, so a withdrawal committed on any server stops every
// later write at once. The collect endpoint only tells the browser, so that
// it forgets its identifiers: it asks VisitorWithdrawn, which answers from
// the visitors this process's writer refused (no query for everyone else,
// one to confirm a refused one), so the browser learns on its next batch
// after a server refused one.

// withdrawnVisitorsSQL selects, of the visitors listed by %[1]s, those
// whose events must not be stored; $2 is now (for expired grants).
const withdrawnVisitorsSQL = `SELECT id FROM erased_visitors WHERE id IN (%[1]s)
UNION ALL
SELECT v.id FROM visitors v JOIN consents c ON c.id = (SELECT c2.id FROM consents c2
	WHERE c2.contact_id = v.contact_id AND c2.purpose = 'analytics' AND c2.channel = 'web' ORDER BY c2.at DESC, c2.id DESC LIMIT 1)
WHERE v.id IN (%[1]s) AND v.contact_id IS NOT NULL AND (c.status = 'withdrawn' OR c.expires_at <= $2)`

// The list of a batch's visitors is one parameter on both engines (binding
// hundreds of numbered parameters is slow in the SQLite driver).
var (
	withdrawnSQLite   = strings.ReplaceAll(withdrawnVisitorsSQL, "%[1]s", "SELECT value FROM json_each($1)")
	withdrawnPostgres = strings.ReplaceAll(withdrawnVisitorsSQL, "%[1]s", "SELECT unnest($1::text[])")
	withdrawnOne      = strings.ReplaceAll(withdrawnVisitorsSQL, "%[1]s", "$1") + " LIMIT 1"
)

// VisitorWithdrawn reports that a visitor's events are refused
// (crm.TrackingSink) and the browser should be told: this process's writer
// refused the visitor in the last refusedTTL, and the database still says
// so. Any other visitor costs no query and is not withdrawn as far as the
// endpoint knows; the writer's own check stays the guard.
func (db *DB) VisitorWithdrawn(ctx context.Context, visitorID string) (bool, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResEvents, crm.Write)); err != nil {
		return false, err
	}
	if !db.refused.has(visitorID, time.Now()) {
		return false, nil
	}
	var id string
	err := db.readRow(ctx, withdrawnOne, visitorID, ms(db.Now())).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		db.refused.forget(visitorID) // granted again since
		return false, nil
	}
	if err != nil {
		return false, db.mapErr(err)
	}
	return true, nil
}

// refusedTTL is how long a refusal is remembered: longer than a browser
// waits between batches, so its next one is answered 410.
const refusedTTL = 10 * time.Minute

// maxRefused bounds the memory of refusals.
const maxRefused = 100_000

// refusedVisitors remembers when the writer last refused each visitor.
type refusedVisitors struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (r *refusedVisitors) add(ids map[string]bool, now time.Time) {
	if len(ids) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m)+len(ids) > maxRefused {
		r.m = map[string]time.Time{}
	}
	for id := range ids {
		r.m[id] = now
	}
}

func (r *refusedVisitors) has(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.m[id]
	if ok && now.Sub(at) > refusedTTL {
		delete(r.m, id)
		return false
	}
	return ok
}

func (r *refusedVisitors) forget(id string) {
	r.mu.Lock()
	delete(r.m, id)
	r.mu.Unlock()
}

// batchVisitors lists the distinct visitors of a batch's events.
func batchVisitors(events []*crm.Event) []string {
	seen := map[string]bool{}
	var ids []string
	for _, e := range events {
		if e.VisitorID != "" && !seen[e.VisitorID] {
			seen[e.VisitorID] = true
			ids = append(ids, e.VisitorID)
		}
	}
	return ids
}

// withoutWithdrawn returns events less those of withdrawn visitors.
func withoutWithdrawn(events []*crm.Event, withdrawn map[string]bool) []*crm.Event {
	if len(withdrawn) == 0 {
		return events
	}
	kept := make([]*crm.Event, 0, len(events))
	for _, e := range events {
		if !withdrawn[e.VisitorID] {
			kept = append(kept, e)
		}
	}
	return kept
}

// consentedEvents drops, inside the writing transaction (SQLite), the
// events of visitors whose contact withdrew analytics or was erased.
func (tx *Tx) consentedEvents(ctx context.Context, events []*crm.Event) ([]*crm.Event, error) {
	ids := batchVisitors(events)
	if len(ids) == 0 {
		return events, nil
	}
	list, _ := json.Marshal(ids)
	rows, err := tx.QueryContext(ctx, withdrawnSQLite, string(list), ms(tx.now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	withdrawn := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		withdrawn[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tx.db.refused.add(withdrawn, time.Now())
	return withoutWithdrawn(events, withdrawn), nil
}

// consentedEventsPG is consentedEvents in the PostgreSQL writer's pgx
// transaction.
func (db *DB) consentedEventsPG(ctx context.Context, tx pgx.Tx, events []*crm.Event, now int64) ([]*crm.Event, error) {
	ids := batchVisitors(events)
	if len(ids) == 0 {
		return events, nil
	}
	rows, err := tx.Query(ctx, withdrawnPostgres, ids, now)
	if err != nil {
		return nil, err
	}
	withdrawn := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		withdrawn[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.refused.add(withdrawn, time.Now())
	return withoutWithdrawn(events, withdrawn), nil
}

// The refused visitor ids outlive a restore: an erased person's browser
// stays refused on the restored database too.
func init() {
	DumpSchema = append(DumpSchema, DumpTable{Name: "erased_visitors", Columns: cols("id erased_at:int")})
}
