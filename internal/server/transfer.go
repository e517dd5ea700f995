package server

import (
	"context"
	"io"

	"github.com/ecrm/ecrm/internal/transfer"
	"github.com/ecrm/ecrm/internal/web"
)

// consoleTransfer adapts the transfer package to the console's Transfer
// interface, keeping web free of a dependency on the import machinery.
type consoleTransfer struct{ *transfer.Transfer }

func (t consoleTransfer) ImportCSV(ctx context.Context, entity string, r io.Reader, enc string, mapping map[string]string, dedupe string) (web.ImportReport, error) {
	rep, err := t.Transfer.ImportCSV(ctx, entity, r, enc, mapping, dedupe)
	out := web.ImportReport{Created: rep.Created, Updated: rep.Updated, Skipped: rep.Skipped, RejectedLines: rep.RejectedLines()}
	for _, x := range rep.Rejected {
		out.Rejected = append(out.Rejected, web.RejectedRow{Line: x.Line, Field: x.Field, Reason: x.Reason})
	}
	return out, err
}
