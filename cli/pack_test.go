package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

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
	checkSelfDescribing(t, file)
	// Tampering.
	data, _ := os.ReadFile(file)
	c, err := archive.Read(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(edit func(*archive.Contents)) string {
		c2, _ := archive.Read(context.Background(), bytes.NewReader(data))
		edit(c2)
		delete(c2.Docs, archive.CrateFile) // written anew, of the edited files
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

// checkSelfDescribing extracts an archive into an empty directory as tar
// would and finds one root folder holding the README, the citation, the
// licence and an RO-Crate whose every file entity exists with its digest and
// size.
func checkSelfDescribing(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(dest, dir+string(filepath.Separator)) {
			t.Fatalf("%s extracts outside the directory", h.Name)
		}
		os.MkdirAll(filepath.Dir(dest), 0o777)
		data, _ := io.ReadAll(tr)
		if err := os.WriteFile(dest, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	top, _ := os.ReadDir(dir)
	if len(top) != 1 || !top[0].IsDir() || !strings.HasPrefix(top[0].Name(), "kadanoff-t-quick-") {
		t.Fatalf("the archive extracts to %v, want one folder kadanoff-t-quick-DATE", top)
	}
	root := filepath.Join(dir, top[0].Name())
	for _, name := range []string{"README.md", "CITATION.cff", "LICENSE", "manifest.json", "report/index.html"} {
		if fi, err := os.Stat(filepath.Join(root, name)); err != nil || fi.Size() == 0 {
			t.Errorf("the archive has no %s", name)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	for _, want := range []string{"report/index.html", "kadanoff build --from", "kadanoff verify --from", "`peaks` | reproduced | `kadanoff build --profile quick --only trend`"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("the README does not say %q:\n%s", want, readme)
		}
	}
	if cff, _ := os.ReadFile(filepath.Join(root, "CITATION.cff")); !bytes.Contains(cff, []byte("cff-version: 1.2.0")) || !bytes.Contains(cff, []byte(`title: "Pack"`)) {
		t.Errorf("CITATION.cff does not cite the tool and the paper:\n%s", cff)
	}
	var crate struct {
		Graph []map[string]any `json:"@graph"`
	}
	data, _ := os.ReadFile(filepath.Join(root, archive.CrateFile))
	if err := json.Unmarshal(data, &crate); err != nil {
		t.Fatal(err)
	}
	files := 0
	ids := map[string]bool{}
	for _, e := range crate.Graph {
		ids[e["@id"].(string)] = true
	}
	for _, e := range crate.Graph {
		id := e["@id"].(string)
		if ins, ok := e["instrument"].(map[string]any); ok && !ids[ins["@id"].(string)] {
			t.Errorf("%s: instrument %v is not an entity", id, ins["@id"])
		}
		if e["@type"] != "File" && !strings.Contains(fmt.Sprint(e["@type"]), "File") {
			continue
		}
		files++
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(id)))
		if err != nil {
			t.Errorf("file entity %s: %v", id, err)
			continue
		}
		if string(cache.Sum(got)) != e["sha256"] || fmt.Sprint(len(got)) != e["contentSize"] {
			t.Errorf("file entity %s: digest or size does not match", id)
		}
	}
	if files < 10 {
		t.Errorf("the crate describes %d files", files)
	}
}
