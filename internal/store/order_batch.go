package store

import (
	"context"
	"sync"

	"github.com/ecrm/ecrm/internal/crm"
)

// On SQLite, orders are placed by one goroutine in group commits: the
// orders that arrive while a transaction is being written go into the
// next one, each inside its own savepoint, so one order's refusal (out of
// stock, a bad reference) rolls back that order alone. A commit writes
// every page it touched to the WAL; sharing it among the orders of a
// batch is what lets one writer keep up with many shops' requests. With
// a single order waiting, the batch is that order and nothing is delayed.
// PostgreSQL runs concurrent transactions itself and does not batch.

// maxOrderBatch bounds a group commit, so a burst cannot hold the writer
// for long.
const maxOrderBatch = 64

type orderRequest struct {
	ctx   context.Context
	actor *crm.Actor
	in    *crm.OrderInput
	done  chan orderResult
}

type orderResult struct {
	id  int64
	err error
}

type orderBatcher struct {
	once sync.Once
	reqs chan orderRequest
}

// placeOrder runs createOrder in a group commit (SQLite) or its own
// transaction (PostgreSQL) and returns the new order's id.
func (db *DB) placeOrder(ctx context.Context, a *crm.Actor, in *crm.OrderInput) (int64, error) {
	if db.pool != nil {
		var id int64
		err := db.inTx(ctx, func(tx *Tx) error {
			var err error
			id, err = tx.createOrder(ctx, a, in)
			return err
		})
		return id, err
	}
	b := &db.orders
	b.once.Do(func() {
		b.reqs = make(chan orderRequest, maxOrderBatch)
		go db.runOrderBatches()
	})
	done := make(chan orderResult, 1)
	select {
	case b.reqs <- orderRequest{ctx: ctx, actor: a, in: in, done: done}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// Once queued the order is placed or refused by the batch even if the
	// caller goes away, so wait for the answer: a shop retrying with its
	// Idempotency-Key must find what happened.
	r := <-done
	return r.id, r.err
}

// runOrderBatches is the batching goroutine. It lives as long as the
// process: closing the database makes each batch fail fast.
func (db *DB) runOrderBatches() {
	reqs := db.orders.reqs
	for first := range reqs {
		batch := []orderRequest{first}
	fill:
		for len(batch) < maxOrderBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commitOrders(batch)
	}
}

func (db *DB) commitOrders(batch []orderRequest) {
	results := make([]orderResult, len(batch))
	fail := func(err error) {
		for i := range batch {
			batch[i].done <- orderResult{err: err}
		}
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer db.prepareWanted(ctx)
	for i, r := range batch {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT order_batch`); err != nil {
			tx.Rollback()
			fail(db.mapErr(err))
			return
		}
		id, err := tx.createOrder(r.ctx, r.actor, r.in)
		if err != nil {
			results[i].err = db.mapErr(err)
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT order_batch`); err != nil {
				tx.Rollback()
				fail(db.mapErr(err))
				return
			}
		} else {
			results[i].id = id
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT order_batch`); err != nil {
			tx.Rollback()
			fail(db.mapErr(err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(db.mapErr(err))
		return
	}
	for i := range batch {
		batch[i].done <- results[i]
	}
}
