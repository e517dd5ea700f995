package tracking

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// spool makes an accepted request durable before it is answered: the
// handler appends the request's record and waits until the file is
// fsync'd — one fsync for every request that arrived meanwhile (a group
// commit of its own, so a busy endpoint pays few) — and only then is the
// record handed to the queue and the 204 sent. The database writer
// records each batch's range of record numbers in the batch's own
// transaction; at start, records the database does not have are written
// again, so a crash loses no acknowledged event and stores none twice.
//
// One spool belongs to one process (a lock file says so): several servers
// each have their own directory. Segments are deleted once every record
// in them is committed; the database's ranges go with them.
type spool struct {
	dir    string
	id     string // names the spool in the database's ranges
	lock   *os.File
	log    *slog.Logger
	m      *metrics
	q      *queue
	ledger crm.SpoolLedger

	segBytes  int64         // the size of a segment
	prepared  chan *os.File // the next segment, made ahead (nil if that failed)
	preparing sync.WaitGroup
	segAge    time.Duration // and one this old, so an idle spool does not keep ranges forever

	mu     sync.Mutex
	buf    []byte // records not yet written, in seq order
	items  []item // their queue items
	next   int64  // the next record's number
	gen    *generation
	closed bool
	kick   chan struct{}
	done   chan struct{} // closed when the syncer has stopped

	// The syncer's alone.
	f           *os.File
	off         int64 // where the next record goes
	fopened     time.Time
	spare       []byte
	last        *generation // the latest generation written
	filesClosed bool
	broken      atomic.Bool   // a write or fsync failed: start a new segment
	inflight    chan struct{} // a slot per fsync under way

	// Segments and what is committed, under segMu.
	segMu  sync.Mutex
	segs   []segment       // oldest first; the last is the one being written
	doneTo int64           // every record up to here is committed (or given up)
	ahead  map[int64]int64 // ranges done beyond doneTo: first → last
}

// generation is one write + fsync; its requests wait for done.
type generation struct {
	done chan struct{}
	err  error
	f    *os.File    // the segment it was written to
	prev *generation // the one before, which completes first
}

type segment struct {
	first, last int64 // last is known once a newer segment is started
	path        string
}

func segmentName(first int64) string { return fmt.Sprintf("%020d.seg", first) }

var errSpoolClosed = errors.New("spool: closed")

// openSpool locks dir (creating it), reads what an earlier process left
// there and returns the records the database has not committed, for
// replay. Writing starts in a new segment; the old ones are deleted
// by the replay once their records are in.
func openSpool(ctx context.Context, dir string, ledger crm.SpoolLedger, log *slog.Logger, m *metrics, segBytes int64) (s *spool, pending []record, old []string, err error) {
	if segBytes <= 0 {
		segBytes = 4 << 20
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("collect spool: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	id, err := spoolID(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	s = &spool{dir: dir, id: id, lock: lock, log: log, m: m, ledger: ledger,
		segBytes: segBytes, segAge: 30 * time.Second, prepared: make(chan *os.File, 1), inflight: make(chan struct{}, syncsInFlight), kick: make(chan struct{}, 1), done: make(chan struct{}),
		gen: &generation{done: make(chan struct{})}, ahead: map[int64]int64{}}

	os.Remove(filepath.Join(dir, spareName))
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		return nil, nil, nil, err
	}
	slices.Sort(names) // zero-padded first record numbers: name order is record order
	var last int64
	var recs []record
	for _, path := range names {
		if first, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(path), ".seg"), 10, 64); err == nil {
			last = max(last, first-1)
		}
		rs, tornAt, err := readSegment(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("collect spool: read %s: %w", path, err)
		}
		if tornAt >= 0 {
			// Only a record nobody was answered for can be cut short.
			log.Warn("collect spool: a segment ends in a torn or damaged record; what follows was never acknowledged", "segment", path, "offset", tornAt)
		}
		for _, r := range rs {
			last = max(last, r.seq)
		}
		recs = append(recs, rs...)
	}
	ranges, err := ledger.SpoolRanges(ctx, id)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("collect spool: read committed ranges: %w", err)
	}
	for _, r := range ranges {
		last = max(last, r.Last)
	}
	committed := mergeRanges(ranges)
	for _, r := range recs {
		if !committed.has(r.seq) {
			pending = append(pending, r)
		}
	}
	// Numbers keep growing past anything a file or the database has seen,
	// so no new record is mistaken for a committed one.
	s.next = last + 1
	s.doneTo = last
	if err := s.startSegment(s.next); err != nil {
		return nil, nil, nil, err
	}
	// An empty segment left by the last process may carry the new one's
	// name; it was just started afresh and is not old.
	old = slices.DeleteFunc(names, func(p string) bool { return p == s.segs[0].path })
	return s, pending, old, nil
}

// spoolID reads the spool's name, creating it on first use.
func spoolID(dir string) (string, error) {
	path := filepath.Join(dir, "id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("collect spool: %w", err)
	}
	raw := make([]byte, 12)
	rand.Read(raw)
	id := hex.EncodeToString(raw)
	if err := writeFileSync(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("collect spool: %w", err)
	}
	return id, syncDir(dir)
}

func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// syncDir makes a file's creation or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Segments are written full of zeros before use (PostgreSQL does the
// same with its WAL): appending inside a file that already has its size
// and blocks lets fdatasync flush the records alone, without a journal
// commit for the file's metadata — half the time of a sync after an
// append on ext4. The next one is made ahead, in the background, while
// the current one fills.
const spareName = "next.seg.tmp"

// makeSegment creates path full of zeros but for the header, synced.
func makeSegment(path string, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	zero := make([]byte, 256<<10)
	copy(zero, segmentMagic)
	for off := int64(0); off < size && err == nil; off += int64(len(zero)) {
		_, err = f.WriteAt(zero[:min(int64(len(zero)), size-off)], off)
		if off == 0 {
			clear(zero[:len(segmentMagic)])
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// prepare makes the next segment in the background.
func (s *spool) prepare() {
	s.preparing.Add(1)
	go func() {
		defer s.preparing.Done()
		f, err := makeSegment(filepath.Join(s.dir, spareName), s.segBytes)
		if err != nil {
			s.log.Warn("collect spool: could not prepare the next segment", "err", err)
		}
		s.prepared <- f
	}()
}

// startSegment closes the current segment (already synced) and starts
// the one whose first record will be first, from the prepared file when
// it is ready.
func (s *spool) startSegment(first int64) error {
	path := filepath.Join(s.dir, segmentName(first))
	var f *os.File
	select {
	case f = <-s.prepared:
		if f != nil {
			if err := os.Rename(filepath.Join(s.dir, spareName), path); err != nil {
				f.Close()
				f = nil
			}
		}
	default:
		if s.f == nil {
			break // the first segment: nothing is being prepared yet
		}
		// Still being made: wait for it rather than write a second one.
		if f = <-s.prepared; f != nil {
			if err := os.Rename(filepath.Join(s.dir, spareName), path); err != nil {
				f.Close()
				f = nil
			}
		}
	}
	if f == nil {
		var err error
		if f, err = makeSegment(path, s.segBytes); err != nil {
			return fmt.Errorf("collect spool: %w", err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return fmt.Errorf("collect spool: %w", err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.off, s.fopened = f, int64(len(segmentMagic)), time.Now()
	s.segMu.Lock()
	if n := len(s.segs); n > 0 {
		s.segs[n-1].last = first - 1
	}
	s.segs = append(s.segs, segment{first: first, path: path})
	s.segMu.Unlock()
	s.prepare()
	return nil
}

// start runs the syncer; records go to q once on disk.
func (s *spool) start(q *queue) {
	s.q = q
	go s.run()
}

// append writes it's record (payload, numbered here) and returns once it
// is on disk and queued; an error means neither, and the request is
// refused.
func (s *spool) append(it item, payload []byte) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSpoolClosed
	}
	it.seq = s.next
	s.next++
	s.buf = appendRecord(s.buf, it.seq, payload)
	s.items = append(s.items, it)
	g := s.gen
	// Under mu, so closeInput cannot close kick in between.
	select {
	case s.kick <- struct{}{}:
	default:
	}
	s.mu.Unlock()
	<-g.done
	return g.err
}

// run is the syncer: it writes what is waiting and has it fsync'd, over
// and over. Up to syncsInFlight fsyncs run at once — the next
// generation's starts while the last one's is under way rather than after
// it — and each generation completes in order (complete), so records
// reach the queue in their order and a request waits for one fsync, not
// for the one before too.
func (s *spool) run() {
	defer close(s.done)
	for {
		_, open := <-s.kick
		s.flush()
		if !open {
			if s.last != nil {
				<-s.last.done
			}
			return
		}
	}
}

// syncsInFlight bounds the fsyncs under way; concurrent ones share the
// device's cache flushes.
const syncsInFlight = 4

// flush writes generations until nothing waits.
func (s *spool) flush() {
	for {
		s.mu.Lock()
		buf, items, g := s.buf, s.items, s.gen
		if len(items) == 0 {
			s.mu.Unlock()
			return
		}
		s.buf, s.items, s.gen = s.spare[:0], nil, &generation{done: make(chan struct{})}
		s.mu.Unlock()
		s.inflight <- struct{}{}
		g.prev, s.last = s.last, g
		first := items[0].seq
		start := time.Now()
		err := s.write(g, buf, first)
		s.spare = buf
		go s.complete(g, items, err, start)
	}
}

// write puts a generation's records after the last ones, starting a new
// segment first when the current one is full, old or broken.
func (s *spool) write(g *generation, buf []byte, first int64) error {
	used := s.off > int64(len(segmentMagic))
	if s.broken.Load() || used && (s.off+int64(len(buf)) > s.segBytes || time.Since(s.fopened) >= s.segAge) {
		// The old file closes: let the fsyncs on it finish first.
		if g.prev != nil {
			<-g.prev.done
		}
		if err := s.startSegment(first); err != nil {
			return err
		}
		s.broken.Store(false)
		s.retire()
	}
	g.f = s.f
	if _, err := s.f.WriteAt(buf, s.off); err != nil {
		s.broken.Store(true)
		return err
	}
	s.off += int64(len(buf))
	return nil
}

// complete fsyncs a generation, waits for the one before, then queues its
// records and answers its requests. A generation fails with the one
// before it: its records follow that one's in the file, and a replay
// reads no further than the first record that did not reach the disk.
func (s *spool) complete(g *generation, items []item, err error, start time.Time) {
	defer func() { <-s.inflight }()
	if err == nil {
		err = datasync(g.f)
		s.m.spoolSync.Observe(time.Since(start).Seconds())
	}
	if g.prev != nil {
		<-g.prev.done
		if err == nil && g.prev.err != nil {
			err = g.prev.err
		}
	}
	if err == nil {
		for _, it := range items {
			s.q.push(it)
		}
	} else {
		s.log.Error("collect spool: writing failed; the requests are refused", "dir", s.dir, "err", err)
		// Later records go to a new segment.
		s.broken.Store(true)
		// Not queued, so never committed: nothing should wait for them.
		s.finished(items[0].seq, items[len(items)-1].seq)
	}
	g.err = err
	g.prev = nil // let the chain be collected
	close(g.done)
}

// finished records that records first..last are committed (or given up
// for good), deleting the segments that holds nothing else any more.
func (s *spool) finished(first, last int64) {
	s.segMu.Lock()
	if first <= s.doneTo+1 {
		s.doneTo = max(s.doneTo, last)
		for {
			l, ok := s.ahead[s.doneTo+1]
			if !ok {
				break
			}
			delete(s.ahead, s.doneTo+1)
			s.doneTo = l
		}
	} else {
		s.ahead[first] = last
	}
	s.segMu.Unlock()
	s.retire()
}

// retire deletes the segments, but the one being written, whose records
// are all committed, then the database's ranges of those records.
func (s *spool) retire() {
	s.segMu.Lock()
	var gone []segment
	for len(s.segs) > 1 && s.segs[0].last <= s.doneTo {
		gone = append(gone, s.segs[0])
		s.segs = s.segs[1:]
	}
	below := s.segs[0].first
	s.segMu.Unlock()
	if len(gone) == 0 {
		return
	}
	s.forget(gone, below)
}

// forget removes segment files, then the ranges below the oldest record
// still in a file: in that order, so a range is never missing for a
// record that could still be replayed.
func (s *spool) forget(gone []segment, below int64) {
	for _, g := range gone {
		if err := os.Remove(g.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("collect spool: could not delete a committed segment", "segment", g.path, "err", err)
			return
		}
	}
	if err := syncDir(s.dir); err != nil {
		s.log.Warn("collect spool: sync directory", "dir", s.dir, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(crm.WithActor(context.Background(), crm.SystemActor), 10*time.Second)
	defer cancel()
	if err := s.ledger.ForgetSpoolRanges(ctx, s.id, below); err != nil {
		// Harmless: the ranges go with the next segment.
		s.log.Warn("collect spool: could not trim committed ranges", "err", err)
	}
}

// closeInput refuses new records and waits until those waiting are on
// disk and queued.
func (s *spool) closeInput() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.kick)
	}
	s.mu.Unlock()
	<-s.done
}

// abandon lets the spool go without deleting anything, when the replay
// failed: the old segments and their ranges stay for the next start.
func (s *spool) abandon() {
	s.filesClosed = true
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.preparing.Wait()
	select {
	case f := <-s.prepared:
		if f != nil {
			f.Close()
		}
	default:
	}
	os.Remove(filepath.Join(s.dir, spareName))
	s.lock.Close()
}

// closeFiles ends a clean shutdown: once the queue is drained every
// record is committed, so no segment is needed any more.
func (s *spool) closeFiles() error {
	if s.filesClosed {
		return nil
	}
	s.filesClosed = true
	s.segMu.Lock()
	all := s.doneTo >= s.next-1
	segs := s.segs
	s.segMu.Unlock()
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	s.preparing.Wait()
	select {
	case f := <-s.prepared:
		if f != nil {
			f.Close()
		}
	default:
	}
	os.Remove(filepath.Join(s.dir, spareName))
	if all {
		s.forget(segs, s.next)
	}
	return errors.Join(err, s.lock.Close())
}

// committedSet answers "is record n committed" from the database's
// ranges, merged.
type committedSet []crm.SpoolRange

func mergeRanges(rs []crm.SpoolRange) committedSet {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b crm.SpoolRange) int { return int(min(max(a.First-b.First, -1), 1)) })
	var out committedSet
	for _, r := range rs {
		if n := len(out); n > 0 && r.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

func (c committedSet) has(seq int64) bool {
	i, _ := slices.BinarySearchFunc(c, seq, func(r crm.SpoolRange, seq int64) int {
		switch {
		case r.Last < seq:
			return -1
		case r.First > seq:
			return 1
		}
		return 0
	})
	return i < len(c) && c[i].First <= seq && seq <= c[i].Last
}
