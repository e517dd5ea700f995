package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// run executes one command line with a fixed environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), Env{Args: args, Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

// serve starts `ecrm serve` (or demo) in the background and returns its URL.
func serve(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- Run(ctx, Env{Args: args, Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""),
			Stdout: &out, Stderr: &errb, Ready: func(u string) { ready <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server exit: %v", err)
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatalf("server did not start: %v\n%s", err, errb.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start in time")
	}
	return ""
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeOperationsAndAPIKey(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			env := map[string]string{"ECRM_DB": storetest.DSN(t, engine)}
			if _, errs, code := run(t, env, "a long enough password\n", "user add", "--email", "x"); code != 2 || !strings.Contains(errs, "unknown command") {
				t.Errorf("bad command: code %d, %q", code, errs)
			}
			out, errs, code := run(t, env, "a long enough password\n", "user", "add", "--email", "Boss@Example.com", "--role", "admin", "--password-stdin")
			if code != 0 || !strings.Contains(out, "boss@example.com") {
				t.Fatalf("user add: %d %q %q", code, out, errs)
			}
			if _, errs, code := run(t, env, "", "user", "add", "--email", "bad-email", "--role", "sales"); code != 1 || !strings.Contains(errs, "email: Enter a valid email address") {
				t.Errorf("user add with bad email: code %d, %q", code, errs)
			}
			if _, errs, code := run(t, env, "", "user", "add", "--email", "a@example.com", "--role", "king"); code != 2 || !strings.Contains(errs, "--role") {
				t.Errorf("user add with bad role: code %d, %q", code, errs)
			}
			out, errs, code = run(t, env, "", "apikey", "create", "--name", "shop", "--scope", "contacts:read", "--scope", "companies:write")
			if code != 0 {
				t.Fatalf("apikey create: %d %q", code, errs)
			}
			key := strings.SplitN(out, "\n", 2)[0]
			if !strings.HasPrefix(key, "ecrm_") || strings.Contains(key, " ") {
				t.Fatalf("first line is not the key alone: %q", key)
			}
			if _, errs, code := run(t, env, "", "apikey", "create", "--name", "x", "--scope", "contacts:delete"); code != 1 || !strings.Contains(errs, "scopes") {
				t.Errorf("bad scope: code %d, %q", code, errs)
			}
			url := serve(t, env, "serve", "--addr", "127.0.0.1:0")
			for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "go_goroutines"} {
				if status, body := get(t, url+path, ""); status != 200 || !strings.Contains(body, want) {
					t.Errorf("GET %s = %d %q", path, status, body[:min(len(body), 200)])
				}
			}
			if status, body := get(t, url+"/api/v1/contacts", key); status != 200 || !strings.Contains(body, `"items"`) {
				t.Errorf("API with key = %d %s", status, body)
			}
			if status, _ := get(t, url+"/api/v1/contacts", "ecrm_wrong"); status != 401 {
				t.Errorf("API with wrong key = %d, want 401", status)
			}
			if status, _ := get(t, url+"/api/v1/openapi.json", ""); status != 200 {
				t.Errorf("openapi.json = %d", status)
			}
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ecrm.toml")
	os.WriteFile(file, []byte("addr = \"10.0.0.1:1\"\ndb = \"sqlite:file.db\"\nlog_level = \"debug\"\n"), 0o600)
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantDB   string
	}{
		{"defaults", nil, nil, "127.0.0.1:8080", "sqlite:ecrm-data/ecrm.db"},
		{"file", []string{"--config", file}, nil, "10.0.0.1:1", "sqlite:file.db"},
		{"env over file", []string{"--config", file}, map[string]string{"ECRM_DB": "sqlite:env.db"}, "10.0.0.1:1", "sqlite:env.db"},
		{"flag over env", []string{"--config", file, "--db", "sqlite:flag.db", "--addr", ":9"}, map[string]string{"ECRM_DB": "sqlite:env.db", "ECRM_ADDR": ":7"}, ":9", "sqlite:flag.db"},
		{"config from env", nil, map[string]string{"ECRM_CONFIG": file}, "10.0.0.1:1", "sqlite:file.db"},
	}
	for _, tc := range cases {
		env := Env{Getenv: func(k string) string { return tc.env[k] }, Stderr: io.Discard}
		c := newFlags("serve", env)
		c.withAddr()
		if err := c.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := c.resolve(env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.Addr != tc.wantAddr || cfg.DB != tc.wantDB {
			t.Errorf("%s: addr %q db %q, want %q %q", tc.name, cfg.Addr, cfg.DB, tc.wantAddr, tc.wantDB)
		}
	}
	os.WriteFile(file, []byte("adress = \"typo\"\n"), 0o600)
	if _, errs, code := run(t, nil, "", "migrate", "--config", file); code != 2 || !strings.Contains(errs, "unknown key") {
		t.Errorf("typo in config: code %d, %q", code, errs)
	}
}

func TestImportExportRestore(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			csvPath := filepath.Join(dir, "contacts.csv")
			os.WriteFile(csvPath, []byte("\ufefffirst_name,last_name,email,phone,country,tags\n"+
				"Sara,Ahmadi,sara@example.com,0912 345 6789,IR,vip;newsletter\n"+
				"花子,山田,hanako@example.jp,090-1234-5678,JP,\n"+
				"Bad,Email,not-an-email,,US,\n"), 0o600)
			env := map[string]string{"ECRM_DB": storetest.DSN(t, engine)}
			out, errs, code := run(t, env, "", "import", "contacts", csvPath)
			if code != 0 || !strings.Contains(out, "2 created") || !strings.Contains(errs, "line 4") || !strings.Contains(errs, "email") {
				t.Fatalf("import: code %d\nstdout %q\nstderr %q", code, out, errs)
			}
			exp := filepath.Join(dir, "export")
			if out, errs, code := run(t, env, "", "export", exp); code != 0 {
				t.Fatalf("export: %d %q %q", code, out, errs)
			}
			if _, err := os.Stat(filepath.Join(exp, "README.md")); err != nil {
				t.Errorf("export has no README: %v", err)
			}
			env2 := map[string]string{"ECRM_DB": storetest.DSN(t, engine)}
			if out, errs, code := run(t, env2, "", "restore", exp); code != 0 {
				t.Fatalf("restore: %d %q %q", code, out, errs)
			}
			_, _, _ = run(t, env2, "", "user", "add", "--email", "r@example.com", "--role", "admin", "--password-stdin")
			out, _, _ = run(t, env2, "", "apikey", "create", "--name", "r", "--scope", "contacts:read")
			key := strings.SplitN(out, "\n", 2)[0]
			url := serve(t, env2, "serve", "--addr", "127.0.0.1:0")
			status, body := get(t, url+"/api/v1/contacts?q=%E5%B1%B1%E7%94%B0", key)
			var page struct {
				Items []struct {
					Email string `json:"email"`
					Phone string `json:"phone"`
				} `json:"items"`
			}
			json.Unmarshal([]byte(body), &page)
			if status != 200 || len(page.Items) != 1 || page.Items[0].Email != "hanako@example.jp" || page.Items[0].Phone != "+819012345678" {
				t.Errorf("restored search = %d %s", status, body)
			}
		})
	}
}

func TestDemoSeedsAndServes(t *testing.T) {
	env := map[string]string{"ECRM_DB": "sqlite:" + filepath.Join(t.TempDir(), "demo.db")}
	url := serve(t, env, "demo", "--addr", "127.0.0.1:0", "--contacts", "60")
	if status, body := get(t, url+"/login", ""); status != 200 || !strings.Contains(body, "password") {
		t.Errorf("login page = %d", status)
	}
	out, _, _ := run(t, env, "", "apikey", "create", "--name", "t", "--scope", "*")
	key := strings.SplitN(out, "\n", 2)[0]
	status, body := get(t, url+"/api/v1/contacts?limit=500", key)
	if status != 200 || strings.Count(body, `"first_name"`) != 60 {
		t.Errorf("demo contacts = %d, %d items", status, strings.Count(body, `"first_name"`))
	}
}
