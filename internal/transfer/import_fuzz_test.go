package transfer_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/transfer"
)

// Every import entry point (contacts, companies, consents, orders as CSV
// and as CDNOW, and the console wizard's preview) is fuzzed here. Each
// input runs under inputLimit: a reader error retried for ever (the
// preview and the consent import used to `continue` on a fatal one and
// spin at 100 % CPU) fails the input instead of hanging the test. The
// seeds, which `go test` runs without -fuzz, include a quote left open
// and a line longer than 1 MiB.

// inputLimit bounds one input. It is a detector of loops that never end,
// not a speed requirement: the largest seed is a little over 1 MiB and
// takes milliseconds; the bound leaves room for a loaded machine and the
// race detector.
const inputLimit = 5 * time.Second

// within runs fn and fails the test when it has not returned within
// inputLimit. Nothing can stop a goroutine that never returns, so it
// keeps running until the test binary exits; the test fails instead of
// hanging.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(inputLimit):
		t.Fatalf("%s did not return within %v: a reading loop that never ends?", what, inputLimit)
	}
}

// importSeeds are the seed inputs for a file whose header is header and
// whose valid row is row.
func importSeeds(header, row string) []string {
	long := strings.Repeat("x", csvx.MaxLineBytes+10)
	return []string{
		header + "\n" + row + "\n",
		header + "\r\n" + row + "\r\n" + row,
		header + "\n\"" + row + "\n" + row + "\n",                                   // quote left open, small file
		header + "\n\"" + row + "\n" + strings.Repeat(row+"\n", 1+(1<<20)/len(row)), // quote left open past 1 MiB
		header + "\n" + row + "\n" + row + "," + long + "\n" + row + "\n",           // a line over 1 MiB
		long + "\n" + row + "\n",                                                    // a header over 1 MiB
		header + "\n" + row + "\xff\xfe\n",
		"",
		"\"",
	}
}

// lines is an upper bound of the lines of data as csvx counts them.
func lines(data []byte) int {
	return bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
}

// checkOutcome: no internal error, and every line named lies in the file.
func checkOutcome(t *testing.T, data []byte, err error, rejected []int) {
	t.Helper()
	if err != nil && crm.ErrorCode(err) == crm.EINTERNAL {
		t.Fatalf("internal error: %v", err)
	}
	for _, l := range rejected {
		if l < 1 || l > lines(data) {
			t.Fatalf("rejected line %d of a file of at most %d lines", l, lines(data))
		}
	}
}

// loopLog is the consent import's log of rejected lines. Each line is
// rejected at most once, so more entries than lines means the import
// reads the same error again and again: it ends that goroutine (the log
// would otherwise grow without bound) and the test fails.
type loopLog struct {
	max     int
	n       atomic.Int64
	looping atomic.Bool
}

func (l *loopLog) Write(p []byte) (int, error) {
	if int(l.n.Add(int64(bytes.Count(p, []byte("\n"))))) > l.max {
		l.looping.Store(true)
		runtime.Goexit()
	}
	return len(p), nil
}

// fuzzDBs opens one database per engine for a fuzz target; inputs share it.
func fuzzDBs(f *testing.F) []*store.DB {
	var dbs []*store.DB
	for _, e := range storetest.Engines() {
		dbs = append(dbs, storetest.Open(f, e))
	}
	return dbs
}

func addSeeds(f *testing.F, header, row string) {
	for _, s := range importSeeds(header, row) {
		f.Add([]byte(s))
	}
}

func rejectedOf(rep transfer.Report) []int {
	var out []int
	for _, r := range rep.Rejected {
		out = append(out, r.Line)
	}
	return out
}

func FuzzImportContacts(f *testing.F) {
	addSeeds(f, "email,first_name,company", "sara@example.com,Sara,Acme")
	dbs := fuzzDBs(f)
	mapping := map[string]string{"email": "email", "first_name": "first_name", "company": "company"}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, db := range dbs {
			var rep transfer.Report
			var err error
			within(t, "contact import", func() {
				rep, err = newTransfer(db).ImportCSV(storetest.System(), transfer.EntityContact, bytes.NewReader(data), "", mapping, "update")
			})
			checkOutcome(t, data, err, rejectedOf(rep))
		}
	})
}

func FuzzImportCompanies(f *testing.F) {
	addSeeds(f, "name,domain", "Acme,acme.example")
	dbs := fuzzDBs(f)
	mapping := map[string]string{"name": "name", "domain": "domain"}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, db := range dbs {
			var rep transfer.Report
			var err error
			within(t, "company import", func() {
				rep, err = newTransfer(db).ImportCSV(storetest.System(), transfer.EntityCompany, bytes.NewReader(data), "", mapping, "skip")
			})
			checkOutcome(t, data, err, rejectedOf(rep))
		}
	})
}

func FuzzImportConsents(f *testing.F) {
	addSeeds(f, "email,status,at,ip", "sara@example.com,yes,2023-04-05 10:11:12,198.51.100.4")
	dbs := fuzzDBs(f)
	for _, db := range dbs {
		if _, err := db.CreateContact(storetest.System(), crm.ContactInput{Email: ptr("sara@example.com")}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, db := range dbs {
			var rep transfer.ConsentReport
			var err error
			log := &loopLog{max: lines(data)}
			within(t, "consent import", func() {
				rep, err = newTransfer(db).ImportConsents(storetest.System(), bytes.NewReader(data), "", "fuzz.csv", log)
			})
			if log.looping.Load() {
				t.Fatalf("the consent import logged more rejections than the file has lines (%d): it reads one error again and again", lines(data))
			}
			var rejected []int
			for _, r := range rep.Rejected {
				rejected = append(rejected, r.Line)
			}
			checkOutcome(t, data, err, rejected)
		}
	})
}

func fuzzOrders(f *testing.F, format string) {
	dbs := fuzzDBs(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, db := range dbs {
			var rep *crm.OrderImportReport
			var err error
			within(t, format+" order import", func() {
				rep, err = db.ImportOrders(storetest.System(), bytes.NewReader(data), crm.OrderFileOptions{Format: format})
			})
			var rejected []int
			if rep != nil {
				for _, r := range rep.Rejected {
					rejected = append(rejected, r.Line)
				}
			}
			checkOutcome(t, data, err, rejected)
		}
	})
}

func FuzzImportOrdersCSV(f *testing.F) {
	addSeeds(f, "order_id,email,date,sku,quantity,unit_price", "A1,sara@example.com,2024-04-01,TEA-1,2,4.50")
	fuzzOrders(f, crm.OrderFormatCSV)
}

func FuzzImportOrdersCDNOW(f *testing.F) {
	// CDNOW has no quoting: its seeds are whitespace-separated lines, one
	// over 1 MiB, and the CSV seeds as garbage.
	long := strings.Repeat("9", csvx.MaxLineBytes+10)
	for _, s := range []string{
		"00001 19970101 1 11.77\n00002 19970112 2 89.00\n",
		"00001 19970101 1 11.77\n00002 19970112 2 " + long + "\n00003 19970113 1 5.00\n",
		long + "\n00001 19970101 1 11.77\n",
		"00001 19970101 1 11.77\r00002 19970112 2 89.00",
		"\"00001 19970101 1 11.77\n",
		"",
	} {
		f.Add([]byte(s))
	}
	fuzzOrders(f, crm.OrderFormatCDNOW)
}

// FuzzPreviewCSV is the console import wizard's first step
// (POST /import/preview reads the upload through PreviewCSV).
func FuzzPreviewCSV(f *testing.F) {
	addSeeds(f, "email,first_name", "sara@example.com,Sara")
	tr := transfer.New(nil, nil) // the preview reads the file only
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		var sample [][]string
		within(t, "preview", func() {
			_, sample, _, _, err = tr.PreviewCSV(bytes.NewReader(data), "", 5)
		})
		checkOutcome(t, data, err, nil)
		if len(sample) > 5 {
			t.Fatalf("preview of 5 rows returned %d", len(sample))
		}
	})
}

// TestImportStopsAtFatalError: at a line over 1 MiB, or a quote left open
// until the record passes 1 MiB, every entry point stops and names the
// line where reading failed — as a rejected line saying the rest of the
// file was not imported, or as its error.
func TestImportStopsAtFatalError(t *testing.T) {
	long := strings.Repeat("x", csvx.MaxLineBytes+10)
	type outcome struct {
		err  error
		rows []transfer.Rejected
	}
	entries := []struct {
		name, header, row string
		run               func(db *store.DB, r io.Reader) outcome
	}{
		{"contacts", "email,first_name", "sara@example.com,Sara", func(db *store.DB, r io.Reader) outcome {
			rep, err := newTransfer(db).ImportCSV(storetest.System(), transfer.EntityContact, r, "", map[string]string{"email": "email", "first_name": "first_name"}, "skip")
			return outcome{err, rep.Rejected}
		}},
		{"companies", "name,domain", "Acme,acme.example", func(db *store.DB, r io.Reader) outcome {
			rep, err := newTransfer(db).ImportCSV(storetest.System(), transfer.EntityCompany, r, "", map[string]string{"name": "name"}, "skip")
			return outcome{err, rep.Rejected}
		}},
		{"consents", "email,status", "sara@example.com,yes", func(db *store.DB, r io.Reader) outcome {
			log := &loopLog{max: 10}
			rep, err := newTransfer(db).ImportConsents(storetest.System(), r, "", "f.csv", log)
			if log.looping.Load() {
				return outcome{err: fmt.Errorf("looped")}
			}
			return outcome{err, rep.Rejected}
		}},
		{"cdnow", "00001 19970101 1 11.77", "00002 19970112 2 89.00", func(db *store.DB, r io.Reader) outcome {
			rep, err := db.ImportOrders(storetest.System(), r, crm.OrderFileOptions{Format: crm.OrderFormatCDNOW})
			var rows []transfer.Rejected
			if rep != nil {
				for _, x := range rep.Rejected {
					rows = append(rows, transfer.Rejected{Line: x.Line, Field: x.Field, Reason: x.Reason})
				}
			}
			return outcome{err, rows}
		}},
		{"orders", "order_id,email,date,sku,quantity,unit_price", "A1,sara@example.com,2024-04-01,TEA-1,2,4.50", func(db *store.DB, r io.Reader) outcome {
			rep, err := db.ImportOrders(storetest.System(), r, crm.OrderFileOptions{Format: crm.OrderFormatCSV})
			var rows []transfer.Rejected
			if rep != nil {
				for _, x := range rep.Rejected {
					rows = append(rows, transfer.Rejected{Line: x.Line, Field: x.Field, Reason: x.Reason})
				}
			}
			return outcome{err, rows}
		}},
		{"preview", "email,first_name", "sara@example.com,Sara", func(db *store.DB, r io.Reader) outcome {
			_, _, _, _, err := newTransfer(db).PreviewCSV(r, "", 5)
			return outcome{err: err}
		}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.CreateContact(storetest.System(), crm.ContactInput{Email: ptr("sara@example.com")}); err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			files := []struct {
				name string
				data string
				line int // the line reading stops at
			}{
				{"long line", en.header + "\n" + en.row + "\n" + en.row + long + "\n" + en.row + "\n", 3},
				{"open quote", en.header + "\n" + en.row + "\n\"" + en.row + "\n" + strings.Repeat(en.row+"\n", 1+(1<<20)/len(en.row)), 3},
				{"long header", long + "\n" + en.row + "\n", 1},
			}
			for _, file := range files {
				if en.name == "cdnow" && file.name == "open quote" {
					continue // no quoting in CDNOW files
				}
				t.Run(en.name+"/"+file.name, func(t *testing.T) {
					var out outcome
					within(t, en.name, func() { out = en.run(db, strings.NewReader(file.data)) })
					want := fmt.Sprintf("line %d", file.line)
					if out.err != nil {
						if crm.ErrorCode(out.err) != crm.EINVALID || !strings.Contains(crm.ErrorMessage(out.err), want) {
							t.Fatalf("error %v does not name %s", out.err, want)
						}
						return
					}
					for _, r := range out.rows {
						if r.Line == file.line && strings.Contains(r.Reason, "rest of the file was not imported") {
							return
						}
					}
					t.Fatalf("neither an error nor a rejected line names %s and the end of the import: %+v", want, out.rows)
				})
			}
		}
	})
}
