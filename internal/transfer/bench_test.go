package transfer_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/demo"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/transfer"
)

// TestImportMeasure imports ECRM_IMPORT_ROWS demo contacts from a CSV file
// on every engine and logs the time; bench/import.md records the figures.
// It is opt-in: a million rows take a minute and a gigabyte of disk.
func TestImportMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ECRM_IMPORT_ROWS"))
	if n == 0 {
		t.Skip("set ECRM_IMPORT_ROWS=1000000 to measure an import")
	}
	path := filepath.Join(t.TempDir(), "contacts.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.New(42).WriteContactsCSV(f, n); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := storetest.Open(t, engine)
			tr := newTransfer(db)
			in, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			mapping := transfer.SuggestMapping("contact", demo.CSVHeader)
			start := time.Now()
			rep, err := tr.ImportCSV(storetest.System(), "contact", in, "", mapping, "skip")
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d rows in %.1f s (%.0f rows/s): %d created, %d skipped, %d rejected",
				engine, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), rep.Created, rep.Skipped, len(rep.Rejected))
			if rep.Created+rep.Skipped+len(rep.Rejected) < n {
				t.Errorf("accounted for %d of %d rows", rep.Created+rep.Skipped+len(rep.Rejected), n)
			}
		})
	}
}
