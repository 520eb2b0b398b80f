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

	freed, err := c.Trim(24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if freed != int64(len("old old")+len("partial")) {
		t.Errorf("freed %d bytes", freed)
	}
	if _, err := c.GetBlob(oldD); !errors.Is(err, ErrMissing) {
		t.Error("old blob survived trim")
	}
	if _, err := c.GetBlob(newD); err != nil {
		t.Errorf("new blob trimmed: %v", err)
	}
}
