//go:build !linux

package tracking

import "os"

func datasync(f *os.File) error { return f.Sync() }
