package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/tracking"
)

// chromiumPath finds Debian's Chromium. Without it the test skips, unless
// ECRM_REQUIRE_BROWSER is set (CI), where a missing browser is a failure.
// A -short run (between commits) skips the browser tests.
func chromiumPath(t *testing.T) string {
	if testing.Short() {
		t.Skip("browser tests run without -short")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ECRM_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium not found and ECRM_REQUIRE_BROWSER is set")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// artifacts is where screenshots go: ECRM_ARTIFACTS, or testdata/artifacts.
func artifacts(t *testing.T) string {
	dir := os.Getenv("ECRM_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserSession serves db on loopback and drives Debian's Chromium on it;
// step runs actions and, when one fails, saves a screenshot named
// failPrefix + the step's name before failing the test.
type browserSession struct {
	t          *testing.T
	base       string
	ctx        context.Context
	out        string
	failPrefix string
}

func newBrowserSession(t *testing.T, chrome string, db *store.DB, failPrefix string) *browserSession {
	t.Helper()
	// Often the second server on the database: it needs a collect spool
	// of its own.
	srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracking: tracking.Options{SpoolDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	// Each session is a browser context of its own in the one shared
	// Chromium: cookies and storage as separate as a fresh profile.
	ctx, cancelCtx := chromedp.NewContext(sharedBrowser(t, chrome), chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	// Cleanups run last-in first-out: the browser context closes before the server.
	t.Cleanup(func() { cancelTimeout(); cancelCtx() })
	return &browserSession{t: t, base: srv.URL(), ctx: ctx, out: artifacts(t), failPrefix: failPrefix}
}

// browser is the one Chromium of this test binary: starting one was a
// second or more of every browser test on a loaded machine.
var browser struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func sharedBrowser(t *testing.T, chrome string) context.Context {
	t.Helper()
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "ecrm-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))...)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		browser.ctx = bctx
		browser.cancel = func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
		// Start the browser now, so sessions only open contexts in it.
		browser.err = chromedp.Do(bctx)
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	return browser.ctx
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

func (b *browserSession) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.out, name+".png"), png, 0o644)
	})
}

func (b *browserSession) step(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		chromedp.Do(b.ctx, b.shot(b.failPrefix+name))
		b.t.Fatalf("%s: %v", name, err)
	}
}

// TestBrowserJourney drives the console in real Chromium: log in, create a
// contact, find it with the live search, log a note on its timeline, then
// switch to Persian and check the page is laid out right to left.
func TestBrowserJourney(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	email, pw, role := "admin@example.com", "correct horse battery", crm.RoleAdmin
	if _, err := db.CreateUser(storetest.System(), crm.UserInput{Email: &email, Name: ptr("Ada Admin"), Role: &role, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	bs := newBrowserSession(t, chrome, db, "failed-")
	base, ctx, shot, step := bs.base, bs.ctx, bs.shot, bs.step

	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	step("create a contact",
		chromedp.Navigate(base+"/contacts/new"),
		chromedp.SendKeys(chromedp.CSS(`input[name=first_name]`), "Shirin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=last_name]`), "Golestani"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "shirin@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=country]`), "IR"),
		chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "0912 345 6789"),
		chromedp.Click(chromedp.CSS(`form.record-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`)),
		shot("contact-created"),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/contacts/") {
		t.Fatalf("after create at %q (%v), want a contact page", loc, err)
	}
	step("find it by search",
		chromedp.Navigate(base+"/contacts"),
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "golest"),
		poll(`document.querySelector('#results') && document.querySelector('#results').innerText.includes('Golestani') && document.querySelectorAll('#results tbody tr').length === 1`),
		shot("contacts-search"),
	)
	step("log a note",
		chromedp.Navigate(loc),
		chromedp.Click(chromedp.CSS(`.log details:first-of-type > summary`)),
		chromedp.SendKeys(chromedp.CSS(`form[hx-post$="/activities"] textarea[name=body]`), "Asked for the wholesale price list"),
		chromedp.Click(chromedp.CSS(`form[hx-post$="/activities"] button[type=submit]`)),
		poll(`document.querySelector('#timeline').innerText.includes('wholesale price list')`),
		shot("contact-note"),
	)
	step("switch to Persian",
		chromedp.Navigate(loc+"?lang=fa"),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`)),
		shot("contact-fa"),
	)
	dir, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).direction + ' ' + document.documentElement.lang`))
	if err != nil || dir != "rtl fa" {
		t.Errorf("Persian page direction and language = %q (%v), want \"rtl fa\"", dir, err)
	}
	// Laid out right to left: the page heading sits against the right edge.
	rightAligned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const r = document.querySelector('main h1').getBoundingClientRect();
		return (document.documentElement.clientWidth - r.right) < r.left;
	})()`))
	if err != nil || !rightAligned {
		t.Errorf("Persian heading is not right-aligned (%v)", err)
	}
	step("phone-sized page",
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/contacts?lang=fa"),
		chromedp.WaitVisible(chromedp.CSS(`#results`)),
		shot("contacts-fa-phone"),
	)
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || overflow {
		t.Errorf("phone-sized page scrolls sideways (%v)", err)
	}
	t.Logf("screenshots in %s", bs.out)
}

func ptr[T any](v T) *T { return &v }

// poll waits until a JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		return chromedp.Void{}, err
	}
}
