//go:build unix

package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

func (c *Cache) lock(exclusive bool) (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.dir, lockName), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		if exclusive {
			return nil, fmt.Errorf("cache: lock: %w", err)
		}
		return func() {}, nil // a read-only cache: nothing to protect from gc here
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX | syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("cache: lock: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Claim takes the claim on computing action key, so that of several builds
// sharing the cache one computes a step while the others wait and then find
// it cached. It waits while another process holds the claim, polling until
// ctx is done; waiting, when not nil, is called once if it has to wait.
// Release the claim with the returned function after storing the result.
// A cache on a file system without locks is not claimed.
func (c *Cache) Claim(ctx context.Context, key Digest, waiting func()) (release func(), err error) {
	if !key.valid() {
		return nil, fmt.Errorf("cache: bad key %q", key)
	}
	p := filepath.Join(c.dir, claimsDir, string(key[:2]), string(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return func() {}, nil // a read-only cache: nothing to share
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return func() {}, nil
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return func() {}, nil // no locks here: compute unclaimed
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(claimPoll):
		}
	}
}
