//go:build linux

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
	return st.Ino, uint64(st.Dev), st.Ctim.Nano() //nolint:unconvert // Dev is not uint64 on every linux architecture
}
