package scores_test

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/clv"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/scores"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// cdnowMaster turns the CDNOW sample (customer, id in master, date, CDs,
// dollars) into the four-column master format the order import reads.
func cdnowMaster(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "data", "cdnow", "CDNOW_sample.txt")
	if v := os.Getenv("ECRM_CDNOW_DIR"); v != "" {
		path = filepath.Join(v, "CDNOW_sample.txt")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("CDNOW sample not found (set ECRM_CDNOW_DIR): %v", err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 5 {
			b.WriteString(fs[0] + " " + fs[2] + " " + fs[3] + " " + fs[4] + "\n")
		}
	}
	return b.String()
}

func importCDNOW(t *testing.T, db *store.DB) {
	t.Helper()
	rep, err := db.ImportOrders(storetest.System(), strings.NewReader(cdnowMaster(t)), crm.OrderFileOptions{Format: crm.OrderFormatCDNOW, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rejected) > 0 {
		t.Fatalf("rejected %v", rep.Rejected[0])
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScoreJobOnCDNOW runs the job through the store on the CDNOW sample
// imported as orders: the run record carries the published BG/NBD
// parameters (Fader, Hardie & Lee 2005: r 0.243, α 4.414, a 0.793,
// b 2.426, LL −9582.4) and Gamma-Gamma parameters (Fader & Hardie 2013:
// p 6.25, q 3.74, γ 15.44 dollars = 1544 cents, since spend is in minor
// units), every customer has finite scores, and a fit that cannot
// converge keeps them.
func TestScoreJobOnCDNOW(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		importCDNOW(t, db)
		svc := scores.New(db)
		// The 2,357 rows take the path of a large write on SQLite: indexes
		// dropped, rows written, indexes built again.
		old := scores.SetRebuildAbove(1000)
		defer scores.SetRebuildAbove(old)
		run, err := svc.RecomputeScores(ctx, crm.ScoreOptions{AsOf: "1997-09-30"})
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != "ok" || run.Customers != 2357 || run.BGNBD == nil || run.GammaGamma == nil {
			t.Fatalf("run = %+v", run)
		}
		bg, gg := run.BGNBD, run.GammaGamma
		for _, c := range []struct {
			name      string
			got, want float64
			tol       float64
		}{
			{"r", bg.R, 0.243, 0.0005}, {"alpha", bg.Alpha, 4.414, 0.0005}, {"a", bg.A, 0.793, 0.0005}, {"b", bg.B, 2.426, 0.0005},
			{"LL", bg.LogLikelihood, -9582.4, 0.05}, {"p", gg.P, 6.25, 0.005}, {"q", gg.Q, 3.74, 0.005}, {"gamma", gg.Gamma, 1544, 0.5},
		} {
			if math.Abs(c.got-c.want) > c.tol {
				t.Errorf("%s = %.5f, want %v ± %v", c.name, c.got, c.want, c.tol)
			}
		}
		if run.RepeatCustomers != 946 || run.FitMS <= 0 || run.Holdout == nil {
			t.Errorf("record: repeat %d fit %v ms holdout %+v (%s)", run.RepeatCustomers, run.FitMS, run.Holdout, run.HoldoutError)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM contact_scores`); n != 2357 {
			t.Fatalf("contact_scores rows = %d", n)
		}
		if db.Engine() == "sqlite" {
			if n := count(t, db, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact_scores' AND name LIKE 'contact_scores_%'`); n != 3 {
				t.Errorf("contact_scores has %d secondary indexes after a large write, want 3", n)
			}
		}
		// The first customer of the paper's table: x=2, t_x=30.43, T=38.86.
		var id int64
		if err := db.Read().QueryRowContext(context.Background(), `SELECT contact_id FROM contact_external_ids WHERE source = 'cdnow' AND external_id = '00004'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		sc, err := svc.FindContactScore(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		p := clv.BGNBD{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B}
		if sc.Frequency != 2 || math.Abs(sc.PAlive-p.PAlive(2, 213.0/7, 272.0/7)) > 1e-9 || sc.AvgDaysBetween == nil || *sc.AvgDaysBetween != 106.5 {
			t.Errorf("customer 00004: %+v", sc)
		}
		if got, want := sc.ExpPurchases365, p.ExpectedPurchases(365.0/7, 2, 213.0/7, 272.0/7); math.Abs(got-want) > 1e-9 {
			t.Errorf("E[Y(365 days)] = %v, want %v", got, want)
		}
		if sc.CLV12m <= 0 || sc.ExpSpend <= 0 || sc.Currency != "USD" || sc.NextOrderAt == nil {
			t.Errorf("customer 00004 value: %+v", sc)
		}
		bad := count(t, db, `SELECT COUNT(*) FROM contact_scores WHERE p_alive < 0 OR p_alive > 1 OR churn_risk < 0 OR churn_risk > 1
 OR clv_12m < 0 OR r_score NOT BETWEEN 1 AND 5 OR f_score NOT BETWEEN 1 AND 5 OR m_score NOT BETWEEN 1 AND 5`)
		if bad != 0 {
			t.Errorf("%d rows out of range", bad)
		}

		// On 1997-01-01 every customer has one purchase day: no repeat
		// buyers, so the fit fails, says why, and the scores stay.
		failed, err := svc.RecomputeScores(ctx, crm.ScoreOptions{AsOf: "1997-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if failed.Status != "failed" || !strings.Contains(failed.Message, "no repeat buyers") || failed.Error == "" {
			t.Errorf("failed run = %+v", failed)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM contact_scores WHERE run_id = $1`, run.ID); n != 2357 {
			t.Errorf("after a failed fit %d rows of the good run remain", n)
		}
		latest, err := svc.LatestScoreRun(ctx)
		if err != nil || latest.ID != failed.ID {
			t.Errorf("latest = %+v, %v", latest, err)
		}
		runs, err := svc.FindScoreRuns(ctx, 10)
		if err != nil || len(runs) != 2 || runs[0].ID != failed.ID {
			t.Errorf("runs = %v, %v", runs, err)
		}

		// The value report: groups and grid add up to the customers.
		rep, err := svc.ValueReport(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		sum, grid, buckets := 0, 0, 0
		for _, g := range rep.Groups {
			sum += g.Customers
		}
		for _, r := range rep.Grid {
			for _, n := range r {
				grid += n
			}
		}
		for _, b := range rep.CLV {
			buckets += b.Customers
		}
		if rep.Customers != 2357 || sum != 2357 || grid != 2357 || buckets != 2357 || rep.Run == nil || rep.Run.ID != run.ID {
			t.Errorf("report: customers %d groups %d grid %d buckets %d run %+v", rep.Customers, sum, grid, buckets, rep.Run)
		}
		if len(rep.AtRisk) != 10 {
			t.Fatalf("at risk rows = %d", len(rep.AtRisk))
		}
		for i, r := range rep.AtRisk {
			if r.RFMGroup != "at_risk" && r.RFMGroup != "cant_lose" || i > 0 && r.CLV12m > rep.AtRisk[i-1].CLV12m {
				t.Errorf("at risk row %d: %+v", i, r)
			}
		}

		// An own-only sales user sees the figures of their customers only.
		if err := db.SetRoleOwnOnly(ctx, crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		uctx, u := storetest.User(t, db, crm.RoleSales, "rep@example.com")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE contacts SET owner_id = $1 WHERE id IN (SELECT contact_id FROM contact_scores ORDER BY contact_id LIMIT 7)`, u.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		own, err := svc.ValueReport(uctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		if own.Customers != 7 {
			t.Errorf("own-only report customers = %d, want 7", own.Customers)
		}
		for _, r := range own.AtRisk {
			if r.OwnerID == nil || *r.OwnerID != u.ID {
				t.Errorf("own-only at-risk row of another owner: %+v", r)
			}
		}
		if _, err := svc.FindContactScore(uctx, id); crm.ErrorCode(err) != crm.ENOTFOUND && id != 0 {
			var owner int
			_ = db.Read().QueryRowContext(context.Background(), `SELECT COALESCE(owner_id, 0) FROM contacts WHERE id = $1`, id).Scan(&owner)
			if int64(owner) != u.ID {
				t.Errorf("own-only user read another's scores: %v", err)
			}
		}
		if _, err := svc.RecomputeScores(uctx, crm.ScoreOptions{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("sales recompute: %v, want forbidden", err)
		}
		if _, err := svc.RecomputeScores(ctx, crm.ScoreOptions{AsOf: "1997-13-01"}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("bad as_of: %v, want invalid", err)
		}
	})
}

func TestBuckets(t *testing.T) {
	b := scores.Buckets(123456)
	if len(b) > 9 || b[len(b)-1] <= 123456 || b[len(b)-2] > 123456 {
		t.Errorf("Buckets(123456) = %v", b)
	}
	if b := scores.Buckets(0); len(b) != 1 || b[0] != 100 {
		t.Errorf("Buckets(0) = %v", b)
	}
}
