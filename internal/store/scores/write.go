package scores

import (
	"context"
	"fmt"
	"strings"

	"github.com/ecrm/ecrm/internal/store"
	"github.com/jackc/pgx/v5"
)

var writeCols = []string{"contact_id", "run_id", "computed_at", "frequency", "recency_days", "monetary", "r_score", "f_score", "m_score",
	"rfm_group", "p_alive", "exp_purchases_30", "exp_purchases_90", "exp_purchases_365", "exp_spend", "clv_12m",
	"churn_risk", "churn_band", "avg_days_between", "next_order_at"}

// upsertSet updates every column but the key.
var upsertSet = func() string {
	var b strings.Builder
	for i, c := range writeCols[1:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = excluded.%s", c, c)
	}
	return b.String()
}()

func (r *Row) values(run, now int64) []any {
	var avg, next any
	if r.AvgBetween != nil {
		avg = *r.AvgBetween
	}
	if r.NextOrderDay != nil {
		next = *r.NextOrderDay * dayMS
	}
	sc := r.Score
	return []any{r.ContactID, run, now, r.Frequency, r.RecencyDays, r.Monetary, r.R, r.F, r.M,
		r.Group, sc.PAlive, sc.Exp30, sc.Exp90, sc.Exp365, r.ExpSpend, r.CLV,
		sc.ChurnRisk, sc.ChurnBand, avg, next}
}

// write replaces the scores with the run's rows: upserts, then deletes the
// rows of customers this run did not score (no purchases any more). A
// contact deleted meanwhile is skipped, not an error.
func (s *Store) write(ctx context.Context, run int64, rows []Row) error {
	if s.db.Pool() != nil {
		return s.writePostgres(ctx, run, rows)
	}
	return s.writeSQLite(ctx, run, rows)
}

// SQLite: batches of rows per group-commit transaction (so other writers
// get their turn between them), multi-row statements with anonymous
// placeholders (the driver binds numbered ones in quadratic time).
const (
	sqliteStmtRows  = 500
	sqliteBatchRows = 25000
)

// sqliteIndexes are contact_scores' secondary indexes (migration 0015).
// A write of many rows drops them first and builds them again at the end:
// a million upserts into three B-trees keyed by random values (group,
// CLV, P(alive)) cost many times the sort that CREATE INDEX does. Every
// write starts by creating any that are missing, so a run that died in
// between leaves them missing only until the next.
var sqliteIndexes = []string{
	`CREATE INDEX IF NOT EXISTS contact_scores_group ON contact_scores(rfm_group)`,
	`CREATE INDEX IF NOT EXISTS contact_scores_clv ON contact_scores(clv_12m)`,
	`CREATE INDEX IF NOT EXISTS contact_scores_alive ON contact_scores(p_alive)`,
}

// sqliteRebuildAbove is the number of rows from which a write drops and
// rebuilds the indexes.
var sqliteRebuildAbove = 100_000

func (s *Store) writeSQLite(ctx context.Context, run int64, rows []Row) (err error) {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(writeCols)), ", ") + ")"
	stmt := func(n int) string {
		// Rows of contacts deleted since the read are dropped by the join.
		cols := make([]string, len(writeCols))
		for i := range writeCols {
			cols[i] = fmt.Sprintf("v.column%d", i+1)
		}
		return `INSERT INTO contact_scores (` + strings.Join(writeCols, ", ") + `) SELECT ` + strings.Join(cols, ", ") +
			` FROM (VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") + `) v
WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.id = v.column1)
ON CONFLICT (contact_id) DO UPDATE SET ` + upsertSet
	}
	full := stmt(sqliteStmtRows)
	indexes := func(drop bool) error {
		return s.db.InTx(ctx, func(tx *store.Tx) error {
			for _, q := range sqliteIndexes {
				if drop {
					name := strings.Fields(q)[5]
					q = `DROP INDEX IF EXISTS ` + name
				}
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := indexes(false); err != nil {
		return err
	}
	if len(rows) >= sqliteRebuildAbove {
		if err := indexes(true); err != nil {
			return err
		}
		defer func() {
			// Built even when a batch failed, on a context of its own.
			ctx = context.WithoutCancel(ctx)
			if ierr := indexes(false); ierr != nil && err == nil {
				err = ierr
			}
		}()
	}
	for lo := 0; lo < len(rows); lo += sqliteBatchRows {
		batch := rows[lo:min(lo+sqliteBatchRows, len(rows))]
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			now := store.MS(tx.Now())
			// Prepared once per batch: parsing 10,000 placeholders for
			// every statement was a tenth of the write.
			prep, err := tx.PrepareContext(ctx, full)
			if err != nil {
				return err
			}
			defer prep.Close()
			args := make([]any, 0, sqliteStmtRows*len(writeCols))
			for i := 0; i < len(batch); i += sqliteStmtRows {
				part := batch[i:min(i+sqliteStmtRows, len(batch))]
				args = args[:0]
				for j := range part {
					args = append(args, part[j].values(run, now)...)
				}
				if len(part) == sqliteStmtRows {
					_, err = prep.ExecContext(ctx, args...)
				} else {
					_, err = tx.ExecContext(ctx, stmt(len(part)), args...)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM contact_scores WHERE run_id <> $1`, run)
		return err
	})
}

// PostgreSQL: COPY into a temporary table, then one upsert and one delete
// in the same transaction.
func (s *Store) writePostgres(ctx context.Context, run int64, rows []Row) error {
	tx, err := s.db.Pool().Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE score_load (LIKE contact_scores) ON COMMIT DROP`); err != nil {
		return err
	}
	now := store.MS(s.db.Now())
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(rows) {
			return nil, nil
		}
		v := rows[i].values(run, now)
		i++
		return v, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"score_load"}, writeCols, src); err != nil {
		return err
	}
	// A temporary table has no statistics: without them the planner
	// takes the million rows for a few and checks each contact by index.
	if _, err := tx.Exec(ctx, `ANALYZE score_load`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO contact_scores SELECT s.* FROM score_load s
WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.id = s.contact_id)
ON CONFLICT (contact_id) DO UPDATE SET `+upsertSet); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM contact_scores WHERE run_id <> $1`, run); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
