package tracking

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// A spool segment is segmentMagic followed by records, each
//
//	length  uint32 LE   of seq + payload
//	crc     uint32 LE   CRC-32C of seq + payload
//	seq     uint64 LE   the record's number, one more than the last one
//	payload             one accepted request's events and counts
//
// Segments are made full of zeros, so the records end at the first zero
// header (or at the end of the file). Records are only appended, a
// generation at a time, and each generation is fsync'd before its
// requests are answered; so after a crash every
// acknowledged record is whole, and a record cut short or failing its
// CRC can only be one nobody was told about. Reading a segment stops there.
const (
	segmentMagic   = "ECRMSPL1"
	recordHeader   = 8
	maxRecordBytes = 4 << 20 // far above one request (MaxBody); a larger length is damage
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames payload as record seq at the end of buf.
func appendRecord(buf []byte, seq int64, payload []byte) []byte {
	n := 8 + len(payload)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(seq))
	buf = append(buf, payload...)
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+recordHeader:], castagnoli))
	return buf
}

// record is one request read back from a segment.
type record struct {
	seq     int64
	payload []byte
}

// errTorn marks the end of a segment's good records: a record cut short
// (the process died inside a write) or damaged (its CRC fails).
var errTorn = errors.New("torn or damaged record")

// readSegment returns a segment's whole records, in order. A torn or
// damaged record ends the segment: what follows it was never
// acknowledged (see the format above); tornAt is its offset then, -1
// when the segment ends cleanly. Any other error is the file's.
func readSegment(path string) (recs []record, tornAt int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, -1, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	magic := make([]byte, len(segmentMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != segmentMagic {
		// A segment whose header never reached the disk holds nothing.
		return nil, 0, nil
	}
	off := int64(len(segmentMagic))
	hdr := make([]byte, recordHeader)
	for {
		rec, n, err := readRecord(r, hdr)
		if errors.Is(err, io.EOF) {
			return recs, -1, nil
		}
		if errors.Is(err, errTorn) {
			return recs, off, nil
		}
		if err != nil {
			return recs, -1, err
		}
		recs = append(recs, rec)
		off += n
	}
}

// readRecord reads one record; io.EOF when the segment ends cleanly
// before it, errTorn when it is cut short or damaged.
func readRecord(r io.Reader, hdr []byte) (record, int64, error) {
	if _, err := io.ReadFull(r, hdr); err != nil {
		if err == io.EOF {
			return record{}, 0, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return record{}, 0, errTorn
		}
		return record{}, 0, err
	}
	n := binary.LittleEndian.Uint32(hdr)
	sum := binary.LittleEndian.Uint32(hdr[4:])
	if n == 0 && sum == 0 {
		// The zeros a segment is made of: the records end here.
		return record{}, 0, io.EOF
	}
	if n < 8 || n > maxRecordBytes {
		return record{}, 0, errTorn
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return record{}, 0, errTorn
		}
		return record{}, 0, err
	}
	if crc32.Checksum(body, castagnoli) != sum {
		return record{}, 0, errTorn
	}
	return record{seq: int64(binary.LittleEndian.Uint64(body)), payload: body[8:]}, recordHeader + int64(n), nil
}

// payloadVersion starts every payload, so a later format can tell.
const payloadVersion = 1

// encodePayload is the spool's copy of one accepted request: its events
// (every field of crm.Event) and cookieless counts, compactly. Props go
// as JSON, as the store keeps them.
func encodePayload(buf []byte, events []*crm.Event, counts []crm.PageCountDelta) []byte {
	buf = append(buf, payloadVersion)
	buf = binary.AppendUvarint(buf, uint64(len(events)))
	for _, e := range events {
		buf = binary.AppendVarint(buf, e.ID)
		buf = binary.AppendVarint(buf, e.SiteID)
		buf = appendOptInt(buf, e.ContactID)
		for _, s := range [...]string{e.VisitorID, e.SessionID, e.Name, e.URL, e.Path, e.Title, e.Referrer,
			e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMTerm, e.UTMContent, e.ProductSKU, e.ProductName, e.Currency} {
			buf = appendString(buf, s)
		}
		buf = appendOptInt(buf, e.Value)
		var props []byte
		if e.Props != nil {
			// A map of strings, numbers, booleans and nulls always encodes.
			props, _ = json.Marshal(e.Props)
		}
		buf = appendString(buf, string(props))
		buf = binary.AppendVarint(buf, e.OccurredAt.UnixNano())
		buf = binary.AppendVarint(buf, e.ReceivedAt.UnixNano())
	}
	buf = binary.AppendUvarint(buf, uint64(len(counts)))
	for _, c := range counts {
		buf = binary.AppendVarint(buf, c.SiteID)
		buf = binary.AppendVarint(buf, c.Day)
		buf = appendString(buf, c.Path)
		buf = binary.AppendVarint(buf, c.N)
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendOptInt(buf []byte, v *int64) []byte {
	if v == nil {
		return append(buf, 0)
	}
	return binary.AppendVarint(append(buf, 1), *v)
}

// payloadReader decodes what encodePayload wrote; the first error sticks.
type payloadReader struct {
	b   []byte
	err error
}

func (p *payloadReader) fail() {
	if p.err == nil {
		p.err = errors.New("spool: malformed payload")
	}
}

func (p *payloadReader) varint() int64 {
	v, n := binary.Varint(p.b)
	if n <= 0 {
		p.fail()
		p.b = nil
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *payloadReader) uvarint() uint64 {
	v, n := binary.Uvarint(p.b)
	if n <= 0 {
		p.fail()
		p.b = nil
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *payloadReader) string() string {
	n := p.uvarint()
	if n > uint64(len(p.b)) {
		p.fail()
		p.b = nil
		return ""
	}
	s := string(p.b[:n])
	p.b = p.b[n:]
	return s
}

func (p *payloadReader) optInt() *int64 {
	if len(p.b) == 0 {
		p.fail()
		return nil
	}
	set := p.b[0]
	p.b = p.b[1:]
	if set == 0 {
		return nil
	}
	v := p.varint()
	return &v
}

func decodePayload(b []byte) ([]*crm.Event, []crm.PageCountDelta, error) {
	if len(b) == 0 || b[0] != payloadVersion {
		return nil, nil, fmt.Errorf("spool: unknown payload version")
	}
	p := &payloadReader{b: b[1:]}
	n := p.uvarint()
	if n > uint64(len(p.b)) { // every event takes more than a byte
		return nil, nil, errors.New("spool: malformed payload")
	}
	events := make([]*crm.Event, 0, n)
	for range n {
		e := &crm.Event{ID: p.varint(), SiteID: p.varint(), ContactID: p.optInt()}
		for _, s := range [...]*string{&e.VisitorID, &e.SessionID, &e.Name, &e.URL, &e.Path, &e.Title, &e.Referrer,
			&e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMTerm, &e.UTMContent, &e.ProductSKU, &e.ProductName, &e.Currency} {
			*s = p.string()
		}
		e.Value = p.optInt()
		if props := p.string(); props != "" && p.err == nil {
			if err := json.Unmarshal([]byte(props), &e.Props); err != nil {
				return nil, nil, fmt.Errorf("spool: props: %w", err)
			}
		}
		e.OccurredAt = time.Unix(0, p.varint()).UTC()
		e.ReceivedAt = time.Unix(0, p.varint()).UTC()
		if p.err != nil {
			return nil, nil, p.err
		}
		events = append(events, e)
	}
	n = p.uvarint()
	if n > uint64(len(p.b)) {
		return nil, nil, errors.New("spool: malformed payload")
	}
	var counts []crm.PageCountDelta
	for range n {
		counts = append(counts, crm.PageCountDelta{SiteID: p.varint(), Day: p.varint(), Path: p.string(), N: p.varint()})
	}
	if p.err == nil && len(p.b) != 0 {
		p.fail()
	}
	return events, counts, p.err
}
