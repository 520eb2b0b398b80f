package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/cache/s3store/s3test"
)

// TestRemoteCacheThroughS3 builds the quick profile on two machines (two
// cache directories) at once through a real S3 server (versitygw on loopback),
// then on a third that only reads: every result is byte-identical to a build
// without the remote, and the third machine runs nothing.
func TestRemoteCacheThroughS3(t *testing.T) {
	srv := s3test.Start(t, "kadanoff")
	srv.Env(t, srv.URL())
	remote := "s3://kadanoff/ci/quick"
	c0, o0 := sharedQuick(t)

	root := repoRoot(t)
	type machine struct {
		cache, out string
		stdout     bytes.Buffer
		stderr     bytes.Buffer
		code       int
	}
	ms := []*machine{{cache: t.TempDir(), out: t.TempDir()}, {cache: t.TempDir(), out: t.TempDir()}}
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.code = Main(context.Background(), []string{"build", "--profile", "quick", "--jobs", "1", "--remote", remote,
				"--cache", m.cache, "--out", m.out, filepath.Join(root, "configs", "dmk2020.yaml")},
				Env{Stdout: &m.stdout, Stderr: &m.stderr, Getenv: os.Getenv})
		}()
	}
	wg.Wait()
	for i, m := range ms {
		if m.code != 0 || m.stderr.Len() > 0 {
			t.Fatalf("machine %d: exit %d\n%s%s", i, m.code, m.stdout.String(), m.stderr.String())
		}
		sameBuilds(t, fmt.Sprintf("machine %d vs a local build", i), c0, o0, m.cache, m.out)
	}
	if !regexp.MustCompile(`remote  s3://kadanoff/ci/quick: \d+ steps fetched .*, [1-9]\d* uploads`).MatchString(ms[0].stdout.String() + ms[1].stdout.String()) {
		t.Errorf("no uploads reported:\n%s\n%s", ms[0].stdout.String(), ms[1].stdout.String())
	}

	c3, o3, out := buildQuick(t, "--remote", remote, "--remote-read-only")
	sameBuilds(t, "read-only machine vs a local build", c0, o0, c3, o3)
	if !regexp.MustCompile(`steps: (\d+) total, 0 ran, (\d+) cached, 0 failed`).MatchString(out) ||
		!regexp.MustCompile(`remote  s3://kadanoff/ci/quick: [1-9]\d* steps fetched .*, 0 uploads`).MatchString(out) {
		t.Errorf("the third machine computed something or uploaded:\n%s", out)
	}
}
