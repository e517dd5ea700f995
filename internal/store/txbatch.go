package store

import (
	"context"
	"sync"
)

// On SQLite every write transaction is run by one goroutine in group
// commits: the transactions that arrive while one commit is being written
// go into the next, each inside its own savepoint, so one caller's error
// (out of stock, a duplicate, a bad reference) rolls back that caller's
// changes alone and the others commit. A commit writes every page it
// touched to the WAL; sharing it is what lets the single writer keep up
// with many requests (an order is three transactions with its
// Idempotency-Key). With one caller waiting, the batch is that caller and
// nothing is delayed. PostgreSQL runs concurrent transactions itself.
//
// A batched function runs with its caller's context values (the actor) but
// not its cancellation: SQLite rolls back the whole transaction when a
// statement is interrupted, which would undo the other callers' work.

// maxTxBatch bounds a group commit, so a burst cannot hold the writer long.
const maxTxBatch = 64

type txRequest struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
}

type txBatcher struct {
	once sync.Once
	reqs chan txRequest
}

// batchTx queues fn for the next group commit and waits for its outcome.
func (db *DB) batchTx(ctx context.Context, fn func(tx *Tx) error) error {
	b := &db.txb
	b.once.Do(func() {
		b.reqs = make(chan txRequest, maxTxBatch)
		go db.runTxBatches()
	})
	done := make(chan error, 1)
	select {
	case b.reqs <- txRequest{ctx: context.WithoutCancel(ctx), fn: fn, done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the work is committed or refused even if the caller
	// goes away: a client retrying with its Idempotency-Key must find
	// what happened.
	return <-done
}

// runTxBatches lives as long as the process; after Close each batch fails
// fast on the closed connection.
func (db *DB) runTxBatches() {
	reqs := db.txb.reqs
	for first := range reqs {
		batch := []txRequest{first}
	fill:
		for len(batch) < maxTxBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

func (db *DB) commitBatch(batch []txRequest) {
	ctx := context.Background()
	defer db.prepareWanted(ctx)
	errs := make([]error, len(batch))
	failAll := func(err error) {
		for _, r := range batch {
			r.done <- err
		}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		failAll(err)
		return
	}
	for i, r := range batch {
		if _, err := tx.Tx.ExecContext(ctx, `SAVEPOINT batch_item`); err != nil {
			tx.Rollback()
			failAll(db.mapErr(err))
			return
		}
		// Each caller sees its own "now", as with a transaction of its own.
		item := &Tx{Tx: tx.Tx, db: db, now: db.Now().UTC()}
		if errs[i] = r.fn(item); errs[i] != nil {
			errs[i] = db.mapErr(errs[i])
			if _, err := tx.Tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT batch_item`); err != nil {
				tx.Rollback()
				failAll(db.mapErr(err))
				return
			}
		}
		if _, err := tx.Tx.ExecContext(ctx, `RELEASE SAVEPOINT batch_item`); err != nil {
			tx.Rollback()
			failAll(db.mapErr(err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(db.mapErr(err))
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}
