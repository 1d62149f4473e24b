//go:build !linux && !darwin && !freebsd

package digestcache

import "os"

// systemIdentity: this system's os.FileInfo carries no inode or change time; the cache relies
// on path, size and modification time.
func systemIdentity(os.FileInfo) (inode, device uint64, ctimeNs int64) { return 0, 0, 0 }
