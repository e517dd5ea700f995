package store

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few places where SQLite and PostgreSQL really differ.
// Everything else is one SQL text with $n placeholders.
type dialect interface {
	name() string
	// contactSearch returns a condition matching contacts whose search text
	// contains q (already lowercased) and its argument; n is the placeholder number.
	contactSearch(q string, n int) (string, any)
	// jsonText extracts a custom field as text; keyArg is the placeholder
	// holding the key.
	jsonText(col, keyArg string) string
	// jsonHas tests that a JSON array field contains a string.
	jsonHas(col, keyArg, valArg string) string
	// noIndex writes col so the planner will not pick an index on it.
	noIndex(col string) string
	// mapErr translates a driver error into a domain error, or returns it.
	mapErr(err error) error
	// rollupShards is how many rows the sales rollups spread one day over
	// (report_rollup.go): one for SQLite's single writer, several for
	// PostgreSQL's concurrent order transactions.
	rollupShards() int64
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) rollupShards() int64 { return 1 }

func (sqliteDialect) contactSearch(q string, n int) (string, any) {
	if len([]rune(q)) >= 3 {
		// FTS5 trigram: a quoted string is a substring match.
		return "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH " + ph(n) + ")",
			`"` + strings.ReplaceAll(q, `"`, `""`) + `"`
	}
	// Trigrams need three characters; shorter queries (山田, Li) match
	// the start of the sort name, which the sort index serves.
	return "(c.sort_name >= " + ph(n) + " AND c.sort_name < " + ph(n) + " || '\U0010FFFF')", q
}

func (sqliteDialect) jsonText(col, keyArg string) string {
	return "json_extract(" + col + ", '$.' || " + keyArg + ")"
}

// noIndex uses SQLite's unary plus, which keeps a term from using an index.
func (sqliteDialect) noIndex(col string) string { return "+" + col }

func (sqliteDialect) jsonHas(col, keyArg, valArg string) string {
	return "EXISTS (SELECT 1 FROM json_each(" + col + ", '$.' || " + keyArg + ") WHERE value = " + valArg + ")"
}

func (sqliteDialect) mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &crm.Error{Code: crm.ECONFLICT, Message: "a record with this value already exists"}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &crm.Error{Code: crm.EINVALID, Message: "a referenced record does not exist"}
		}
	}
	return err
}

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) rollupShards() int64 { return 8 }

func (postgresDialect) contactSearch(q string, n int) (string, any) {
	if len([]rune(q)) >= 3 {
		return "c.search LIKE " + ph(n), "%" + escapeLike(q) + "%"
	}
	return "(c.sort_name >= " + ph(n) + " AND c.sort_name < " + ph(n) + " || chr(1114111))", q
}

func (postgresDialect) jsonText(col, keyArg string) string {
	return "(" + col + "::jsonb ->> " + keyArg + "::text)"
}

// noIndex: PostgreSQL plans from column statistics, so the column stays as it is.
func (postgresDialect) noIndex(col string) string { return col }

func (postgresDialect) jsonHas(col, keyArg, valArg string) string {
	return "(" + col + "::jsonb -> " + keyArg + "::text) @> to_jsonb(" + valArg + "::text)"
}

func (postgresDialect) mapErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &crm.Error{Code: crm.ECONFLICT, Message: "a record with this value already exists"}
		case "23503":
			return &crm.Error{Code: crm.EINVALID, Message: "a referenced record does not exist"}
		case "22001":
			return &crm.Error{Code: crm.EINVALID, Message: "a value is too long"}
		}
	}
	return err
}

// mapErr is the one place driver errors become domain errors.
func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	var de *crm.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return crm.Errorf(crm.ENOTFOUND, "not found")
	}
	return db.dialect.mapErr(err)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
