package store

import (
	"context"
	"strings"
)

// orderImportTables are the tables an order import fills, whose secondary
// indexes it may drop and rebuild.
var orderImportTables = []string{"orders", "order_lines", "order_events", "activities"}

// dropOrderIndexes drops, on SQLite, the non-unique indexes of the tables
// an order import fills when they are small (fewer than bulkMaxExisting
// orders and activities), and returns their DDL for rebuildOrderIndexes.
// Orders carry eight indexes: inserting 70,000 rows into them in random
// key order took 2.3 s, building them by sorting afterwards a fraction of
// that (the same trick as the contact import's bulk_rebuild.go). Unique
// indexes stay, so external ids keep being checked as rows come; other
// connections never see the indexes missing, the DDL commits with the rows.
func (tx *bulkTx) dropOrderIndexes(ctx context.Context) ([]string, error) {
	if tx.db.dialect.name() != "sqlite" {
		return nil, nil
	}
	for _, table := range []string{"orders", "activities"} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` LIMIT `+itoa(bulkMaxExisting)+`) x`).Scan(&n); err != nil {
			return nil, err
		}
		if n >= bulkMaxExisting {
			return nil, nil
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
AND tbl_name IN ('`+strings.Join(orderImportTables, "', '")+`') AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names, ddl []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddl = append(names, name), append(ddl, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, err
		}
	}
	return ddl, nil
}

// rebuildOrderIndexes creates the indexes dropOrderIndexes dropped.
func (tx *bulkTx) rebuildOrderIndexes(ctx context.Context, ddl []string) error {
	for _, q := range ddl {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
