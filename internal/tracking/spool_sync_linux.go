package tracking

import (
	"os"
	"syscall"
)

// datasync flushes a segment's records: fdatasync, as the file's size and
// blocks were synced when it was made.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
