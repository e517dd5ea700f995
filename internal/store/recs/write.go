package recs

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/recommend"
	"github.com/ecrm/ecrm/internal/store"
)

var (
	similarCols = []string{"build_id", "product_id", "rank", "similar_id", "score", "co_count", "co_views", "purchase_score", "view_score"}
	popularCols = []string{"build_id", "rank", "product_id", "buyers", "recent_buyers", "score"}
)

// rowsOf flattens a model into the two tables' rows, products in id order.
func rowsOf(id int64, m *recommend.Model) (similar, popular [][]any) {
	items := make([]int64, 0, len(m.Similar))
	for it := range m.Similar {
		items = append(items, it)
	}
	slices.Sort(items)
	for _, it := range items {
		for r, n := range m.Similar[it] {
			similar = append(similar, []any{id, it, r + 1, n.Item, n.Score, n.CoCount, n.CoViews, n.PurchaseScore, n.ViewScore})
		}
	}
	for r, p := range m.Popular {
		popular = append(popular, []any{id, r + 1, p.Item, p.Buyers, p.RecentBuyers, p.Score})
	}
	return similar, popular
}

// write stores build id's rows: COPY on PostgreSQL; on SQLite multi-row
// inserts, 500 rows a statement and 20 statements a transaction, so the
// group commit other writers share is never held for long. Nobody reads
// the rows before the build is marked ok.
func (s *Store) write(ctx context.Context, id int64, m *recommend.Model) (int64, error) {
	similar, popular := rowsOf(id, m)
	if pool := s.db.Pool(); pool != nil {
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"product_similarity"}, similarCols, pgx.CopyFromRows(similar)); err != nil {
			return 0, err
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"product_popularity"}, popularCols, pgx.CopyFromRows(popular)); err != nil {
			return 0, err
		}
		// Statistics now, not when autovacuum gets round to it: without
		// them the planner takes a build for one row and scans all of its
		// rows per lookup (60 ms instead of 1 ms on a million lines).
		if _, err := pool.Exec(ctx, `ANALYZE product_similarity, product_popularity`); err != nil {
			return 0, err
		}
		return int64(len(similar)), nil
	}
	if err := s.insertBatches(ctx, "product_similarity", similarCols, similar); err != nil {
		return 0, err
	}
	if err := s.insertBatches(ctx, "product_popularity", popularCols, popular); err != nil {
		return 0, err
	}
	return int64(len(similar)), nil
}

const (
	rowsPerInsert = 500
	insertsPerTx  = 20
)

// insertBatches writes rows into table on SQLite. The statements use
// anonymous placeholders: the driver binds numbered ones in quadratic time.
func (s *Store) insertBatches(ctx context.Context, table string, cols []string, rows [][]any) error {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	full := head + strings.TrimSuffix(strings.Repeat(tuple+", ", rowsPerInsert), ", ")
	for from := 0; from < len(rows); from += rowsPerInsert * insertsPerTx {
		chunk := rows[from:min(len(rows), from+rowsPerInsert*insertsPerTx)]
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			args := make([]any, 0, rowsPerInsert*len(cols))
			for k := 0; k < len(chunk); k += rowsPerInsert {
				part := chunk[k:min(len(chunk), k+rowsPerInsert)]
				args = args[:0]
				for _, r := range part {
					args = append(args, r...)
				}
				q := full
				if len(part) < rowsPerInsert {
					q = head + strings.TrimSuffix(strings.Repeat(tuple+", ", len(part)), ", ")
				}
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
