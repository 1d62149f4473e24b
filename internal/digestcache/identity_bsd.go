//go:build darwin || freebsd

package digestcache

import (
	"os"
	"syscall"
)

func systemIdentity(fi os.FileInfo) (inode, device uint64, ctimeNs int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return uint64(st.Ino), uint64(st.Dev), st.Ctimespec.Nano() //nolint:unconvert,gosec // field types differ between systems
}
