package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBadSpecs builds each spec of testdata/badspecs and compares the errors
// with NAME.err: a bad spec exits with status 2 and runs nothing.
func TestBadSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/badspecs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal("no bad specs", err)
	}
	// The repository's absolute path differs between checkouts; errors name
	// it, so the golden files spell it $ROOT.
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cacheDir := filepath.Join(t.TempDir(), "cache")
			code := Main(context.Background(), []string{"build", "--cache", cacheDir, "--out", t.TempDir(), f},
				Env{Stdout: &stdout, Stderr: &stderr, Registry: testRegistry()})
			if code != ExitUsage {
				t.Errorf("exit status %d, want %d", code, ExitUsage)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout should be empty, got:\n%s", stdout.String())
			}
			if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
				t.Errorf("a bad spec must not touch the cache")
			}
			got := strings.ReplaceAll(stderr.String(), root, "$ROOT")
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}
