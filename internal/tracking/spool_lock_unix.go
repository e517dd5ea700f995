//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package tracking

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the spool directory for this process: a second server
// pointed at the same directory would replay, and delete, the first one's
// records. The lock goes with the process, however it ends.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("collect spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("collect spool %s is in use by another ecrm process: give each server its own (ECRM_COLLECT_SPOOL_DIR)", dir)
		}
		return nil, fmt.Errorf("collect spool: lock %s: %w", dir, err)
	}
	return f, nil
}
