// Package cache is Kadanoff's content-addressed store of step outputs.
//
// Like Go's build cache it has two levels: outputs are stored as blobs named by
// the SHA-256 of their bytes, and an action entry maps an action key (the hash of
// a readable description of a computation) to the digests of its outputs. Every
// file becomes visible only when complete (written to a temporary file in the
// same directory, synced, then renamed), and every blob read is checked against
// its digest, so a crash or interrupt at any moment leaves a valid cache.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Digest is the lowercase hex SHA-256 of a blob's bytes or of an action's preimage.
type Digest string

// Sum returns the digest of data.
func Sum(data []byte) Digest {
	h := sha256.Sum256(data)
	return Digest(hex.EncodeToString(h[:]))
}

// Short returns the first 12 hex digits, for display.
func (d Digest) Short() string {
	if len(d) < 12 {
		return string(d)
	}
	return string(d[:12])
}

func (d Digest) valid() bool {
	if len(d) != 64 {
		return false
	}
	_, err := hex.DecodeString(string(d))
	return err == nil
}

// ErrMissing is returned (wrapped) when an entry or blob is not in the cache, or
// was found damaged and discarded.
var ErrMissing = errors.New("cache: not found")

// Output is one named output of an action, as recorded in its entry.
type Output struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Digest Digest `json:"digest"`
	Size   int64  `json:"size"`
}

// Entry is what an action key maps to: the outputs, and enough context to
// explain the key later.
type Entry struct {
	Step     string    `json:"step"`
	Preimage string    `json:"preimage"`
	Outputs  []Output  `json:"outputs"`
	Created  time.Time `json:"created"`
	Seconds  float64   `json:"seconds"`
	// Log holds the lines the step logged when it ran.
	Log []string `json:"log,omitempty"`
	// Machine describes what computed the outputs (OS and architecture, CPU,
	// GEMM kernel): results computed with another kernel may differ in the
	// last bits of floats, which kadanoff verify measures.
	Machine string `json:"machine,omitempty"`
}

// Cache is a cache directory. Its methods are safe for concurrent use by
// goroutines and by processes sharing the directory.
type Cache struct {
	dir string
	// Now is the clock, replaceable in tests.
	Now func() time.Time

	mu      sync.Mutex
	damaged []string
	remote  *remoteState
}

// Damaged returns what this process found damaged and discarded ("blob
// 1a2b3c…", "action …"), so that a command can say so once.
func (c *Cache) Damaged() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.damaged...)
}

func (c *Cache) discard(what string, path string) {
	os.Remove(path)
	c.mu.Lock()
	c.damaged = append(c.damaged, what)
	c.mu.Unlock()
}

// Open opens (creating if needed) the cache in dir.
func Open(dir string) (*Cache, error) {
	for _, sub := range []string{"blobs", "actions", "steps"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o777); err != nil {
			if _, lerr := filepath.EvalSymlinks(dir); lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
				return nil, fmt.Errorf("cache: directory %s: %w", dir, lerr)
			}
			if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
				return nil, fmt.Errorf("cache: %s is not a directory", dir)
			}
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return &Cache{dir: dir, Now: time.Now}, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) blobPath(d Digest) string {
	return filepath.Join(c.dir, "blobs", string(d[:2]), string(d))
}

func (c *Cache) actionPath(key Digest) string {
	return filepath.Join(c.dir, "actions", string(key[:2]), string(key))
}

func (c *Cache) stepPath(step string) string {
	return filepath.Join(c.dir, "steps", string(Sum([]byte(step))))
}

// WriteFile writes data to path so that readers, and a crash at any moment,
// see either the old file (or none) or all of the new one: a temporary file
// in the same directory, synced, then renamed. It creates the directory.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// PutBlob stores data and returns its digest. Storing a blob that is already
// present only refreshes its use time.
func (c *Cache) PutBlob(data []byte) (Digest, error) {
	d := Sum(data)
	p := c.blobPath(d)
	if fi, err := os.Stat(p); err == nil && fi.Size() == int64(len(data)) {
		c.used(p, fi)
		return d, nil
	}
	if err := WriteFile(p, data); err != nil {
		return "", fmt.Errorf("cache: put blob: %w", err)
	}
	return d, nil
}

// GetBlob returns the bytes of the blob with digest d, checked against d. A
// blob whose bytes do not hash to d, or that is not a regular file of the
// cache (a link, a FIFO, a device), is removed and reported as missing.
func (c *Cache) GetBlob(d Digest) ([]byte, error) {
	if !d.valid() {
		return nil, fmt.Errorf("cache: bad digest %q: %w", d, ErrMissing)
	}
	p := c.blobPath(d)
	data, err := readRegular(p, -1)
	if errors.Is(err, fs.ErrNotExist) && c.remote != nil {
		ctx, cancel := c.remote.ctx()
		data, rerr := c.remoteBlob(ctx, d) // checked and stored locally
		cancel()
		if rerr != nil {
			if !errors.Is(rerr, ErrMissing) {
				c.remote.fail("%v", rerr)
			}
			return nil, fmt.Errorf("cache: blob %s: %w", d.Short(), ErrMissing)
		}
		return data, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cache: blob %s: %w", d.Short(), ErrMissing)
	}
	if errors.Is(err, errNotRegular) {
		c.discard("blob "+d.Short(), p)
		return nil, fmt.Errorf("cache: blob %s is not a regular file, discarded: %w", d.Short(), ErrMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if Sum(data) != d {
		c.discard("blob "+d.Short(), p)
		return nil, fmt.Errorf("cache: blob %s damaged, discarded: %w", d.Short(), ErrMissing)
	}
	if fi, err := os.Stat(p); err == nil {
		c.used(p, fi)
	}
	return data, nil
}

// errNotRegular is returned by readRegular for a path that is not a regular
// file.
var errNotRegular = errors.New("not a regular file")

// readRegular reads the regular file at path, refusing (errNotRegular) a
// symbolic link, FIFO, device or directory, and a file larger than limit
// bytes when limit ≥ 0, without reading it.
func readRegular(path string, limit int64) ([]byte, error) {
	data, _, err := readRegularInfo(path, limit)
	return data, err
}

// readRegularInfo is readRegular that also returns the file's information.
func readRegularInfo(path string, limit int64) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s: %w", path, errNotRegular)
		}
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	if limit >= 0 && fi.Size() > limit {
		return nil, nil, fmt.Errorf("%s: %d bytes, more than %d", path, fi.Size(), limit)
	}
	// One byte more than the size: a file that grew since the stat is not
	// a cache file (they are never written in place).
	data := make([]byte, fi.Size()+1)
	n, err := io.ReadFull(f, data)
	if int64(n) != fi.Size() || (err != nil && !errors.Is(err, io.ErrUnexpectedEOF)) {
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%s: changed while read", path)
		}
		return nil, nil, err
	}
	return data[:n:n], fi, nil
}

// HasBlob reports whether a blob of digest d and the given size is present
// and intact. It reads and hashes the blob (kadanoff verify); a build's cache
// hits use HasFile, and reads check digests where the bytes are used.
func (c *Cache) HasBlob(d Digest, size int64) bool {
	data, err := c.GetBlob(d)
	return err == nil && int64(len(data)) == size
}

// HasFile reports whether the local cache holds a regular file for blob d of
// the given size, without reading it: what a cache hit checks, as Go's
// build cache does. GetBlob checks the digest when the bytes are used. A
// blob that is not a regular file is discarded.
func (c *Cache) HasFile(d Digest, size int64) bool {
	if !d.valid() {
		return false
	}
	p := c.blobPath(d)
	fi, err := os.Lstat(p)
	if err != nil {
		return false
	}
	if !fi.Mode().IsRegular() {
		c.discard("blob "+d.Short(), p)
		return false
	}
	return fi.Size() == size
}

// BlobPath returns the file holding blob d, for callers that copy it elsewhere.
// The file must not be modified.
func (c *Cache) BlobPath(d Digest) string { return c.blobPath(d) }

// PutAction records e as the result of the action key.
func (c *Cache) PutAction(key Digest, e *Entry) error {
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := WriteFile(c.actionPath(key), data); err != nil {
		return fmt.Errorf("cache: put action: %w", err)
	}
	if c.remote != nil {
		c.upload(key, e, data)
	}
	return nil
}

// GetAction returns the entry for key. It does not check the output blobs.
func (c *Cache) GetAction(key Digest) (*Entry, error) {
	if !key.valid() {
		return nil, fmt.Errorf("cache: bad key %q: %w", key, ErrMissing)
	}
	p := c.actionPath(key)
	data, fi, err := readRegularInfo(p, maxEntry)
	if errors.Is(err, fs.ErrNotExist) && c.remote != nil {
		if e := c.remoteAction(key); e != nil {
			return e, nil
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cache: action %s: %w", key.Short(), ErrMissing)
	}
	if errors.Is(err, errNotRegular) {
		c.discard("action "+key.Short(), p)
		return nil, fmt.Errorf("cache: action %s is not a regular file, discarded: %w", key.Short(), ErrMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil || Sum([]byte(e.Preimage)) != key {
		c.discard("action "+key.Short(), p)
		return nil, fmt.Errorf("cache: action %s damaged, discarded: %w", key.Short(), ErrMissing)
	}
	if c.remote != nil {
		c.publish(key, &e, data)
	}
	if fi != nil {
		c.used(p, fi)
	}
	return &e, nil
}

// maxEntry bounds the size of an action entry (its preimage, outputs and
// log): a larger file is not one this cache wrote.
const maxEntry = 64 << 20

// SetLatest records key as the most recent action of the named step, so that a
// later key for the same step can be compared with it.
func (c *Cache) SetLatest(step string, key Digest) error {
	if old, err := c.Latest(step); err == nil && old == key {
		return nil // a no-op build writes nothing
	}
	if err := WriteFile(c.stepPath(step), []byte(string(key)+"\n")); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Latest returns the most recent action key recorded for the named step.
func (c *Cache) Latest(step string) (Digest, error) {
	data, err := readRegular(c.stepPath(step), 1<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cache: step %s: %w", step, ErrMissing)
	}
	if err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	return Digest(strings.TrimSpace(string(data))), nil
}

// mtimeInterval is how stale a use time may get before a use refreshes it; it
// keeps reads from writing to the disk on every hit.
const mtimeInterval = time.Hour

func (c *Cache) used(path string, fi fs.FileInfo) {
	now := c.Now()
	if now.Sub(fi.ModTime()) < mtimeInterval {
		return
	}
	os.Chtimes(path, now, now)
}

// TrimOptions say what Trim removes.
type TrimOptions struct {
	// Age: entries and blobs not used for longer are removed.
	Age time.Duration
	// Keep holds action keys kept whatever their age, with their outputs.
	Keep map[Digest]bool
	// DryRun reports what would be removed without removing it.
	DryRun bool
}

// TrimResult is what Trim removed (or, in a dry run, would remove).
type TrimResult struct {
	Files int
	Bytes int64
	// Errors are the files that could not be removed.
	Errors []error
}

// Trim removes entries and blobs not used for longer than the options' age,
// except those kept, and temporary files left by interrupted writes. Callers
// hold the exclusive lock (LockExclusive), so no build is reading them.
func (c *Cache) Trim(o TrimOptions) (TrimResult, error) {
	cutoff := c.Now().Add(-o.Age)
	tmpCutoff := c.Now().Add(-mtimeInterval)
	keep := map[string]bool{}
	for key := range o.Keep {
		keep[c.actionPath(key)] = true
		if e, err := c.GetAction(key); err == nil {
			for _, out := range e.Outputs {
				keep[c.blobPath(out.Digest)] = true
			}
		}
	}
	var res TrimResult
	err := filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Name() == lockName || keep[path] {
			return nil
		}
		if len(o.Keep) > 0 && filepath.Base(filepath.Dir(path)) == "steps" {
			// A step's latest-build pointer stays with the entry it points to.
			if key, err := os.ReadFile(path); err == nil && o.Keep[Digest(strings.TrimSpace(string(key)))] {
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed concurrently
		}
		old := fi.ModTime().Before(cutoff)
		if strings.HasPrefix(d.Name(), ".tmp-") {
			old = fi.ModTime().Before(tmpCutoff) || fi.ModTime().Before(cutoff)
		}
		if !old {
			return nil
		}
		if !o.DryRun {
			if err := os.Remove(path); err != nil {
				res.Errors = append(res.Errors, err)
				return nil
			}
		}
		res.Files++
		res.Bytes += fi.Size()
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("cache: trim: %w", err)
	}
	return res, nil
}

// lockName is the file whose lock builds share and gc takes exclusively.
const lockName = "lock"

// claimsDir holds one lock file per action key being computed (Claim); gc
// removes those not used for its age, as it does entries.
const claimsDir = "claims"

// claimPoll is how often a build waiting on another's claim looks again.
const claimPoll = 50 * time.Millisecond

// LockShared takes the cache's lock shared, as every build does for its
// whole run, waiting while a gc holds it; unlock releases it.
func (c *Cache) LockShared() (unlock func(), err error) {
	return c.lock(false)
}

// LockExclusive takes the cache's lock exclusively, as gc does, failing at
// once with ErrBusy while a build holds it.
func (c *Cache) LockExclusive() (unlock func(), err error) {
	return c.lock(true)
}

// ErrBusy is returned by LockExclusive while another process uses the cache.
var ErrBusy = errors.New("cache: in use by a running build")
