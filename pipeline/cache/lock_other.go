//go:build !unix

package cache

import "context"

// lock is a no-op where flock is not available.
func (c *Cache) lock(exclusive bool) (func(), error) { return func() {}, nil }

// Claim is a no-op where flock is not available: concurrent builds may
// compute the same step, each storing the same result.
func (c *Cache) Claim(ctx context.Context, key Digest, waiting func()) (release func(), err error) {
	return func() {}, nil
}
