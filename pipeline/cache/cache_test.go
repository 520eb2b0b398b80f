package cache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBlobRoundTripAndDamage(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.PutBlob([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if d != Sum([]byte("hello")) {
		t.Fatalf("digest %s", d)
	}
	got, err := c.GetBlob(d)
	if err != nil || string(got) != "hello" {
		t.Fatalf("GetBlob = %q, %v", got, err)
	}
	// Damage the blob: the read must fail as missing and remove it.
	if err := os.WriteFile(c.BlobPath(d), []byte("hellp"), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBlob(d); !errors.Is(err, ErrMissing) {
		t.Fatalf("damaged blob: err = %v, want ErrMissing", err)
	}
	if _, err := os.Stat(c.BlobPath(d)); !os.IsNotExist(err) {
		t.Fatalf("damaged blob not removed: %v", err)
	}
	// Re-putting restores it.
	if _, err := c.PutBlob([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if !c.HasBlob(d, 5) {
		t.Fatal("blob not restored")
	}
}

func TestActionRoundTripAndDamage(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pre := "kadanoff action\nop x 1\n"
	key := Sum([]byte(pre))
	e := &Entry{Step: "p/s", Preimage: pre, Outputs: []Output{{Name: "out", Kind: "npy", Digest: Sum(nil)}}}
	if err := c.PutAction(key, e); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAction(key)
	if err != nil || got.Step != "p/s" || len(got.Outputs) != 1 {
		t.Fatalf("GetAction = %+v, %v", got, err)
	}
	// An entry whose preimage does not hash to its key is discarded.
	if err := c.PutAction(key, &Entry{Preimage: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAction(key); !errors.Is(err, ErrMissing) {
		t.Fatalf("damaged entry: err = %v", err)
	}
	// Truncated JSON, as a non-atomic writer could leave, is discarded too.
	if err := os.WriteFile(c.actionPath(key), []byte(`{"step":`), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAction(key); !errors.Is(err, ErrMissing) {
		t.Fatalf("truncated entry: err = %v", err)
	}
}

func TestLatest(t *testing.T) {
	c, _ := Open(t.TempDir())
	if _, err := c.Latest("p/s"); !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v", err)
	}
	k := Sum([]byte("a"))
	if err := c.SetLatest("p/s", k); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Latest("p/s"); got != k {
		t.Fatalf("Latest = %s", got)
	}
}

func TestTrim(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return now }
	oldD, _ := c.PutBlob([]byte("old old"))
	newD, _ := c.PutBlob([]byte("new"))
	tmp := filepath.Join(dir, "blobs", ".tmp-123")
	os.WriteFile(tmp, []byte("partial"), 0o666)
	old := now.Add(-48 * time.Hour)
	os.Chtimes(c.BlobPath(oldD), old, old)
	os.Chtimes(tmp, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	os.Chtimes(c.BlobPath(newD), now, now)

	dry, err := c.Trim(TrimOptions{Age: 24 * time.Hour, DryRun: true})
	if err != nil || dry.Bytes != int64(len("old old")+len("partial")) || dry.Files != 2 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := os.Stat(c.BlobPath(oldD)); err != nil {
		t.Fatal("a dry run removed a blob")
	}
	res, err := c.Trim(TrimOptions{Age: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(len("old old")+len("partial")) || len(res.Errors) != 0 {
		t.Errorf("freed %d bytes, errors %v", res.Bytes, res.Errors)
	}
	if _, err := c.GetBlob(oldD); !errors.Is(err, ErrMissing) {
		t.Error("old blob survived trim")
	}
	if _, err := c.GetBlob(newD); err != nil {
		t.Errorf("new blob trimmed: %v", err)
	}
}

// Kept actions survive with their blobs whatever their age; a file that
// cannot be removed is reported, not counted as freed.
func TestTrimKeepAndErrors(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return now }
	kept, _ := c.PutBlob([]byte("kept"))
	gone, _ := c.PutBlob([]byte("gone"))
	key := Sum([]byte("action"))
	c.PutAction(key, &Entry{Step: "p/s", Preimage: "action", Outputs: []Output{{Name: "x", Digest: kept, Size: 4}}})
	old := now.Add(-48 * time.Hour)
	for _, p := range []string{c.BlobPath(kept), c.BlobPath(gone), c.actionPath(key)} {
		os.Chtimes(p, old, old)
	}
	res, err := c.Trim(TrimOptions{Age: time.Hour, Keep: map[Digest]bool{key: true}})
	if err != nil || res.Files != 1 {
		t.Fatalf("trim: %+v %v", res, err)
	}
	if _, err := c.GetAction(key); err != nil {
		t.Errorf("kept action removed: %v", err)
	}
	if _, err := c.GetBlob(kept); err != nil {
		t.Errorf("kept blob removed: %v", err)
	}
	if os.Getuid() == 0 {
		return // root removes files from read-only directories
	}
	other, _ := c.PutBlob([]byte("other"))
	os.Chtimes(c.BlobPath(other), old, old)
	sub := filepath.Dir(c.BlobPath(other))
	os.Chmod(sub, 0o555)
	defer os.Chmod(sub, 0o777)
	res, _ = c.Trim(TrimOptions{Age: time.Hour})
	if len(res.Errors) == 0 {
		t.Error("a blob that could not be removed was not reported")
	}
}

// gc cannot take the lock while a build holds it.
func TestLockExcludesGC(t *testing.T) {
	c, _ := Open(t.TempDir())
	unlock, err := c.LockShared()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LockExclusive(); !errors.Is(err, ErrBusy) {
		t.Fatalf("exclusive lock while shared held: %v", err)
	}
	unlock()
	u2, err := c.LockExclusive()
	if err != nil {
		t.Fatalf("exclusive lock after unlock: %v", err)
	}
	u2()
}
