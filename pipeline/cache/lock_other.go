//go:build !unix

package cache

// lock is a no-op where flock is not available.
func (c *Cache) lock(exclusive bool) (func(), error) { return func() {}, nil }
