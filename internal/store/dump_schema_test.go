package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// runtimeTables are deliberately not exported: they are state of the
// running servers, not the business's data.
var runtimeTables = []string{"schema_migrations", "sessions", "idempotency_keys", "secrets", "collect_spool_ranges", "jobs"}

// TestDumpSchemaCoversEveryTable keeps "a customer can always leave" true
// as tables are added: every table is in the export or named above.
func TestDumpSchemaCoversEveryTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		names, err := store.TableNames(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if slices.Contains(runtimeTables, n) || slices.Contains(store.DerivedTables(), n) {
				continue
			}
			if !slices.ContainsFunc(store.DumpSchema, func(d store.DumpTable) bool { return d.Name == n }) {
				t.Errorf("table %s is neither in store.DumpSchema nor a runtime table", n)
			}
		}
	})
}
