//go:build !unix

package cache

import "os"

// openFlags open a cache file for reading; the type check follows.
const openFlags = os.O_RDONLY
