package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/archive"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
	"github.com/kadanoff/kadanoff/reports"
)

// pack builds the specs (what is cached is reused) and writes one archive a
// reviewer can rebuild the report from with nothing recomputed.
func pack(ctx context.Context, args []string, env Env) int {
	var c common
	flags := newFlags("pack", env)
	c.register(flags)
	to := flags.String("to", "", "archive to write (default kadanoff-PAPERS-PROFILE-DATE.tar.zst, named as its root folder)")
	var err error
	if c.specs, err = parse(flags, args); err != nil {
		return exitForFlags(err)
	}
	plan, cc, code := c.plan(env)
	if code != ExitOK {
		return code
	}
	// Build first (nothing runs when everything is cached), rendering the
	// report aside.
	out, err := os.MkdirTemp("", "kadanoff-pack-")
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
		return ExitFailed
	}
	defer os.RemoveAll(out)
	var files []string
	for _, s := range plan.Specs {
		files = append(files, s.File)
	}
	quiet := env
	var log bytes.Buffer
	quiet.Stdout, quiet.Terminal = &log, false
	if code := build(ctx, append([]string{"--profile", plan.Profile, "--seed", strconv.FormatInt(plan.Seed, 10), "--cache", cc.Dir(), "--out", out}, files...), quiet); code != ExitOK {
		env.Stdout.Write(log.Bytes())
		fmt.Fprintln(env.Stderr, "kadanoff pack: the build did not complete; nothing written")
		return code
	}
	res, err := pipeline.Resolve(cc, plan.Nodes)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	contents := &archive.Contents{
		Manifest: &archive.Manifest{Format: archive.Format, Profile: plan.Profile, Seed: plan.Seed, Tool: ToolVersion(), Go: runtime.Version(), Machine: machineDescription()},
		Specs:    map[string][]byte{}, Entries: map[cache.Digest]*cache.Entry{}, Blobs: map[cache.Digest][]byte{}, Report: map[string][]byte{},
	}
	for _, n := range plan.Nodes {
		r := res[n]
		if r.Entry == nil {
			fmt.Fprintf(env.Stderr, "kadanoff pack: %s is not cached after the build\n", n.ID)
			return ExitFailed
		}
		contents.Manifest.Steps = append(contents.Manifest.Steps, archive.Step{ID: n.ID, Op: n.Op.Name(), Version: n.Op.Version(), Key: r.Key, Preimage: r.Preimage, Outputs: r.Entry.Outputs})
		contents.Entries[r.Key] = r.Entry
		for _, o := range r.Entry.Outputs {
			data, err := cc.GetBlob(o.Digest)
			if err != nil {
				fmt.Fprintf(env.Stderr, "kadanoff pack: %s: %v\n", n.ID, err)
				return ExitFailed
			}
			contents.Blobs[o.Digest] = data
		}
	}
	root := specRoot(plan.Specs)
	for _, s := range plan.Specs {
		for _, f := range []string{s.File, s.Narrative} {
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
				return ExitFailed
			}
			rel := relTo(root, f)
			contents.Specs[rel] = data
			if f == s.File {
				contents.Manifest.Specs = append(contents.Manifest.Specs, rel)
			}
		}
	}
	// The code of the steps that run a command travels with the specs, so
	// that build --from and verify --from find it.
	for _, n := range plan.Nodes {
		cr, ok := n.Op.(pipeline.CodeReader)
		if !ok {
			continue
		}
		for _, f := range cr.Code(n.Params) {
			full := filepath.Join(filepath.Dir(n.Spec.File), f)
			rel := relTo(root, full)
			if _, done := contents.Specs[rel]; done {
				continue
			}
			data, err := os.ReadFile(full)
			if err != nil {
				fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
				return ExitFailed
			}
			contents.Specs[rel] = data
		}
	}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == reports.StampFile {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		contents.Report[relTo(out, p)] = data
		return nil
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
		return ExitFailed
	}
	date, err := packDate(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
		return ExitUsage
	}
	contents.Root = packRoot(plan, date)
	var sums []*reports.Summary
	for _, s := range plan.Specs {
		sum, err := reports.ReadSummary(out, s.Paper.ID)
		if err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
			return ExitFailed
		}
		sums = append(sums, sum)
	}
	contents.Docs = packDocs(plan, contents, sums, date)
	dest := *to
	if dest == "" {
		dest = contents.Root + ".tar.zst"
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, contents); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
		return ExitFailed
	}
	if err := os.WriteFile(dest, buf.Bytes(), 0o666); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff pack:", err)
		return ExitFailed
	}
	var raw int64
	for _, b := range contents.Blobs {
		raw += int64(len(b))
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%s; %d steps, %d blobs of %s, %d report files), profile %s\n", dest, humanBytes(int64(buf.Len())),
		len(contents.Manifest.Steps), len(contents.Blobs), humanBytes(raw), len(contents.Report), plan.Profile)
	return ExitOK
}

// specRoot is the deepest directory holding every spec and narrative.
func specRoot(specs []*spec.Spec) string {
	var root string
	for _, s := range specs {
		for _, f := range []string{s.File, s.Narrative} {
			abs, err := filepath.Abs(f)
			if err != nil {
				continue
			}
			dir := filepath.Dir(abs)
			if root == "" {
				root = dir
				continue
			}
			for !strings.HasPrefix(dir+string(filepath.Separator), root+string(filepath.Separator)) {
				root = filepath.Dir(root)
			}
		}
	}
	return root
}

// relTo is f's slash-separated path relative to root.
func relTo(root, f string) string {
	abs, _ := filepath.Abs(f)
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return filepath.Base(f)
	}
	return filepath.ToSlash(rel)
}

// unpacked is an archive written out as a cache and a specs tree.
type unpacked struct {
	dir      string
	cacheDir string
	specs    []string
	manifest *archive.Manifest
}

// unpack reads an archive, checking that it is whole and self-consistent
// (archive.Read), and writes it out as a cache under a temporary directory,
// which the caller removes.
func unpack(ctx context.Context, file string) (*unpacked, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := archive.Read(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	dir, err := os.MkdirTemp("", "kadanoff-from-")
	if err != nil {
		return nil, err
	}
	u := &unpacked{dir: dir, cacheDir: filepath.Join(dir, "cache"), manifest: c.Manifest}
	fail := func(err error) (*unpacked, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	for p, data := range c.Specs {
		dest := filepath.Join(dir, "specs", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dest), 0o777); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(dest, data, 0o644); err != nil {
			return fail(err)
		}
	}
	cc, err := cache.Open(u.cacheDir)
	if err != nil {
		return fail(err)
	}
	for _, data := range c.Blobs {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if _, err := cc.PutBlob(data); err != nil {
			return fail(err)
		}
	}
	for k, e := range c.Entries {
		if err := cc.PutAction(k, e); err != nil {
			return fail(err)
		}
	}
	for _, s := range c.Manifest.Specs {
		u.specs = append(u.specs, filepath.Join(dir, "specs", filepath.FromSlash(s)))
	}
	return u, nil
}

// checkArchived returns an error naming the first step of plan that the
// archive does not hold: its specs, planned here, give a key no entry of the
// archive has (a spec or an op changed since packing).
func checkArchived(plan *pipeline.Plan, cc *cache.Cache, m *archive.Manifest) error {
	res, err := pipeline.Resolve(cc, plan.Nodes)
	if err != nil {
		return err
	}
	for _, n := range plan.Nodes {
		if r := res[n]; r.Entry == nil {
			why := "its inputs are not in the archive"
			if r.Missing == nil {
				why = "no entry of the archive has its key " + r.Key.Short() + " (a spec or op changed since it was packed?)"
			}
			return fmt.Errorf("the archive does not hold step %s: %s", n.ID, why)
		}
	}
	if len(plan.Nodes) != len(m.Steps) {
		return fmt.Errorf("the archive's manifest lists %d steps, its specs plan %d", len(m.Steps), len(plan.Nodes))
	}
	return nil
}

// buildFrom serves the report of an archive: its entries become a cache from
// which the build runs nothing, every blob checked against its digest first.
// A step the archive does not hold is refused unless compute is set.
func buildFrom(ctx context.Context, file, out string, compute bool, env Env) int {
	u, err := unpack(ctx, file)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build --from:", err)
		if ctx.Err() != nil {
			return ExitInterrupted
		}
		return ExitFailed
	}
	defer os.RemoveAll(u.dir)
	m := u.manifest
	c := common{profile: m.Profile, seed: m.Seed, cacheDir: u.cacheDir, specs: u.specs}
	plan, cc, code := c.plan(env)
	if code != ExitOK {
		return code
	}
	if err := checkArchived(plan, cc, m); err != nil && !compute {
		fmt.Fprintf(env.Stderr, "kadanoff build --from: %s: %v; nothing built (--compute-missing computes what the archive lacks)\n", file, err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "archive %s: %d steps built by %s on %s, profile %s; every blob checked\n", file, len(m.Steps), m.Tool, m.Machine, m.Profile)
	return build(ctx, append([]string{"--profile", m.Profile, "--seed", strconv.FormatInt(m.Seed, 10), "--cache", u.cacheDir, "--out", out}, u.specs...), env)
}
