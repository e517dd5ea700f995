package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// cappedBuffer is a command's output that ends the command's goroutine
// when it grows past max: an import printing the same error for ever
// would otherwise fill the memory before the test's time limit.
type cappedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.overflow = true
		runtime.Goexit()
	}
	return b.Buffer.Write(p)
}

// TestImportConsentsStopsAtFatalError: `ecrm import consents` on a file
// with a line over 1 MiB names that line once and ends; it used to print
// the same error in a loop (hundreds of MB in seconds). It exits 1: the
// file was not imported whole.
func TestImportConsentsStopsAtFatalError(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"ECRM_DB": storetest.DSN(t, engine)}
			people := filepath.Join(dir, "people.csv")
			os.WriteFile(people, []byte("email\nsara@example.com\nhanako@example.jp\n"), 0o600)
			if _, errs, code := run(t, env, "", "import", "contacts", people); code != 0 {
				t.Fatalf("contacts: %d %s", code, errs)
			}
			subs := filepath.Join(dir, "subs.csv")
			os.WriteFile(subs, []byte("email,status\nsara@example.com,yes\nhanako@example.jp,"+strings.Repeat("x", 1<<20+10)+"\nhanako@example.jp,yes\n"), 0o600)
			var out bytes.Buffer
			errs := &cappedBuffer{max: 64 << 10}
			code := -1
			done := make(chan struct{})
			go func() {
				defer close(done)
				code = Main(context.Background(), Env{Args: []string{"import", "consents", subs}, Getenv: func(k string) string { return env[k] },
					Stdin: strings.NewReader(""), Stdout: &out, Stderr: errs})
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("ecrm import consents did not end")
			}
			if errs.overflow {
				t.Fatalf("ecrm import consents printed more than %d bytes of errors: %.300s", errs.max, errs.String())
			}
			want := "line 3: This line is longer than 1 MiB. The rest of the file was not imported.\n" +
				"ecrm: stopped at line 3: the rest of the file was not imported\n"
			if code != 1 || errs.String() != want || !strings.Contains(out.String(), "1 entries recorded, 1 lines rejected") {
				t.Errorf("code %d\nstdout %q\nstderr %q, want %q", code, out.String(), errs.String(), want)
			}
		})
	}
}
