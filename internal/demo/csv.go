package demo

import (
	"bufio"
	"encoding/csv"
	"io"
	"runtime"
	"strings"
	"sync"
)

// CSVHeader is the column list of WriteContactsCSV, the benchmark and
// import file format.
var CSVHeader = []string{"first_name", "last_name", "email", "phone", "company", "title", "city",
	"region", "country", "birth_date", "language", "stage", "source", "tags"}

// csvChunk is how many rows one worker renders at a time: large enough to
// amortise the hand-off, small enough to keep memory flat for any n.
const csvChunk = 4096

// WriteContactsCSV writes contacts 0..n-1 as CSV, header first, tags joined
// with ";". Row i holds the same values as Contact(i, CompanyCount(n))
// before validation. Rows are rendered in parallel chunks and written in
// order, so a million rows take a few seconds.
func (g *Generator) WriteContactsCSV(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	companies := CompanyCount(n)
	chunks := (n + csvChunk - 1) / csvChunk
	workers := min(runtime.GOMAXPROCS(0), max(chunks, 1))

	// Each chunk gets a result slot; slots are filled by workers in any
	// order and drained by this goroutine in index order. The semaphore
	// bounds how far workers may run ahead of the writer.
	results := make([]chan string, chunks)
	for c := range results {
		results[c] = make(chan string, 1)
	}
	ahead := make(chan struct{}, 2*workers)
	next := make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range next {
				results[c] <- g.renderChunk(c*csvChunk, min(n, (c+1)*csvChunk), companies)
			}
		})
	}
	go func() {
		defer close(next)
		for c := range chunks {
			select {
			case ahead <- struct{}{}:
			case <-done:
				return
			}
			select {
			case next <- c:
			case <-done:
				return
			}
		}
	}()
	var err error
	for c := range chunks {
		buf := <-results[c]
		<-ahead
		if _, err = bw.WriteString(buf); err != nil {
			break
		}
	}
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	return bw.Flush()
}

// renderChunk renders rows [from, to) as CSV text.
func (g *Generator) renderChunk(from, to, companies int) string {
	var sb strings.Builder
	sb.Grow((to - from) * 200)
	cw := csv.NewWriter(&sb)
	row := make([]string, len(CSVHeader))
	for i := from; i < to; i++ {
		rec := g.record(i, companies)
		row[0] = rec.first.native
		row[1] = rec.last.native
		row[2] = rec.email
		row[3] = rec.phone
		row[4] = rec.companyName
		row[5] = rec.title
		row[6] = rec.city.name
		row[7] = rec.city.region
		row[8] = rec.country.code
		row[9] = rec.birthDate
		row[10] = locales[rec.locale]
		row[11] = rec.stage
		row[12] = rec.source
		row[13] = strings.Join(rec.tags, ";")
		// Writing to a strings.Builder cannot fail.
		_ = cw.Write(row)
	}
	cw.Flush()
	return sb.String()
}
