package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// file is one member of a hand-made archive.
type file struct {
	name string
	data []byte
	kind byte // tar.TypeReg unless set
}

// root is the root folder of the test archives.
const root = "kadanoff-t/"

// valid returns the members of a small archive that Read accepts: one spec,
// a narrative, one step with one output, a report page, a README and the
// crate.
func valid(t *testing.T) []file {
	t.Helper()
	blob := []byte("[1, 2, 3]")
	d := cache.Sum(blob)
	pre := "op test\nparam n 1\n"
	key := cache.Sum([]byte(pre))
	outs := []cache.Output{{Name: "out", Kind: "array", Digest: d, Size: int64(len(blob))}}
	c := &Contents{
		Root: strings.TrimSuffix(root, "/"),
		Docs: map[string][]byte{"README.md": []byte("# T\n")},
		Manifest: &Manifest{Format: Format, Profile: "quick", Specs: []string{"configs/t.yaml"},
			Steps: []Step{{ID: "t/a", Op: "test", Version: 1, Key: key, Preimage: pre, Outputs: outs}}},
		Specs:   map[string][]byte{"configs/t.yaml": []byte("paper: {id: t}\n"), "reports/t.md": []byte("# T\n")},
		Entries: map[cache.Digest]*cache.Entry{key: {Step: "t/a", Preimage: pre, Outputs: outs}},
		Blobs:   map[cache.Digest][]byte{d: blob},
		Report:  map[string][]byte{"t/index.html": []byte("<p>t</p>")},
	}
	var buf bytes.Buffer
	if err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var files []file
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var data bytes.Buffer
		data.ReadFrom(tr)
		files = append(files, file{name: h.Name, data: data.Bytes()})
	}
	return files
}

func pack(t *testing.T, files []file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if f.kind != 0 {
			h.Typeflag, h.Size, h.Linkname = f.kind, 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if f.kind == 0 {
			tw.Write(f.data)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// editManifest returns the members with the manifest changed by edit.
func editManifest(t *testing.T, files []file, edit func(m map[string]any)) []file {
	t.Helper()
	out := append([]file(nil), files...)
	for i, f := range out {
		if f.name == root+"manifest.json" {
			var m map[string]any
			if err := json.Unmarshal(f.data, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			out[i].data, _ = json.Marshal(m)
		}
	}
	return out
}

// Hostile archives are refused, each with the file or step named.
func TestReadRefusesHostileArchives(t *testing.T) {
	good := valid(t)
	if _, err := Read(context.Background(), bytes.NewReader(pack(t, good))); err != nil {
		t.Fatalf("the valid archive is refused: %v", err)
	}
	with := func(extra ...file) []file { return append(append([]file(nil), good...), extra...) }
	replaced := func(name string, data []byte) []file {
		out := append([]file(nil), good...)
		for i := range out {
			if out[i].name == name {
				out[i].data = data
			}
		}
		return out
	}
	cases := []struct {
		name  string
		files []file
		want  string
	}{
		{"duplicate manifest", with(file{name: root + "manifest.json", data: []byte("{}")}), "manifest.json appears twice"},
		{"traversal", with(file{name: "../../etc/x", data: []byte("x")}), "lies outside the archive"},
		{"absolute", with(file{name: "/etc/x", data: []byte("x")}), "lies outside the archive"},
		{"no root folder", with(file{name: "x", data: []byte("x")}), "outside the archive's root folder"},
		{"a second root folder", with(file{name: "other/x", data: []byte("x")}), "outside the archive's root folder kadanoff-t"},
		{"symlink", with(file{name: root + "specs/link", kind: tar.TypeSymlink}), "not a regular file"},
		{"unknown top-level file", with(file{name: root + "run.sh", data: []byte("rm -rf ~")}), "unexpected file run.sh"},
		{"spec not in the manifest", with(file{name: root + "specs/configs/extra.yaml", data: []byte("x")}), "specs/configs/extra.yaml is not in the manifest"},
		{"edited spec", replaced(root+"specs/configs/t.yaml", []byte("paper: {id: u}\n")), "specs/configs/t.yaml was changed after packing"},
		{"edited README", replaced(root+"README.md", []byte("# U\n")), "README.md: its sha256 or contentSize does not match"},
		{"a document the crate lacks", with(file{name: root + "LICENSE", data: []byte("MIT")}), "LICENSE is not described"},
		{"crate not JSON", replaced(root+CrateFile, []byte("{")), CrateFile},
		{"missing narrative", func() []file {
			var out []file
			for _, f := range good {
				if f.name != root+"specs/reports/t.md" {
					out = append(out, f)
				}
			}
			return out
		}(), "lacks"},
		{"manifest spec outside", editManifest(t, good, func(m map[string]any) { m["specs"] = []string{"../../etc/passwd"} }), "lies outside the archive"},
		{"manifest spec absent", editManifest(t, good, func(m map[string]any) { m["specs"] = []string{"configs/u.yaml"} }), "not in the archive"},
		{"blob of no entry", with(file{name: root + "blobs/" + string(cache.Sum([]byte("stray"))), data: []byte("stray")}), "belongs to no entry"},
		{"entry not in the manifest", editManifest(t, good, func(m map[string]any) { m["steps"] = []any{} }), "is not in the manifest"},
		{"old format", editManifest(t, good, func(m map[string]any) { m["format"] = "kadanoff archive 1"; delete(m, "spec_digests") }), "pack it again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), bytes.NewReader(pack(t, tc.files)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// Sizes are capped per file and in all, before the bytes are held; a
// cancelled read stops.
func TestReadLimits(t *testing.T) {
	data := pack(t, valid(t))
	if _, err := read(context.Background(), bytes.NewReader(data), 8, 1<<20); err == nil || !strings.Contains(err.Error(), "more than 8") {
		t.Errorf("per-file cap: err = %v", err)
	}
	if _, err := read(context.Background(), bytes.NewReader(data), 1<<20, 64); err == nil || !strings.Contains(err.Error(), "in all") {
		t.Errorf("total cap: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, bytes.NewReader(data)); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled read: err = %v", err)
	}
}

// An archive's crate resolves: every reference names an entity, every file
// is an entity with its digest and size, and crates that do not are refused.
func TestCheckCrate(t *testing.T) {
	var crate []byte
	sums := map[string]FileSum{}
	for _, f := range valid(t) {
		name := strings.TrimPrefix(f.name, root)
		if name == CrateFile {
			crate = f.data
			continue
		}
		sums[name] = FileSum{Digest: cache.Sum(f.data), Size: int64(len(f.data))}
	}
	if err := CheckCrate(crate, sums); err != nil {
		t.Fatalf("the crate Write made: %v", err)
	}
	edit := func(f func(g []map[string]any) []map[string]any) []byte {
		var doc map[string]any
		json.Unmarshal(crate, &doc)
		var g []map[string]any
		b, _ := json.Marshal(doc["@graph"])
		json.Unmarshal(b, &g)
		doc["@graph"] = f(g)
		out, _ := json.Marshal(doc)
		return out
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"dangling reference", edit(func(g []map[string]any) []map[string]any {
			return append(g, map[string]any{"@id": "#x", "@type": "CreateAction", "instrument": map[string]any{"@id": "#nowhere"}})
		}), "#nowhere, which the crate does not define"},
		{"a file the archive lacks", edit(func(g []map[string]any) []map[string]any {
			return append(g, map[string]any{"@id": "blobs/zz", "@type": "File", "sha256": "zz", "contentSize": "1"})
		}), "blobs/zz is not in the archive"},
		{"twice", edit(func(g []map[string]any) []map[string]any { return append(g, g[len(g)-1]) }), "defined twice"},
		{"no descriptor", edit(func(g []map[string]any) []map[string]any { return g[1:] }), "no metadata descriptor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckCrate(tc.data, sums); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
