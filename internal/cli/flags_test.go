package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// subcommands is every command of the usage text, as typed; flags says
// whether it has a flag set (and so lists --db in its help).
var subcommands = []struct {
	args  []string
	flags bool
}{
	{[]string{"serve"}, true},
	{[]string{"demo"}, true},
	{[]string{"migrate"}, true},
	{[]string{"user", "add"}, true},
	{[]string{"apikey", "create"}, true},
	{[]string{"import", "contacts"}, true},
	{[]string{"import", "companies"}, true},
	{[]string{"import", "consents"}, true},
	{[]string{"import", "orders"}, true},
	{[]string{"import", "costs"}, true},
	{[]string{"scores", "recompute"}, true},
	{[]string{"export"}, true},
	{[]string{"restore"}, true},
	{[]string{"backup"}, true},
	{[]string{"version"}, false},
	{[]string{"user"}, false},
	{[]string{"apikey"}, false},
	{[]string{"import"}, false},
	{[]string{"scores"}, false},
}

// TestEverySubcommandHelp: --help and -h after every subcommand print its
// synopsis (and its flags) on stdout and exit 0, without touching a
// database. The table is checked against the usage text, so a new command
// cannot be left out.
func TestEverySubcommandHelp(t *testing.T) {
	for _, l := range strings.Split(usage, "\n") {
		f := strings.Fields(l)
		if !strings.HasPrefix(l, "  ecrm ") {
			continue
		}
		words := []string{f[1]}
		if len(f) > 2 && !strings.HasPrefix(f[2], "[") && !strings.HasPrefix(f[2], "-") && strings.ToLower(f[2]) == f[2] {
			words = strings.Split(f[2], "|") // user add, import contacts|companies|consents
		}
		for _, w := range words {
			want := []string{f[1]}
			if w != f[1] {
				want = append(want, w)
			}
			if !slices.ContainsFunc(subcommands, func(s struct {
				args  []string
				flags bool
			}) bool {
				return slices.Equal(s.args, want)
			}) {
				t.Errorf("usage line %q: %v has no case in the help table", l, want)
			}
		}
	}
	// A database flag would be opened if help fell through to the command.
	env := map[string]string{"ECRM_DB": "sqlite:" + filepath.Join(t.TempDir(), "never", "created.db")}
	for _, sc := range subcommands {
		for _, h := range []string{"--help", "-h"} {
			args := append(slices.Clone(sc.args), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				out, errs, code := run(t, env, "", args...)
				if code != 0 || errs != "" {
					t.Fatalf("code %d, stderr %q", code, errs)
				}
				if !synopsisFor(out, sc.args) {
					t.Errorf("stdout has no synopsis of %q:\n%s", sc.args, out)
				}
				if sc.flags && (!strings.Contains(out, "-db") || !strings.Contains(out, "-config")) {
					t.Errorf("help lists no flags:\n%s", out)
				}
			})
		}
	}
	if _, err := os.Stat(filepath.Dir(strings.TrimPrefix(env["ECRM_DB"], "sqlite:"))); err == nil {
		t.Error("a --help opened the database")
	}
}

// TestInterspersed: flags go before, between or after the positional
// arguments; flags with values take the next argument, booleans do not;
// "--" ends the flags.
func TestInterspersed(t *testing.T) {
	cases := []struct {
		args   []string
		db     string
		status bool
		scopes []string
		pos    []string
	}{
		{[]string{"DIR", "--db", "X"}, "X", false, nil, []string{"DIR"}},
		{[]string{"--db", "X", "DIR"}, "X", false, nil, []string{"DIR"}},
		{[]string{"DIR", "--db=X", "--status"}, "X", true, nil, []string{"DIR"}},
		{[]string{"--status", "DIR", "-db", "X"}, "X", true, nil, []string{"DIR"}},
		{[]string{"--status=false", "DIR"}, "", false, nil, []string{"DIR"}},
		{[]string{"A", "--scope", "s1", "B", "--scope=s2"}, "", false, []string{"s1", "s2"}, []string{"A", "B"}},
		{[]string{"--db", "X", "--", "--status", "-"}, "X", false, nil, []string{"--status", "-"}},
		{[]string{"-", "--db", "--status"}, "--status", false, nil, []string{"-"}}, // a value may look like a flag
		{[]string{"--", "DIR"}, "", false, nil, []string{"DIR"}},
	}
	for _, tc := range cases {
		c := newFlags("migrate", Env{Stdout: io.Discard})
		status := c.fs.Bool("status", false, "")
		var sc scopes
		c.fs.Var(&sc, "scope", "")
		if err := c.parse(tc.args); err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if c.db != tc.db || *status != tc.status || !slices.Equal([]string(sc), tc.scopes) || !slices.Equal(c.fs.Args(), tc.pos) {
			t.Errorf("%q: db %q status %v scopes %q args %q, want %q %v %q %q", tc.args, c.db, *status, sc, c.fs.Args(), tc.db, tc.status, tc.scopes, tc.pos)
		}
	}
	c := newFlags("export", Env{Stdout: io.Discard})
	err := c.parse([]string{"DIR", "--nope"})
	if err == nil || !strings.Contains(err.Error(), "-nope") || !strings.Contains(err.Error(), "usage: ecrm export DIR") {
		t.Errorf("unknown flag: %v", err)
	}
	if err := newFlags("export", Env{Stdout: io.Discard}).parse([]string{"DIR", "-h"}); err != flag.ErrHelp {
		t.Errorf("-h after an argument: %v, want flag.ErrHelp", err)
	}
}

// TestFlagsAfterArguments runs the commands that take arguments with
// --db (and their other flags) after them, as people type them.
func TestFlagsAfterArguments(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			dsn := storetest.DSN(t, engine) // migrated: a copy of the template
			none := map[string]string{}     // no ECRM_DB: only the flag names the database
			if out, errs, code := run(t, none, "", "migrate", "--status", "--db", dsn); code != 0 || !strings.Contains(out, "applied [1 ") || !strings.Contains(out, "pending []") {
				t.Fatalf("migrate: %d %q %q", code, out, errs)
			}
			people := filepath.Join(dir, "people.csv")
			os.WriteFile(people, []byte("email,first_name\nsara@example.com,Sara\n"), 0o600)
			if out, errs, code := run(t, none, "", "import", "contacts", people, "--db", dsn, "--encoding", "utf-8"); code != 0 || !strings.Contains(out, "1 created") {
				t.Fatalf("import contacts: %d %q %q", code, out, errs)
			}
			companies := filepath.Join(dir, "companies.csv")
			os.WriteFile(companies, []byte("name,domain\nAcme,acme.example\n"), 0o600)
			if out, errs, code := run(t, none, "", "import", "companies", companies, "--db", dsn); code != 0 || !strings.Contains(out, "1 created") {
				t.Fatalf("import companies: %d %q %q", code, out, errs)
			}
			subs := filepath.Join(dir, "subs.csv")
			os.WriteFile(subs, []byte("email,status\nsara@example.com,yes\n"), 0o600)
			if out, errs, code := run(t, none, "", "import", "consents", subs, "--db", dsn); code != 0 || !strings.Contains(out, "1 entries recorded") {
				t.Fatalf("import consents: %d %q %q", code, out, errs)
			}
			orders := filepath.Join(dir, "orders.csv")
			os.WriteFile(orders, []byte("order_id,email,date,sku,quantity,unit_price\nA1,sara@example.com,2024-04-01,TEA-1,2,450\n"), 0o600)
			if out, errs, code := run(t, none, "", "import", "orders", orders, "--db", dsn, "--minor-units", "--currency", "EUR"); code != 0 || !strings.Contains(out, "1 orders (1 lines)") {
				t.Fatalf("import orders: %d %q %q", code, out, errs)
			}
			if out, errs, code := run(t, none, "a long enough password\n", "user", "add", "--email", "a@example.com", "--password-stdin", "--role", "admin", "--db", dsn); code != 0 {
				t.Fatalf("user add: %d %q %q", code, out, errs)
			}
			if out, errs, code := run(t, none, "", "apikey", "create", "--name", "k", "--scope", "contacts:read", "companies:read", "--db", dsn); code != 0 || !strings.Contains(out, "contacts:read companies:read") {
				t.Fatalf("apikey create: %d %q %q", code, out, errs)
			}
			exp := filepath.Join(dir, "export")
			if out, errs, code := run(t, none, "", "export", exp, "--db", dsn); code != 0 {
				t.Fatalf("export: %d %q %q", code, out, errs)
			}
			if _, err := os.Stat(filepath.Join(exp, "contacts.jsonl")); err != nil {
				t.Fatalf("export wrote no contacts: %v", err)
			}
			if out, errs, code := run(t, none, "", "restore", exp, "--db", storetest.DSN(t, engine)); code != 0 || !strings.Contains(out, "restored") {
				t.Fatalf("restore: %d %q %q", code, out, errs)
			}
			if engine == "sqlite" {
				bak := filepath.Join(dir, "backup.db")
				if out, errs, code := run(t, none, "", "backup", bak, "--db", dsn); code != 0 {
					t.Fatalf("backup: %d %q %q", code, out, errs)
				}
			}
			if _, errs, code := run(t, none, "", "serve", "extra", "--db", dsn); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
				t.Errorf("serve with an argument: %d %q", code, errs)
			}
		})
	}
}

// synopsisFor reports whether out has a line "usage: ecrm CMD [SUB] …"
// for args, where the synopsis may list alternatives (contacts|companies).
func synopsisFor(out string, args []string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2+len(args) || f[0] != "usage:" || f[1] != "ecrm" {
			continue
		}
		ok := true
		for i, a := range args {
			ok = ok && slices.Contains(strings.Split(f[2+i], "|"), a)
		}
		if ok {
			return true
		}
	}
	return false
}
