// Package archive reads and writes Kadanoff's peer-review archives: one
// zstd-compressed tar whose files all lie under one root folder, holding a
// manifest (every step's action key, preimage and output digests, and what
// built them), the specs and narratives, the cache entries and blobs a build
// of them uses, the rendered report, and the documents a reader opens first
// (README.md, CITATION.cff, LICENSE and an RO-Crate, ro-crate-metadata.json,
// describing every file). The archive is written deterministically (sorted
// names, no times), and every byte is checked when it is read: blobs against
// their digests, entries against their keys, the manifest against the
// entries, the crate's file entities against the files.
package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// Format names this layout of archives. Format 2 added the specs' digests,
// format 3 the root folder and the documents.
const Format = "kadanoff archive 3"

// Documents are the files an archive holds at its root beside manifest.json,
// for a reader: what it is, how to cite it, its licence, and an RO-Crate.
func Documents() []string {
	return []string{"README.md", "CITATION.cff", "LICENSE", CrateFile}
}

// Manifest describes an archive.
type Manifest struct {
	Format  string   `json:"format"`
	Profile string   `json:"profile"`
	Seed    int64    `json:"seed,omitempty"` // the build's seed (kadanoff build --seed)
	Tool    string   `json:"tool"`           // the tool version and source revision that built it
	Go      string   `json:"go"`             // the Go version
	Machine string   `json:"machine"`        // OS/arch, CPU, GEMM kernel
	Specs   []string `json:"specs"`          // spec files, relative to the archive's specs/ tree
	// SpecDigests holds the SHA-256 of every file of the specs/ tree (specs
	// and narratives), by path: an edited spec is refused on reading (Write
	// fills it in).
	SpecDigests map[string]cache.Digest `json:"spec_digests"`
	Steps       []Step                  `json:"steps"`
}

// Step is one step of the archived build.
type Step struct {
	ID       string         `json:"id"`
	Op       string         `json:"op"`
	Version  int            `json:"version"`
	Key      cache.Digest   `json:"key"`
	Preimage string         `json:"preimage"`
	Outputs  []cache.Output `json:"outputs"`
}

// Contents is an archive's files by kind.
type Contents struct {
	// Root is the folder every file lies under (one path element).
	Root     string
	Manifest *Manifest
	Specs    map[string][]byte // specs and narratives, by path relative to the specs tree
	Entries  map[cache.Digest]*cache.Entry
	Blobs    map[cache.Digest][]byte
	Report   map[string][]byte // the rendered report, by path relative to the output directory
	// Docs are the documents at the root (Documents), by name; Write adds
	// the crate when it is absent.
	Docs map[string][]byte
}

// Write writes c as a zstd-compressed tar: ROOT/manifest.json, ROOT/specs/…,
// ROOT/actions/KEY, ROOT/blobs/DIGEST, ROOT/report/… and the documents. It
// records the specs' digests in c.Manifest when it has none, and writes the
// RO-Crate (Crate) when c.Docs has none.
func Write(w io.Writer, c *Contents) error {
	if _, ok := inside(c.Root); !ok || strings.Contains(c.Root, "/") || c.Root == "." {
		return fmt.Errorf("archive: root folder %q: want one path element", c.Root)
	}
	files := map[string][]byte{}
	if c.Manifest.SpecDigests == nil {
		c.Manifest.SpecDigests = map[string]cache.Digest{}
		for p, data := range c.Specs {
			c.Manifest.SpecDigests[p] = cache.Sum(data)
		}
	}
	m, err := json.MarshalIndent(c.Manifest, "", "  ")
	if err != nil {
		return err
	}
	files["manifest.json"] = append(m, '\n')
	for p, data := range c.Specs {
		files["specs/"+p] = data
	}
	for k, e := range c.Entries {
		data, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		files["actions/"+string(k)] = data
	}
	for d, data := range c.Blobs {
		files["blobs/"+string(d)] = data
	}
	for p, data := range c.Report {
		files["report/"+p] = data
	}
	for name, data := range c.Docs {
		if !slices.Contains(Documents(), name) {
			return fmt.Errorf("archive: unknown document %s (documents: %s)", name, strings.Join(Documents(), ", "))
		}
		files[name] = data
	}
	if _, ok := files[CrateFile]; !ok {
		sums := map[string]FileSum{}
		for n, data := range files {
			sums[n] = FileSum{Digest: cache.Sum(data), Size: int64(len(data))}
		}
		crate, err := Crate(c, sums)
		if err != nil {
			return err
		}
		files[CrateFile] = crate
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: c.Root + "/" + n, Mode: 0o644, Size: int64(len(files[n])), Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// maxFile bounds one file of an archive (a blob of a paper's build is at
// most a few hundred megabytes), and maxTotal all of them together: an
// archive is read into memory.
const (
	maxFile  = 4 << 30
	maxTotal = 8 << 30
)

// Read reads an archive and checks that it is whole and self-consistent:
// every blob's bytes against its digest, every entry's preimage against its
// key and its outputs against the blobs, the manifest's steps against the
// entries, the specs against the manifest's digests; no file twice, none that
// nothing names, no path outside the archive. An archive that fails a check
// is refused with the file or step named. Read stops when ctx is done.
func Read(ctx context.Context, r io.Reader) (*Contents, error) {
	return read(ctx, r, maxFile, maxTotal)
}

func read(ctx context.Context, r io.Reader, maxFile, maxTotal int64) (*Contents, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer zr.Close()
	c := &Contents{Specs: map[string][]byte{}, Entries: map[cache.Digest]*cache.Entry{}, Blobs: map[cache.Digest][]byte{}, Report: map[string][]byte{}, Docs: map[string][]byte{}}
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	sums := map[string]FileSum{} // every file but the crate, for checking the crate
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("archive: %s is not a regular file", h.Name)
		}
		full, ok := inside(h.Name)
		if !ok {
			return nil, fmt.Errorf("archive: %s lies outside the archive", h.Name)
		}
		root, name, ok := strings.Cut(full, "/")
		if !ok {
			return nil, fmt.Errorf("archive: %s lies outside the archive's root folder (archives of format %q keep every file in one folder; pack it again with this kadanoff)", h.Name, Format)
		}
		if c.Root == "" {
			c.Root = root
		} else if root != c.Root {
			return nil, fmt.Errorf("archive: %s lies outside the archive's root folder %s", h.Name, c.Root)
		}
		if seen[name] {
			return nil, fmt.Errorf("archive: %s appears twice", name)
		}
		seen[name] = true
		if h.Size > maxFile {
			return nil, fmt.Errorf("archive: %s is %d bytes, more than %d", name, h.Size, maxFile)
		}
		if total += h.Size; total > maxTotal {
			return nil, fmt.Errorf("archive: more than %d bytes in all (at %s)", maxTotal, name)
		}
		data, err := readAll(ctx, tr, h.Size)
		if err != nil {
			return nil, fmt.Errorf("archive: %s: %w", name, err)
		}
		if name != CrateFile {
			sums[name] = FileSum{Digest: cache.Sum(data), Size: int64(len(data))}
		}
		dir, rest, _ := strings.Cut(name, "/")
		switch {
		case name == "manifest.json":
			var m Manifest
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				var probe struct{ Format string }
				if json.Unmarshal(data, &probe) == nil && probe.Format != "" && probe.Format != Format {
					return nil, fmt.Errorf("archive: manifest.json: format %q, this kadanoff reads %q (pack it again with this kadanoff)", probe.Format, Format)
				}
				return nil, fmt.Errorf("archive: manifest.json: %w", err)
			}
			if m.Format != Format {
				return nil, fmt.Errorf("archive: manifest.json: format %q, this kadanoff reads %q (pack it again with this kadanoff)", m.Format, Format)
			}
			c.Manifest = &m
		case slices.Contains(Documents(), name):
			c.Docs[name] = data
		case dir == "specs":
			c.Specs[rest] = data
		case dir == "report":
			c.Report[rest] = data
		case dir == "blobs":
			d := cache.Digest(rest)
			if cache.Sum(data) != d {
				return nil, fmt.Errorf("archive: blob %s is damaged: its bytes hash to %s", d.Short(), cache.Sum(data).Short())
			}
			c.Blobs[d] = data
		case dir == "actions":
			var e cache.Entry
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, fmt.Errorf("archive: entry %s: %w", rest, err)
			}
			k := cache.Digest(rest)
			if cache.Sum([]byte(e.Preimage)) != k {
				return nil, fmt.Errorf("archive: entry %s (step %s) is damaged: its preimage does not hash to its key", k.Short(), e.Step)
			}
			c.Entries[k] = &e
		default:
			return nil, fmt.Errorf("archive: unexpected file %s", name)
		}
	}
	if c.Manifest == nil {
		return nil, errors.New("archive: no manifest.json")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	if crate, ok := c.Docs[CrateFile]; ok {
		if err := CheckCrate(crate, sums); err != nil {
			return nil, fmt.Errorf("archive: %s: %w", CrateFile, err)
		}
	}
	return c, nil
}

// check checks that the parts of an archive agree with one another.
func (c *Contents) check() error {
	m := c.Manifest
	for p, data := range c.Specs {
		want, ok := m.SpecDigests[p]
		if !ok {
			return fmt.Errorf("archive: specs/%s is not in the manifest", p)
		}
		if cache.Sum(data) != want {
			return fmt.Errorf("archive: specs/%s was changed after packing: its bytes do not match the manifest's digest", p)
		}
	}
	for p := range m.SpecDigests {
		if _, ok := c.Specs[p]; !ok {
			return fmt.Errorf("archive: manifest names specs/%s, which the archive lacks", p)
		}
	}
	if len(m.Specs) == 0 {
		return errors.New("archive: the manifest names no spec")
	}
	for _, p := range m.Specs {
		if _, ok := inside(p); !ok {
			return fmt.Errorf("archive: manifest spec %s lies outside the archive", p)
		}
		if _, ok := c.Specs[p]; !ok {
			return fmt.Errorf("archive: manifest spec %s is not in the archive", p)
		}
	}
	used := map[cache.Digest]bool{}
	for k, e := range c.Entries {
		for _, o := range e.Outputs {
			if b, ok := c.Blobs[o.Digest]; !ok || int64(len(b)) != o.Size {
				return fmt.Errorf("archive: entry %s (step %s): output %s is missing or has the wrong size", k.Short(), e.Step, o.Name)
			}
			used[o.Digest] = true
		}
	}
	for d := range c.Blobs {
		if !used[d] {
			return fmt.Errorf("archive: blob %s belongs to no entry", d.Short())
		}
	}
	named := map[cache.Digest]bool{}
	for _, s := range m.Steps {
		e, ok := c.Entries[s.Key]
		if !ok {
			return fmt.Errorf("archive: manifest step %s: no entry for its key %s", s.ID, s.Key.Short())
		}
		if e.Preimage != s.Preimage || !sameOutputs(e.Outputs, s.Outputs) {
			return fmt.Errorf("archive: manifest step %s does not match its entry %s", s.ID, s.Key.Short())
		}
		named[s.Key] = true
	}
	for k, e := range c.Entries {
		if !named[k] {
			return fmt.Errorf("archive: entry %s (step %s) is not in the manifest", k.Short(), e.Step)
		}
	}
	return nil
}

// inside cleans an archive path, reporting whether it stays inside the
// archive: relative, with no "..".
func inside(name string) (string, bool) {
	clean := path.Clean(name)
	if name == "" || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(name, "\\") {
		return "", false
	}
	return clean, true
}

// readAll reads the next n bytes of r, stopping when ctx is done.
func readAll(ctx context.Context, r io.Reader, n int64) ([]byte, error) {
	data := make([]byte, 0, min(n, 1<<20))
	buf := make([]byte, 1<<20)
	for int64(len(data)) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := r.Read(buf[:min(int64(len(buf)), n-int64(len(data)))])
		data = append(data, buf[:k]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(data)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return data, nil
}

func sameOutputs(a, b []cache.Output) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
