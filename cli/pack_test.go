package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/archive"
	"github.com/kadanoff/kadanoff/pipeline/cache"
)

const packSpec = `paper: {id: t, title: Pack}
narrative: ../reports/t.md
steps:
  board: {op: pattern.checkerboard, params: {size: 8, block: 2}}
  g: {op: correlator.panel_g, inputs: {panels: board}}
  trend: {op: series.trend, inputs: {series: g}}
figures:
  f: {number: 1, panels: [{kind: heatmap, input: board}, {kind: line, input: g, x: r, y: g}]}
claims:
  peaks: {quote: "G is peaked.", statement: G has peaks, value: "trend:peaks", expect: {greater: 0.5}}
profiles: {quick: {}, paper: {}}
`

// pack then build --from on a fresh cache gives the report byte for byte with
// nothing run; a damaged blob or an edited manifest is refused, named.
func TestPackAndBuildFrom(t *testing.T) {
	root, specFile := specRepo(t, packSpec, "{{figure f}}\n\nPeaks: {{value trend:peaks}}.\n")
	cacheDir, out := filepath.Join(root, "cache"), filepath.Join(root, "out")
	file := filepath.Join(root, "t.tar.zst")
	if code, stdout, stderr := run(t, "pack", "--profile", "quick", "--cache", cacheDir, "--to", file, specFile); code != 0 {
		t.Fatalf("pack: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out, specFile); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	out2 := filepath.Join(root, "out2")
	code, stdout, stderr := run(t, "build", "--from", file, "--out", out2)
	if code != 0 {
		t.Fatalf("build --from: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "steps: 4 total, 0 ran, 4 cached, 0 failed") {
		t.Errorf("build --from ran steps:\n%s", stdout)
	}
	for _, f := range []string{"t/index.html", "t/README.md", "t/figures/f.png", "t/figures/f.svg", "index.html"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(out2, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the build and the build from the archive", f)
		}
	}
	// The archive's steps recompute to the same bytes.
	if code, stdout, stderr := run(t, "verify", "--from", file); code != 0 || !strings.Contains(stdout, "verified 4 steps") {
		t.Errorf("verify --from: exit %d\n%s%s", code, stdout, stderr)
	}
	// Tampering.
	data, _ := os.ReadFile(file)
	c, err := archive.Read(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(edit func(*archive.Contents)) string {
		c2, _ := archive.Read(context.Background(), bytes.NewReader(data))
		edit(c2)
		var buf bytes.Buffer
		if err := archive.Write(&buf, c2); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "bad.tar.zst")
		os.WriteFile(f, buf.Bytes(), 0o644)
		return f
	}
	specName := c.Manifest.Specs[0]
	var someBlob cache.Digest
	for d := range c.Blobs {
		someBlob = d
		break
	}
	for name, tc := range map[string]struct {
		edit func(*archive.Contents)
		want string
	}{
		"flipped byte":    {func(c *archive.Contents) { c.Blobs[someBlob][0] ^= 0xff }, "blob " + someBlob.Short() + " is damaged"},
		"edited manifest": {func(c *archive.Contents) { c.Manifest.Steps[1].Outputs[0].Size++ }, "manifest step t/"},
		"edited spec": {func(c *archive.Contents) {
			c.Specs[specName] = bytes.Replace(c.Specs[specName], []byte("size: 8"), []byte("size: 16"), 1)
		}, "specs/" + specName + " was changed after packing"},
		"edited spec, digests recomputed": {func(c *archive.Contents) {
			c.Specs[specName] = bytes.Replace(c.Specs[specName], []byte("size: 8"), []byte("size: 16"), 1)
			c.Manifest.SpecDigests = nil
		}, "the archive does not hold step t/board"},
	} {
		code, _, stderr := run(t, "build", "--from", rewrite(tc.edit), "--out", t.TempDir())
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want a refusal naming %q", name, code, stderr, tc.want)
		}
	}
}
