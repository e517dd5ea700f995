package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestImportCostsCommand(t *testing.T) {
	env := map[string]string{"ECRM_DB": storetest.DSN(t, "sqlite")}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("kind,key,date,amount,per\nacquisition,ads,2025-01,1250.00,\nstaff,lunch,2025-01-01,0.50,\nproduct,MUG-1,2025-01-01,4.2.0,\n"), 0o600)
	out, errs, code := run(t, env, "", "import", "costs", bad)
	if code != 1 || out != "" || !strings.Contains(errs, "line 3: key:") || !strings.Contains(errs, "line 4: amount:") || !strings.Contains(errs, "nothing was imported") {
		t.Fatalf("rejected lines: code %d\nstdout %q\nstderr %q", code, out, errs)
	}
	good := filepath.Join(dir, "costs.csv")
	os.WriteFile(good, []byte("kind,key,date,amount,per,note\nacquisition,ads,2025-01,1250.00,,Search\nmessage,email,2025-01-01,0.08,100,\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, "checked (dry run, nothing stored) costs: 2 lines, 2 new, 0 updated, 0 unchanged"},
		{nil, "imported costs: 2 lines, 2 new, 0 updated, 0 unchanged"},
		{nil, "imported costs: 2 lines, 0 new, 0 updated, 2 unchanged"},
	} {
		out, errs, code := run(t, env, "", append([]string{"import", "costs", good}, c.args...)...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: code %d\nstdout %q\nstderr %q", c.args, code, out, errs)
		}
	}
	if _, errs, code := run(t, env, "", "import", "costs"); code != 2 || !strings.Contains(errs, "ecrm import costs FILE.csv") {
		t.Errorf("no file: code %d, %q", code, errs)
	}
}
