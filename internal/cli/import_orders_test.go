package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

const cdnowFile = "../../../shared/data/cdnow/CDNOW_master.txt"

func TestImportOrdersCommand(t *testing.T) {
	if _, err := os.Stat(cdnowFile); err != nil {
		t.Skipf("CDNOW data set not found at %s (CI clones ../shared beside the repository): %v", cdnowFile, err)
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			env := map[string]string{"ECRM_DB": storetest.DSN(t, engine)}
			start := time.Now()
			out, errs, code := run(t, env, "", "import", "orders", cdnowFile, "--format", "cdnow")
			t.Logf("%s: ecrm import orders (CDNOW) took %v", engine, time.Since(start))
			if code != 0 || !strings.Contains(out, "69659 orders (69659 lines)") || !strings.Contains(out, "23570 contacts created") || errs != "" {
				t.Fatalf("import: code %d\nstdout %q\nstderr %q", code, out, errs)
			}
			out, _, code = run(t, env, "", "import", "orders", cdnowFile, "--format", "cdnow")
			if code != 0 || !strings.Contains(out, "0 orders (0 lines), 69659 skipped") || !strings.Contains(out, "0 contacts created") {
				t.Errorf("re-import: code %d, %q", code, out)
			}

			dir := t.TempDir()
			bad := filepath.Join(dir, "orders.csv")
			os.WriteFile(bad, []byte("no,mail,day,code,qty,cents\n"+
				"B1,ana@example.com,2024-04-01,TEA-1,3,450\n"+
				"B2,ana@example.com,2024-04-02,TEA-1,0,450\n"+
				"B3,ana@example.com,01/04/2024,TEA-1,1,450\n"), 0o600)
			out, errs, code = run(t, env, "", "import", "orders", bad, "--minor-units", "--currency", "EUR",
				"--map", "order_id=no,email=mail,date=day,sku=code,quantity=qty,unit_price=cents")
			if code != 0 || !strings.Contains(out, "1 orders (1 lines)") || !strings.Contains(errs, "line 3: quantity:") || !strings.Contains(errs, "line 4: date:") {
				t.Errorf("CSV import: code %d\nstdout %q\nstderr %q", code, out, errs)
			}
			if _, errs, code := run(t, env, "", "import", "orders", bad, "--format", "xml"); code != 2 || !strings.Contains(errs, "--format") {
				t.Errorf("bad format: code %d, %q", code, errs)
			}
			if _, errs, code := run(t, env, "", "import", "orders", bad, "--map", "order_id"); code != 2 || !strings.Contains(errs, "--map") {
				t.Errorf("bad mapping: code %d, %q", code, errs)
			}
			if _, errs, code := run(t, env, "", "import", "orders", bad, "--map", "order_id=Nope"); code != 1 || !strings.Contains(errs, "Nope") {
				t.Errorf("unknown column: code %d, %q", code, errs)
			}
		})
	}
}
