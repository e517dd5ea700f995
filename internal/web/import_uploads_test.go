package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// privateTemp points the OS temp directory, and with it uploadDir, at a
// directory of the test's own.
func privateTemp(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	if os.TempDir() != dir {
		t.Skipf("os.TempDir does not follow TMPDIR on this system")
	}
	return dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestSweepUploads: uploads older than the age limit go, younger ones
// (another process's user may be between preview and run) and files
// that are not uploads stay.
func TestSweepUploads(t *testing.T) {
	tmp := privateTemp(t)
	old := time.Now().Add(-2 * time.Hour)
	fresh, err := saveUpload(strings.NewReader("a,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	stale, err := saveUpload(strings.NewReader("a,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(uploadDir())
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("upload directory %v, %v: want mode 0700", fi, err)
	}
	foreign := []string{filepath.Join(uploadDir(), "notes.txt"), filepath.Join(uploadDir(), importPrefix+"short.csv"),
		filepath.Join(tmp, "report-0123456789abcdef0123.csv")}
	for _, p := range foreign {
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, old, old)
	}
	os.Chtimes(uploadPath(stale), old, old)
	// Where versions before uploadDir kept their uploads.
	legacyOld := filepath.Join(tmp, importPrefix+"0123456789abcdef0123456789abcdef.csv")
	legacyFresh := filepath.Join(tmp, importPrefix+"fedcba9876543210fedcba9876543210.csv")
	os.WriteFile(legacyOld, []byte("x"), 0o600)
	os.Chtimes(legacyOld, old, old)
	os.WriteFile(legacyFresh, []byte("x"), 0o600)

	cutoff := time.Now().Add(-uploadMaxAge)
	if n, err := sweepUploads(uploadDir(), cutoff); n != 1 || err != nil {
		t.Errorf("sweep of the upload directory removed %d, %v; want 1", n, err)
	}
	if n, err := sweepUploads(tmp, cutoff); n != 1 || err != nil {
		t.Errorf("sweep of the temp directory removed %d, %v; want 1", n, err)
	}
	for _, p := range append(foreign, uploadPath(fresh), legacyFresh) {
		if !exists(p) {
			t.Errorf("%s was removed", p)
		}
	}
	for _, p := range []string{uploadPath(stale), legacyOld} {
		if exists(p) {
			t.Errorf("%s is still there", p)
		}
	}
	if n, err := sweepUploads(filepath.Join(tmp, "missing"), cutoff); n != 0 || err != nil {
		t.Errorf("sweep of a missing directory: %d, %v", n, err)
	}
}

// TestSweepUploadsAtStart: the sweeper's first pass runs at once (a
// restart clears what the last process abandoned) and stop ends it.
func TestSweepUploadsAtStart(t *testing.T) {
	privateTemp(t)
	token, err := saveUpload(strings.NewReader("a,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-uploadMaxAge - time.Minute)
	os.Chtimes(uploadPath(token), old, old)
	stop := SweepUploads(nil)
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); exists(uploadPath(token)); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned upload is still there")
		}
	}
}

// TestUploadDirMustBeOurs: a file or a symbolic link where the upload
// directory should be is refused, not written through; a directory of
// ours with loose permissions is made private.
func TestUploadDirMustBeOurs(t *testing.T) {
	tmp := privateTemp(t)
	elsewhere := filepath.Join(tmp, "elsewhere")
	os.Mkdir(elsewhere, 0o777)
	if err := os.Symlink(elsewhere, uploadDir()); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if _, err := saveUpload(strings.NewReader("a,b\n")); err == nil {
		t.Error("an upload went through a symbolic link")
	}
	os.Remove(uploadDir())
	os.WriteFile(uploadDir(), nil, 0o600)
	if _, err := saveUpload(strings.NewReader("a,b\n")); err == nil {
		t.Error("an upload went into a file")
	}
	os.Remove(uploadDir())
	os.Mkdir(uploadDir(), 0o755)
	os.Chmod(uploadDir(), 0o755)
	if _, err := saveUpload(strings.NewReader("a,b\n")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(uploadDir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("upload directory mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestImportWizardRemovesUploads: the run step removes the upload it
// imported, and a preview that fails removes its upload at once.
func TestImportWizardRemovesUploads(t *testing.T) {
	privateTemp(t)
	e := newEnv(t, storetest.Open(t, "sqlite"))
	c := e.session(crm.RoleAdmin)
	rec := e.upload(c, "/import/preview", url.Values{"entity": {"contact"}, "encoding": {""}}, "first_name,email\nGrace,grace@example.com\n")
	if rec.Code != http.StatusOK {
		t.Fatalf("preview: %d", rec.Code)
	}
	token := doc(t, rec).Find("input[name=token]").AttrOr("value", "")
	if !exists(uploadPath(token)) {
		t.Fatalf("no upload kept for the run step (token %q)", token)
	}
	rec = e.do(c, http.MethodPost, "/import/run", url.Values{"entity": {"contact"}, "dedupe": {"skip"}, "encoding": {""}, "token": {token},
		"header": {"first_name", "email"}, "field": {"first_name", "email"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("run: %d", rec.Code)
	}
	if exists(uploadPath(token)) {
		t.Error("the run left its upload behind")
	}
	rec = e.upload(c, "/import/preview", url.Values{"entity": {"contact"}, "encoding": {""}}, "a,\"b\n")
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("preview of a broken file: %d", rec.Code)
	}
	if left, _ := filepath.Glob(uploadPath("*")); len(left) != 0 {
		t.Errorf("uploads left behind: %v", left)
	}
}
