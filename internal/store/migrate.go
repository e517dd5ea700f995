package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations(engine string) ([]migration, error) {
	dir := "migrations/" + engine
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, e.Name(), string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`

// MigrationsDigest names the schema Migrate builds on engine ("sqlite" or
// "postgres"): a hash of its migration files and of the table recording
// them. Tests migrate one template database per digest and copy it for
// each test (storetest), so a changed or added migration gets a template
// of its own.
func MigrationsDigest(engine string) (string, error) {
	ms, err := migrations(engine)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", createSchemaMigrations)
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.version, m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Migrate applies pending migrations, each in its own transaction with its
// record in schema_migrations. Two servers starting at once on PostgreSQL
// race on the version's primary key; the loser's transaction rolls back
// and it finds the migration applied on retry.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	ms, err := migrations(db.dialect.name())
	if err != nil {
		return err
	}
	for _, m := range ms {
		for attempt := 0; ; attempt++ {
			err := db.applyMigration(ctx, m)
			if err == nil {
				break
			}
			if attempt < 3 {
				continue
			}
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m migration) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.version, m.name, ms(tx.now)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	return tx.Commit()
}

// MigrationStatus lists applied versions.
func (db *DB) MigrationStatus(ctx context.Context) (applied []int, pending []int, err error) {
	all, err := migrations(db.dialect.name())
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return nil, nil, err
			}
			applied = append(applied, v)
		}
	}
	for _, m := range all {
		if !slices.Contains(applied, m.version) {
			pending = append(pending, m.version)
		}
	}
	return applied, pending, nil
}
