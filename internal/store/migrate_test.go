package store

import (
	"slices"
	"testing"
)

// TestMigrationsMatchAcrossEngines: every migration exists for both
// engines under the same number and name, so a database can move between
// them through export and restore at any version.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	lite, err := migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if got, want := names(pg), names(lite); !slices.Equal(got, want) {
		t.Errorf("postgres migrations %v, sqlite %v", got, want)
	}
	for i, m := range lite {
		if m.version != i+1 {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}
