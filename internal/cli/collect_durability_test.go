package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestServeCollectDurability: on SQLite the collect spool is beside the
// database unless commit is chosen; a wrong value, or a spool on
// PostgreSQL without a directory, is refused with a message naming the
// setting.
func TestServeCollectDurability(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ecrm.db")
	serve(t, map[string]string{"ECRM_DB": "sqlite:" + db}, "serve", "--addr", "127.0.0.1:0")
	if st, err := os.Stat(db + "-spool"); err != nil || !st.IsDir() {
		t.Errorf("default spool beside the database: %v", err)
	}
	other := filepath.Join(t.TempDir(), "ecrm.db")
	serve(t, map[string]string{"ECRM_DB": "sqlite:" + other, "ECRM_COLLECT_DURABILITY": "commit"}, "serve", "--addr", "127.0.0.1:0")
	if _, err := os.Stat(other + "-spool"); !os.IsNotExist(err) {
		t.Errorf("commit durability made a spool: %v", err)
	}
	if _, errs, code := run(t, map[string]string{"ECRM_DB": "sqlite:" + other, "ECRM_COLLECT_DURABILITY": "fast"}, "", "serve", "--addr", "127.0.0.1:0"); code != 2 || !strings.Contains(errs, "ECRM_COLLECT_DURABILITY") {
		t.Errorf("durability fast: exit %d, %q", code, errs)
	}
	if os.Getenv("ECRM_TEST_POSTGRES") != "" {
		env := map[string]string{"ECRM_DB": storetest.DSN(t, "postgres"), "ECRM_COLLECT_DURABILITY": "spool"}
		if _, errs, code := run(t, env, "", "serve", "--addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "ECRM_COLLECT_SPOOL_DIR") {
			t.Errorf("spool on PostgreSQL without a directory: exit %d, %q", code, errs)
		}
	}
}
