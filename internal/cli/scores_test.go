package cli

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestScoresRecomputeCommand imports the CDNOW sample and prints the run
// record of the calibration period: the keys, the published
// parameters; a bad flag is named, a fit that cannot converge exits 1
// with its record.
func TestScoresRecomputeCommand(t *testing.T) {
	sample := filepath.Join(filepath.Dir(cdnowFile), "CDNOW_sample.txt")
	if d := os.Getenv("ECRM_CDNOW_DIR"); d != "" {
		sample = filepath.Join(d, "CDNOW_sample.txt")
	}
	f, err := os.Open(sample)
	if err != nil {
		t.Skipf("CDNOW sample not found: %v", err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 5 {
			b.WriteString(fs[0] + " " + fs[2] + " " + fs[3] + " " + fs[4] + "\n")
		}
	}
	file := filepath.Join(t.TempDir(), "sample.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ECRM_DB": storetest.DSN(t, "sqlite")}
	if out, errs, code := run(t, env, "", "import", "orders", file, "--format", "cdnow"); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	out, errs, code := run(t, env, "", "scores", "recompute", "--as-of", "1997-09-30")
	if code != 0 {
		t.Fatalf("recompute: code %d\n%s\n%s", code, out, errs)
	}
	var rec struct {
		Customers *int `json:"customers"`
		BGNBD     *struct {
			R, Alpha, A, B, LogLikelihood *float64
		} `json:"bgnbd"`
		GammaGamma *struct {
			P, Q, Gamma, LogLikelihood *float64
		} `json:"gamma_gamma"`
		FitMS  *float64 `json:"fit_ms"`
		Status string   `json:"status"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"customers", "bgnbd", "gamma_gamma", "fit_ms"} {
		if raw[k] == nil {
			t.Errorf("record lacks %q: %s", k, out)
		}
	}
	var bg map[string]float64
	_ = json.Unmarshal(raw["bgnbd"], &bg)
	for _, k := range []string{"r", "alpha", "a", "b", "log_likelihood"} {
		if _, ok := bg[k]; !ok {
			t.Errorf("bgnbd lacks %q", k)
		}
	}
	var gg map[string]float64
	_ = json.Unmarshal(raw["gamma_gamma"], &gg)
	for _, k := range []string{"p", "q", "gamma", "log_likelihood"} {
		if _, ok := gg[k]; !ok {
			t.Errorf("gamma_gamma lacks %q", k)
		}
	}
	_ = json.Unmarshal([]byte(out), &rec)
	if rec.Customers == nil || *rec.Customers != 2357 || math.Abs(bg["r"]-0.243) > 0.0005 || math.Abs(bg["log_likelihood"]+9582.4) > 0.05 ||
		math.Abs(gg["p"]-6.25) > 0.005 || rec.Status != "ok" {
		t.Errorf("record: %s", out)
	}

	_, errs, code = run(t, env, "", "scores", "recompute", "--as-of", "30/09/1997")
	if code != 2 || !strings.Contains(errs, "--as-of") {
		t.Errorf("bad --as-of: code %d, %q", code, errs)
	}
	_, errs, code = run(t, env, "", "scores", "recompute", "--discount-rate", "12%")
	if code != 2 || !strings.Contains(errs, "--discount-rate") {
		t.Errorf("bad --discount-rate: code %d, %q", code, errs)
	}
	out, errs, code = run(t, env, "", "scores", "recompute", "--as-of", "1997-01-01")
	if code != 1 || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(errs, "no repeat buyers") {
		t.Errorf("failing fit: code %d\n%s\n%s", code, out, errs)
	}
}
