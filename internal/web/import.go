package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// UploadReadTimeout is how long a signed-in user's upload (the import
// wizard, the order import) may take to arrive: 64 MB at 110 kB/s. The
// server's own read timeout, for everyone else, is much shorter.
const UploadReadTimeout = 10 * time.Minute

// The import wizard keeps the uploaded file between its steps in a
// directory of its own under the OS temp directory (uploadDir), under a
// random name carried in a hidden field. No server memory is involved, but
// the file lives on the node that took the upload: behind a load balancer
// the preview and run steps must reach the same node (sticky sessions), or
// the run step answers "not found" and the user uploads again. A file is
// removed by its run, by a preview that fails, and otherwise by
// SweepUploads once it is older than uploadMaxAge — uploads are up to
// 50 MB each and the OS temp cleaner may never come (or only at reboot).
const importPrefix = "ecrm-import-"

const (
	// uploadMaxAge is how long an upload waits for its run step: far
	// longer than choosing a mapping takes.
	uploadMaxAge = time.Hour
	// sweepEvery is how often SweepUploads looks; an abandoned file lives
	// at most uploadMaxAge + sweepEvery.
	sweepEvery = 10 * time.Minute
)

var importTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// Fields an import column can map to, besides custom.<key>.
var (
	contactImportFields = []string{"first_name", "last_name", "email", "phone", "emails", "phones", "company", "company_id",
		"title", "street", "city", "region", "postal_code", "country", "birth_date", "language", "stage", "source", "tags", "owner_id"}
	companyImportFields = []string{"name", "domain", "industry", "size", "phone", "street", "city", "region", "country", "tags", "owner_id"}
	importEncodings     = []string{"", "utf-8", "shift_jis", "windows-1256"}
	importDedupes       = []string{"skip", "update", "create"}
)

type importPage struct {
	Step      string // "upload", "preview", "report"
	Entity    string
	Encoding  string
	Token     string
	Headers   []string
	Sample    [][]string
	Mapping   map[string]string
	Fields    []string
	Report    ImportReport
	Encodings []string
}

func (s *server) importView(r *http.Request, ip importPage) *view {
	v := s.newView(r, "import")
	v.Title = v.L.T("console.import.title")
	ip.Encodings = importEncodings
	v.Data = ip
	return v
}

func (s *server) importForm(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "import is not available")
	}
	return s.ok(w, r, "import", s.importView(r, importPage{Step: "upload", Entity: "contact"}))
}

func importEntity(s string) (string, error) {
	if s != "contact" && s != "company" {
		return "", crm.Errorf(crm.EINVALID, "unknown entity")
	}
	return s, nil
}

// importPreview stores the upload and shows its head with the suggested
// column mapping.
func (s *server) importPreview(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "import is not available")
	}
	entity, err := importEntity(r.PostFormValue("entity"))
	if err != nil {
		return err
	}
	enc := r.PostFormValue("encoding")
	if !slices.Contains(importEncodings, enc) {
		return crm.Errorf(crm.EINVALID, "unknown encoding")
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return crm.Errorf(crm.EINVALID, "no file uploaded")
	}
	defer file.Close()
	if hdr.Size > maxUpload {
		return crm.Errorf(crm.ETOOLARGE, "file too large")
	}
	token, err := saveUpload(file)
	if err != nil {
		return err
	}
	f, err := openUpload(token)
	if err != nil {
		return err
	}
	defer f.Close()
	headers, sample, mapping, detected, err := s.transfer.PreviewCSV(f, enc, 5)
	if err != nil {
		os.Remove(uploadPath(token))
		return err
	}
	fields, err := s.importFields(r, entity, mapping)
	if err != nil {
		return err
	}
	return s.ok(w, r, "import", s.importView(r, importPage{Step: "preview", Entity: entity, Encoding: detected,
		Token: token, Headers: headers, Sample: sample, Mapping: mapping, Fields: fields}))
}

// importFields lists the mapping choices: the entity's fields, its custom
// fields, and whatever the preview suggested so a suggestion is always
// selectable.
func (s *server) importFields(r *http.Request, entity string, suggested map[string]string) ([]string, error) {
	fields := slices.Clone(contactImportFields)
	if entity == "company" {
		fields = slices.Clone(companyImportFields)
	}
	defs, err := s.svc.CustomFields.FindCustomFields(r.Context(), entity)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		fields = append(fields, "custom."+d.Key)
	}
	for _, f := range suggested {
		if f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return fields, nil
}

func (s *server) importRun(w http.ResponseWriter, r *http.Request) error {
	if s.transfer == nil {
		return crm.Errorf(crm.ENOTFOUND, "import is not available")
	}
	entity, err := importEntity(r.PostFormValue("entity"))
	if err != nil {
		return err
	}
	dedupe := r.PostFormValue("dedupe")
	if !slices.Contains(importDedupes, dedupe) {
		return crm.Errorf(crm.EINVALID, "unknown dedupe choice")
	}
	enc := r.PostFormValue("encoding")
	token := r.PostFormValue("token")
	f, err := openUpload(token)
	if err != nil {
		return err
	}
	defer os.Remove(uploadPath(token))
	defer f.Close()
	headers, fields := r.PostForm["header"], r.PostForm["field"]
	if len(headers) != len(fields) {
		return crm.Errorf(crm.EINVALID, "mapping does not match the headers")
	}
	mapping := make(map[string]string, len(headers))
	for i, h := range headers {
		mapping[h] = fields[i]
	}
	report, err := s.transfer.ImportCSV(r.Context(), entity, f, enc, mapping, dedupe)
	if err != nil {
		return err
	}
	return s.ok(w, r, "import", s.importView(r, importPage{Step: "report", Entity: entity, Report: report}))
}

// uploadDir is the directory of wizard uploads: ecrm's own, so that a
// sweep never looks at other programs' files, and per OS user, so that
// two users running ecrm on one host do not share (or fight over) it.
// Several ecrm processes of one user do share it; see SweepUploads.
func uploadDir() string {
	return filepath.Join(os.TempDir(), "ecrm-uploads-"+strconv.Itoa(os.Getuid()))
}

func uploadPath(token string) string {
	return filepath.Join(uploadDir(), importPrefix+token+".csv")
}

// ensureUploadDir creates uploadDir readable by ecrm's user only. The
// temp directory is shared with every user of the host: a directory made
// there by someone else under this name (or a symbolic link) is refused
// rather than written into — it is not ours if we cannot make it private.
func ensureUploadDir() error {
	dir := uploadDir()
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("upload directory %s is not a directory", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("upload directory %s is not private and cannot be made so: %w", dir, err)
		}
	}
	return nil
}

func saveUpload(src io.Reader) (string, error) {
	if err := ensureUploadDir(); err != nil {
		return "", err
	}
	b := make([]byte, 18)
	rand.Read(b)
	token := hex.EncodeToString(b)
	dst, err := os.OpenFile(uploadPath(token), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	n, err := io.Copy(dst, io.LimitReader(src, maxUpload+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxUpload {
		err = crm.Errorf(crm.ETOOLARGE, "file too large")
	}
	if err != nil {
		os.Remove(uploadPath(token))
		return "", err
	}
	return token, nil
}

// openUpload opens a stored upload. The token comes from the client, so it
// must be exactly what saveUpload makes: no separators, no dots, and a
// file that exists in the temp directory.
func openUpload(token string) (*os.File, error) {
	if !importTokenRe.MatchString(token) {
		return nil, crm.Errorf(crm.ENOTFOUND, "upload not found")
	}
	f, err := os.Open(uploadPath(token))
	if errors.Is(err, os.ErrNotExist) {
		return nil, crm.Errorf(crm.ENOTFOUND, "upload not found; upload the file again")
	}
	return f, err
}

// SweepUploads removes abandoned uploads (a preview never followed by its
// run, or a process that died between the two) at once and then every
// sweepEvery, until stop is called. It removes only files older than
// uploadMaxAge, at start too: other ecrm processes of the same user may
// share the directory — a second server on the host, or the new process
// of a rolling restart — and their users may be between preview and run
// right now; what is older than the age limit is abandoned whichever
// process made it. The first sweep also clears the OS temp directory
// itself, where versions before this one left their uploads.
func SweepUploads(log *slog.Logger) (stop func()) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(sweepEvery)
		defer tick.Stop()
		dirs := []string{uploadDir(), os.TempDir()}
		for {
			for _, dir := range dirs {
				n, err := sweepUploads(dir, time.Now().Add(-uploadMaxAge))
				if err != nil {
					log.Warn("removing abandoned import uploads", "dir", dir, "err", err)
				} else if n > 0 {
					log.Info("removed abandoned import uploads", "dir", dir, "files", n)
				}
			}
			dirs = dirs[:1]
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// sweepUploads removes the uploads in dir last written before cutoff and
// returns how many it removed. Files not named like an upload are left
// alone, and so is a directory that does not exist (nothing uploaded yet).
func sweepUploads(dir string, cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		name, isUpload := strings.CutPrefix(e.Name(), importPrefix)
		token, isCSV := strings.CutSuffix(name, ".csv")
		if !isUpload || !isCSV || !importTokenRe.MatchString(token) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue // gone already (its run took it), or still in use
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
