package store

import (
	"context"
	"database/sql"
	"time"
)

// JobState is one scheduled job's row (jobs table, migration 0015).
type JobState struct {
	Name           string
	Holder         string
	LeaseUntil     time.Time
	NextRunAt      time.Time
	LastStartedAt  *time.Time
	LastFinishedAt *time.Time
	LastError      string
	Runs           int64
}

// ClaimJob takes the lease of job name for holder when the job is due
// (its next run time has come) and no other holder's lease is live. It
// reports whether this holder won; of several servers calling at once
// exactly one does, on both engines, without advisory locks.
func (db *DB) ClaimJob(ctx context.Context, name, holder string, lease time.Duration) (bool, error) {
	var won bool
	err := db.inTx(ctx, func(tx *Tx) error {
		now := ms(tx.now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET holder = $1, lease_until = $2, last_started_at = $3, runs = runs + 1
			WHERE name = $4 AND next_run_at <= $3 AND lease_until < $3`, holder, now+lease.Milliseconds(), now, name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	return won, err
}

// ExtendJob renews a held lease, for runs longer than one lease. It
// reports false when the lease was lost (another holder took the job).
func (db *DB) ExtendJob(ctx context.Context, name, holder string, lease time.Duration) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until = $1 WHERE name = $2 AND holder = $3 AND lease_until >= $4`,
			ms(tx.now)+lease.Milliseconds(), name, holder, ms(tx.now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// FinishJob ends holder's run: it releases the lease, schedules the next
// run and records the error text ("" for success).
func (db *DB) FinishJob(ctx context.Context, name, holder string, next time.Time, errText string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until = 0, next_run_at = $1, last_finished_at = $2, last_error = $3
			WHERE name = $4 AND holder = $5`, ms(next), ms(tx.now), errText, name, holder)
		return err
	})
}

// RequestJob asks for a run of name at the next tick of any server (an
// import finished, an admin pressed "recompute").
func (db *DB) RequestJob(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET next_run_at = 0 WHERE name = $1`, name)
		return err
	})
}

// Job reads a job's row; ok is false for a job that never ran.
func (db *DB) Job(ctx context.Context, name string) (s JobState, ok bool, err error) {
	var lease, next int64
	var started, finished sql.NullInt64
	err = db.read.QueryRowContext(ctx, `SELECT name, holder, lease_until, next_run_at, last_started_at, last_finished_at, last_error, runs FROM jobs WHERE name = $1`, name).
		Scan(&s.Name, &s.Holder, &lease, &next, &started, &finished, &s.LastError, &s.Runs)
	if err != nil {
		if err == sql.ErrNoRows {
			return s, false, nil
		}
		return s, false, err
	}
	s.LeaseUntil, s.NextRunAt = fromMS(lease), fromMS(next)
	s.LastStartedAt, s.LastFinishedAt = fromNullMS(started), fromNullMS(finished)
	return s, true, nil
}
