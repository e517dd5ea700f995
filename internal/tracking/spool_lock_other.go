//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package tracking

import (
	"os"
	"path/filepath"
)

// lockDir cannot lock here: keeping one server per spool directory is
// the operator's to ensure.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
}
