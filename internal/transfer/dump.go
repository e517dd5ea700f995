package transfer

import (
	"archive/zip"
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/store"
)

// exportReadme is written into every full export beside the data.
//
//go:embed export_readme.md
var exportReadme string

// Manifest describes a full export: manifest.json in its directory.
type Manifest struct {
	Format     string          `json:"format"` // "ecrm-export"
	Version    int             `json:"version"`
	Engine     string          `json:"engine"`
	ExportedAt int64           `json:"exported_at"` // unix milliseconds UTC
	Tables     []ManifestTable `json:"tables"`
}

// ManifestTable is one table of the export, in restore order.
type ManifestTable struct {
	Name    string             `json:"name"`
	Columns []store.DumpColumn `json:"columns"`
	Rows    int                `json:"rows"`
}

const manifestFormat = "ecrm-export"

// ExportDir writes a full export into dir, which must not exist or be
// empty: per table <table>.jsonl (the exact values, what RestoreDir
// reads) and <table>.csv (the same for people, formula-neutralised), plus
// manifest.json and README.md. Administrators only; it is audited.
func (t *Transfer) ExportDir(ctx context.Context, dir string) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResExport, crm.Write)); err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return crm.Errorf(crm.ECONFLICT, "%s is not empty; choose a new directory", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	m := Manifest{Format: manifestFormat, Version: 1, Engine: t.db.Engine(), ExportedAt: t.svc.Now().UnixMilli()}
	err := t.db.DumpTables(ctx, func(tab store.DumpTable, rows func(yield func([]any) error) error) error {
		n, err := writeTable(dir, tab, rows)
		m.Tables = append(m.Tables, ManifestTable{Name: tab.Name, Columns: tab.Columns, Rows: n})
		return err
	})
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(exportReadme), 0o600)
}

// writeTable writes one table's .jsonl and .csv files.
func writeTable(dir string, tab store.DumpTable, rows func(yield func([]any) error) error) (int, error) {
	jf, err := os.OpenFile(filepath.Join(dir, tab.Name+".jsonl"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer jf.Close()
	cf, err := os.OpenFile(filepath.Join(dir, tab.Name+".csv"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer cf.Close()
	jw := bufio.NewWriterSize(jf, 64<<10)
	enc := json.NewEncoder(jw)
	enc.SetEscapeHTML(false)
	cw := csvx.NewWriter(cf, true)
	header := make([]string, len(tab.Columns))
	for i, c := range tab.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	cells := make([]string, len(tab.Columns))
	n := 0
	err = rows(func(vals []any) error {
		if err := enc.Encode(vals); err != nil {
			return err
		}
		for i, v := range vals {
			cells[i] = csvCell(v)
		}
		n++
		return cw.Write(cells)
	})
	if err != nil {
		return n, err
	}
	if err := cw.Flush(); err != nil {
		return n, err
	}
	if err := jw.Flush(); err != nil {
		return n, err
	}
	if err := jf.Close(); err != nil {
		return n, err
	}
	return n, cf.Close()
}

func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// ExportAll writes the full export as a zip archive to w: the files of
// ExportDir, made in a temporary directory so both views of every table
// come from one database snapshot.
func (t *Transfer) ExportAll(ctx context.Context, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "ecrm-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "ecrm-export")
	if err := t.ExportDir(ctx, dir); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		hw, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(hw, f)
		return err
	})
	if err != nil {
		return err
	}
	return zw.Close()
}

// RestoreDir loads a full export (an ExportDir directory) into an empty
// ecrm, keeping every id. It refuses a database that holds any data.
func (t *Transfer) RestoreDir(ctx context.Context, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return crm.Errorf(crm.EINVALID, "%s is not an ecrm export: %v", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != manifestFormat {
		return crm.Errorf(crm.EINVALID, "%s/manifest.json is not an ecrm export manifest", dir)
	}
	if m.Version != 1 {
		return crm.Errorf(crm.EINVALID, "export format version %d is newer than this ecrm understands", m.Version)
	}
	empty, err := t.db.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return crm.Errorf(crm.ECONFLICT, "this ecrm database already holds data; restore into a new, empty database")
	}
	for _, tab := range m.Tables {
		if err := t.restoreTable(ctx, dir, tab); err != nil {
			return fmt.Errorf("restore %s: %w", tab.Name, err)
		}
	}
	// Derived tables travel in no export: the customer scores are
	// refitted from the restored orders by the score job, at the next tick
	// of a server (or `ecrm scores recompute`).
	if err := t.db.RequestJob(ctx, crm.JobScores); err != nil {
		return err
	}
	after, _ := json.Marshal(map[string]any{"exported_at": m.ExportedAt, "engine": m.Engine})
	return t.svc.Audit.RecordAudit(ctx, crm.AuditEntry{Action: "restore", Entity: "database", After: string(after)})
}

func (t *Transfer) restoreTable(ctx context.Context, dir string, tab ManifestTable) error {
	f, err := os.Open(filepath.Join(dir, filepath.Base(tab.Name)+".jsonl"))
	if err != nil {
		return crm.Errorf(crm.EINVALID, "missing table file: %v", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	dec.UseNumber()
	cols := make([]string, len(tab.Columns))
	for i, c := range tab.Columns {
		cols[i] = c.Name
	}
	return t.db.RestoreTable(ctx, tab.Name, cols, func() ([]any, error) {
		var row []any
		if err := dec.Decode(&row); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, crm.Errorf(crm.EINVALID, "%s.jsonl: %v", tab.Name, err)
		}
		return row, nil
	})
}
