package transfer

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// ImportFile imports a CSV file for the command line: every header must
// name a field (or custom.<key>), and rejected lines are printed to out as
// "line N: field: reason" after a summary. Duplicates by email (contacts)
// or name (companies) are skipped.
func (t *Transfer) ImportFile(ctx context.Context, entity, path string, enc string, out io.Writer) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, crm.Errorf(crm.EINVALID, "cannot open %s: %v", path, err)
	}
	defer f.Close()
	cr, err := csvx.NewReader(f, enc)
	if err != nil {
		return Report{}, crm.Errorf(crm.EINVALID, "%v", err)
	}
	header, _, err := cr.Read()
	if err != nil {
		return Report{}, readError("cannot read the header of "+path+": ", err)
	}
	mapping, err := AutoMapping(entity, header)
	if err != nil {
		return Report{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Report{}, err
	}
	rep, err := t.ImportCSV(ctx, entity, f, enc, mapping, "")
	fmt.Fprintf(out, "%d created, %d updated, %d skipped, %d rejected\n", rep.Created, rep.Updated, rep.Skipped, len(rep.Rejected))
	for _, r := range rep.Rejected {
		if r.Field == "" {
			fmt.Fprintf(out, "line %d: %s\n", r.Line, r.Reason)
		} else {
			fmt.Fprintf(out, "line %d: %s: %s\n", r.Line, r.Field, r.Reason)
		}
	}
	return rep, err
}
