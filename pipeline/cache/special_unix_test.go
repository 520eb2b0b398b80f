//go:build unix

package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A blob or entry replaced by something that is not a regular file (a FIFO,
// a link to a device or to a file elsewhere) is refused at once, never read
// or waited on, and discarded.
func TestNonRegularFilesRefused(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"fifo": func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		},
		"link to /dev/zero": func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Fatal(err)
			}
		},
		"link to a copy": func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "copy")
			if err := os.WriteFile(other, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, path); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, replace := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			d, _ := c.PutBlob([]byte("hello"))
			key := Sum([]byte("preimage"))
			if err := c.PutAction(key, &Entry{Preimage: "preimage", Outputs: []Output{{Name: "x", Digest: d, Size: 5}}}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{c.BlobPath(d), c.actionPath(key)} {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				replace(t, p)
			}
			if c.HasFile(d, 5) { // Lstat: cannot hang
				t.Error("HasFile accepted it")
			}
			replace(t, c.BlobPath(d)) // HasFile discarded it
			done := make(chan struct{})
			go func() {
				defer close(done)
				if _, err := c.GetBlob(d); !errors.Is(err, ErrMissing) {
					t.Errorf("GetBlob: err = %v, want ErrMissing", err)
				}
				if _, err := c.GetAction(key); !errors.Is(err, ErrMissing) {
					t.Errorf("GetAction: err = %v, want ErrMissing", err)
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a read hung")
			}
			for _, p := range []string{c.BlobPath(d), c.actionPath(key)} {
				if _, err := os.Lstat(p); !os.IsNotExist(err) {
					t.Errorf("%s not discarded: %v", filepath.Base(filepath.Dir(filepath.Dir(p))), err)
				}
			}
			if len(c.Damaged()) == 0 {
				t.Error("nothing reported damaged")
			}
		})
	}
}

// A cache directory that is a loop of links, or a file, is named as such.
func TestOpenExplainsBadDirectory(t *testing.T) {
	dir := t.TempDir()
	a, b, f := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "f")
	os.Symlink(b, a)
	os.Symlink(a, b)
	os.WriteFile(f, []byte("x"), 0o644)
	for path, want := range map[string]string{a: "too many links", f: "is not a directory"} {
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s): err = %v, want one saying %q", filepath.Base(path), err, want)
		}
	}
}
