package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Remote is a store shared between machines, behind the local cache: an
// object store holding "ac/<action key>" (action entries) and "cas/<digest>"
// (blobs). Implementations must make each object visible only when it is
// complete (as S3 does), and wrap ErrMissing when an object is absent.
type Remote interface {
	Get(ctx context.Context, name string) ([]byte, error)
	Has(ctx context.Context, name string) (bool, error)
	Put(ctx context.Context, name string, data []byte) error
	// String names the store for messages ("s3://bucket/prefix").
	String() string
}

// RemoteStats counts what a cache exchanged with its remote.
type RemoteStats struct {
	Hits, Misses         int   // action entries found / not found remotely
	Downloads            int   // blobs fetched
	DownloadBytes        int64 //
	Uploads              int   // blobs and entries written
	UploadBytes          int64 //
	Present              int   // blobs not uploaded because the remote had them
	Refetched, BadRemote int   // damaged remote blobs fetched again / given up on
	Errors               []string
}

type remoteState struct {
	r        Remote
	readOnly bool
	timeout  time.Duration

	mu    sync.Mutex
	stats RemoteStats
	// bad holds digests whose remote copy was found damaged: they are
	// uploaded again whatever HEAD says.
	bad map[Digest]bool
	// checked holds the keys of local entries already compared with the remote.
	checked map[Digest]bool
}

// SetRemote puts r behind the cache: a local miss looks there (every object
// checked against its digest before it is stored locally and served), and,
// unless readOnly, each new action entry is uploaded after its blobs, so that
// the entry, uploaded last, is the commit point; an entry found locally that
// the remote lacks is uploaded the same way. Remote failures never fail
// a read or write of the local cache; they are counted in RemoteStats.
func (c *Cache) SetRemote(r Remote, readOnly bool) {
	c.remote = &remoteState{r: r, readOnly: readOnly, timeout: 10 * time.Minute, bad: map[Digest]bool{}, checked: map[Digest]bool{}}
}

// RemoteStats returns what the cache exchanged with its remote so far.
func (c *Cache) RemoteStats() RemoteStats {
	if c.remote == nil {
		return RemoteStats{}
	}
	c.remote.mu.Lock()
	defer c.remote.mu.Unlock()
	s := c.remote.stats
	s.Errors = append([]string(nil), s.Errors...)
	return s
}

func (rs *remoteState) count(f func(s *RemoteStats)) {
	rs.mu.Lock()
	f(&rs.stats)
	rs.mu.Unlock()
}

func (rs *remoteState) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	rs.count(func(s *RemoteStats) { s.Errors = append(s.Errors, msg) })
}

func (rs *remoteState) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), rs.timeout)
}

// remoteAction fetches the entry of key and every blob it names from the
// remote into the local cache, and returns it; nil when the remote has no
// usable entry (absent, damaged, or a blob missing or damaged).
func (c *Cache) remoteAction(key Digest) *Entry {
	rs := c.remote
	ctx, cancel := rs.ctx()
	defer cancel()
	data, err := rs.r.Get(ctx, "ac/"+string(key))
	if err != nil {
		if !errors.Is(err, ErrMissing) {
			rs.fail("get action %s: %v", key.Short(), err)
		}
		rs.count(func(s *RemoteStats) { s.Misses++ })
		return nil
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil || Sum([]byte(e.Preimage)) != key {
		rs.fail("action %s on the remote is damaged; recomputing", key.Short())
		rs.count(func(s *RemoteStats) { s.Misses++ })
		return nil
	}
	for _, o := range e.Outputs {
		if fi, err := os.Stat(c.blobPath(o.Digest)); err == nil && fi.Size() == o.Size {
			continue
		}
		if _, err := c.remoteBlob(ctx, o.Digest); err != nil {
			rs.fail("action %s: %v", key.Short(), err)
			rs.count(func(s *RemoteStats) { s.Misses++ })
			return nil
		}
	}
	if err := WriteFile(c.actionPath(key), data); err != nil {
		rs.fail("action %s: %v", key.Short(), err)
		return nil
	}
	rs.count(func(s *RemoteStats) { s.Hits++ })
	return &e
}

// remoteBlob fetches blob d from the remote into the local cache and returns
// its bytes. A copy whose bytes do not hash to d is fetched once more, then
// given up on (and marked, so that the recomputed blob replaces it).
func (c *Cache) remoteBlob(ctx context.Context, d Digest) ([]byte, error) {
	rs := c.remote
	for try := 0; try < 2; try++ {
		data, err := rs.r.Get(ctx, "cas/"+string(d))
		if err != nil && !errors.Is(err, ErrMissing) && ctx.Err() == nil && try == 0 {
			rs.count(func(s *RemoteStats) { s.Refetched++ })
			continue
		}
		if err != nil && !errors.Is(err, ErrMissing) && ctx.Err() == nil {
			// Twice unreadable (a transport checksum that fails, say): as a
			// damaged copy, the recomputed blob replaces it.
			rs.mu.Lock()
			rs.bad[d] = true
			rs.stats.BadRemote++
			rs.mu.Unlock()
		}
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", d.Short(), err)
		}
		if Sum(data) != d {
			if try == 0 {
				rs.count(func(s *RemoteStats) { s.Refetched++ })
				continue
			}
			rs.mu.Lock()
			rs.bad[d] = true
			rs.stats.BadRemote++
			rs.mu.Unlock()
			return nil, fmt.Errorf("blob %s on the remote is damaged (its bytes hash to %s): not used", d.Short(), Sum(data).Short())
		}
		if err := WriteFile(c.blobPath(d), data); err != nil {
			return nil, fmt.Errorf("blob %s: %w", d.Short(), err)
		}
		rs.count(func(s *RemoteStats) { s.Downloads++; s.DownloadBytes += int64(len(data)) })
		return data, nil
	}
	panic("unreachable")
}

// publish uploads an entry found in the local cache that the remote lacks
// (a cache built before the remote was set up), once per key and process:
// one HEAD per entry otherwise.
func (c *Cache) publish(key Digest, e *Entry, entry []byte) {
	rs := c.remote
	if rs.readOnly {
		return
	}
	rs.mu.Lock()
	seen := rs.checked[key]
	rs.checked[key] = true
	rs.mu.Unlock()
	if seen {
		return
	}
	ctx, cancel := rs.ctx()
	has, err := rs.r.Has(ctx, "ac/"+string(key))
	cancel()
	if err != nil {
		rs.fail("head entry of %s: %v", e.Step, err)
		return
	}
	if !has {
		c.upload(key, e, entry)
	}
}

// upload writes an action's blobs, then its entry, to the remote; a blob
// the remote has (HEAD) is not written again unless its copy was found damaged.
func (c *Cache) upload(key Digest, e *Entry, entry []byte) {
	rs := c.remote
	if rs.readOnly {
		return
	}
	ctx, cancel := rs.ctx()
	defer cancel()
	for _, o := range e.Outputs {
		name := "cas/" + string(o.Digest)
		rs.mu.Lock()
		bad := rs.bad[o.Digest]
		rs.mu.Unlock()
		if !bad {
			has, err := rs.r.Has(ctx, name)
			if err != nil {
				rs.fail("upload %s of %s: %v", o.Digest.Short(), e.Step, err)
				return
			}
			if has {
				rs.count(func(s *RemoteStats) { s.Present++ })
				continue
			}
		}
		data, err := c.GetBlob(o.Digest)
		if err == nil {
			err = rs.r.Put(ctx, name, data)
		}
		if err != nil {
			rs.fail("upload %s of %s: %v", o.Digest.Short(), e.Step, err)
			return // no entry without its blobs
		}
		rs.mu.Lock()
		delete(rs.bad, o.Digest)
		rs.stats.Uploads++
		rs.stats.UploadBytes += int64(len(data))
		rs.mu.Unlock()
	}
	if err := rs.r.Put(ctx, "ac/"+string(key), entry); err != nil {
		rs.fail("upload entry of %s: %v", e.Step, err)
		return
	}
	rs.mu.Lock()
	rs.checked[key] = true
	rs.stats.Uploads++
	rs.stats.UploadBytes += int64(len(entry))
	rs.mu.Unlock()
}
