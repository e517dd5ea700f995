package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// UploadReadTimeout is how long a signed-in user's upload (the import
// wizard, the order import) may take to arrive: 64 MB at 110 kB/s. The
// server's own read timeout, for everyone else, is much shorter.
const UploadReadTimeout = 10 * time.Minute

// The import wizard keeps the uploaded file between its steps in the OS
// temp directory under a random name, carried in a hidden field. No server
// memory is involved, but the file lives on the node that took the upload:
// behind a load balancer the preview and run steps must reach the same node
// (sticky sessions), or the run step answers "not found" and the user
// uploads again. Files are removed after the run; an abandoned preview
// leaves its file to the OS temp cleaner.
const importPrefix = "ecrm-import-"

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

func uploadPath(token string) string {
	return filepath.Join(os.TempDir(), importPrefix+token+".csv")
}

func saveUpload(src io.Reader) (string, error) {
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
