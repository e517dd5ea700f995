package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestServerSweepsUploadsAtStart: a server that starts removes the import
// uploads an earlier process abandoned (here where versions before the
// upload directory left them) and keeps recent ones, which may belong to
// another process sharing the temp directory.
func TestServerSweepsUploadsAtStart(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Skip("os.TempDir does not follow TMPDIR on this system")
	}
	abandoned := filepath.Join(tmp, "ecrm-import-0123456789abcdef0123456789abcdef.csv")
	recent := filepath.Join(tmp, "ecrm-import-fedcba9876543210fedcba9876543210.csv")
	for _, p := range []string{abandoned, recent} {
		if err := os.WriteFile(p, []byte("email\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(abandoned, old, old)

	srv, err := New(Config{Addr: "127.0.0.1:0", DB: storetest.Open(t, "sqlite"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(abandoned); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned upload is still there after start")
		}
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent upload was removed: %v", err)
	}
}
