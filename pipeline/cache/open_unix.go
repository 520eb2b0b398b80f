//go:build unix

package cache

import (
	"os"
	"syscall"
)

// openFlags open a cache file without following a final symbolic link and
// without blocking on a FIFO, so that a file replaced by either is refused
// by the type check rather than read or waited on.
const openFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
