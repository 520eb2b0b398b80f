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
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline/archive"
	"github.com/kadanoff/kadanoff/reports"
)

// diff compares two builds' reports: claims whose verdict changed, values,
// figures' pixels and steps' keys.
func diff(ctx context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("diff", env)
	c.register(fs)
	asJSON := fs.String("json", "", "also write the comparison as JSON to FILE (- for standard output, instead of the text)")
	htmlDir := fs.String("html", "", "also write DIR/index.html showing each changed figure old, new and their difference")
	failOn := fs.String("fail-on", "worse", "exit 1 when a verdict got worse (worse) or when anything changed (changed)")
	repo := fs.String("repo", ".", "git repository in which OLD and NEW name revisions")
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, "usage: kadanoff diff [flags] OLD NEW  (each an output directory, a pack archive or a git revision)")
		return ExitUsage
	}
	if *failOn != "worse" && *failOn != "changed" {
		fmt.Fprintf(env.Stderr, "kadanoff diff: --fail-on must be worse or changed, got %q\n", *failOn)
		return ExitUsage
	}
	var sides [2]*reports.Side
	for i, arg := range pos {
		side, cleanup, code := loadSide(ctx, arg, *repo, &c, env)
		if cleanup != nil {
			defer cleanup()
		}
		if side == nil {
			return code
		}
		sides[i] = side
	}
	cmp, err := reports.Compare(sides[0], sides[1])
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff diff:", err)
		return ExitFailed
	}
	if *asJSON != "-" {
		cmp.WriteText(env.Stdout)
	}
	if *asJSON != "" {
		data, _ := json.MarshalIndent(cmp, "", "  ")
		data = append(data, '\n')
		if *asJSON == "-" {
			env.Stdout.Write(data)
		} else if err := os.WriteFile(*asJSON, data, 0o666); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff diff:", err)
			return ExitFailed
		}
	}
	if *htmlDir != "" {
		if err := cmp.WriteHTML(*htmlDir); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff diff: --html:", err)
			return ExitFailed
		}
		if *asJSON != "-" {
			fmt.Fprintf(env.Stdout, "wrote %s\n", filepath.Join(*htmlDir, "index.html"))
		}
	}
	if cmp.Worse() || (*failOn == "changed" && cmp.Changed()) {
		return ExitFailed
	}
	return ExitOK
}

// loadSide reads one side of a diff: an output directory (or one paper's
// report directory), a pack archive, or a git revision, whose specs are
// built with this binary into the cache (what is cached is reused) and a
// temporary output directory. A nil side comes with the exit status.
func loadSide(ctx context.Context, arg, repo string, c *common, env Env) (side *reports.Side, cleanup func(), code int) {
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		side, err = dirSide(arg, arg)
		if err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff diff:", err)
			return nil, nil, ExitUsage
		}
		return side, nil, ExitOK
	case err == nil:
		side, err = archiveSide(arg)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kadanoff diff: %s: %v\n", arg, err)
			return nil, nil, ExitFailed
		}
		return side, nil, ExitOK
	}
	rev, gitErr := gitOutput(ctx, repo, "rev-parse", "--verify", "--quiet", arg+"^{commit}")
	if gitErr != nil {
		fmt.Fprintf(env.Stderr, "kadanoff diff: %s is not an output directory, an archive or a git revision of %s\n", arg, repo)
		return nil, nil, ExitUsage
	}
	rev = strings.TrimSpace(rev)
	dir, err := os.MkdirTemp("", "kadanoff-diff-")
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return nil, nil, ExitFailed
	}
	cleanup = func() { os.RemoveAll(dir) }
	specs, err := checkoutSpecs(ctx, repo, rev, filepath.Join(dir, "src"))
	if err != nil {
		fmt.Fprintf(env.Stderr, "kadanoff diff: %s: %v\n", arg, err)
		return nil, cleanup, ExitFailed
	}
	out := filepath.Join(dir, "out")
	buildArgs := []string{"--profile", c.profile, "--out", out}
	if c.cacheDir != "" {
		buildArgs = append(buildArgs, "--cache", c.cacheDir)
	}
	quiet := env
	var log bytes.Buffer
	quiet.Stdout, quiet.Terminal = &log, false
	fmt.Fprintf(env.Stdout, "building %s (%s) with profile %s\n", arg, rev[:min(len(rev), 12)], c.profile)
	if code := build(ctx, append(buildArgs, specs...), quiet); code != ExitOK && code != ExitFailed {
		env.Stdout.Write(log.Bytes())
		fmt.Fprintf(env.Stderr, "kadanoff diff: the build of %s did not complete\n", arg)
		return nil, cleanup, code
	}
	side, err = dirSide(out, arg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff diff:", err)
		return nil, cleanup, ExitFailed
	}
	return side, cleanup, ExitOK
}

// dirSide reads the reports under an output directory, or the one report of
// a paper's directory.
func dirSide(dir, label string) (*reports.Side, error) {
	sums, err := reports.ReadSummaries(dir)
	if err != nil {
		return nil, err
	}
	root := dir
	if len(sums) == 0 {
		data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			return nil, fmt.Errorf("%s holds no Kadanoff report (no summary.json in it or its subdirectories)", dir)
		}
		s, err := reports.ParseSummary(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		sums[s.ID], root = s, filepath.Dir(filepath.Clean(dir))
		if filepath.Base(filepath.Clean(dir)) != s.ID {
			return nil, fmt.Errorf("%s holds the report of %s under another name", dir, s.ID)
		}
	}
	return &reports.Side{Label: label, Summaries: sums, File: func(paper, name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(root, paper, filepath.FromSlash(name)))
	}}, nil
}

// archiveSide reads the report stored in a pack archive.
func archiveSide(file string) (*reports.Side, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := archive.Read(context.Background(), f)
	if err != nil {
		return nil, err
	}
	sums := map[string]*reports.Summary{}
	for name, data := range c.Report {
		dir, base := path.Split(name)
		if base != "summary.json" || strings.Count(dir, "/") != 1 {
			continue
		}
		s, err := reports.ParseSummary(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sums[s.ID] = s
	}
	if len(sums) == 0 {
		return nil, errors.New("the archive holds no report")
	}
	return &reports.Side{Label: file, Summaries: sums, File: func(paper, name string) ([]byte, error) {
		data, ok := c.Report[paper+"/"+name]
		if !ok {
			return nil, fmt.Errorf("the archive has no %s/%s", paper, name)
		}
		return data, nil
	}}, nil
}

// checkoutSpecs writes the specs and narratives (configs/ and reports/) of a
// git revision under dir and returns the spec files.
func checkoutSpecs(ctx context.Context, repo, rev, dir string) ([]string, error) {
	tarball, err := gitOutput(ctx, repo, "archive", "--format=tar", rev, "--", "configs", "reports")
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(strings.NewReader(tarball))
	var specs []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("git archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if strings.HasPrefix(name, "../") || path.IsAbs(name) {
			return nil, fmt.Errorf("git archive: bad path %q", h.Name)
		}
		// Only the specs and the narratives; the rest of reports/ is code.
		isSpec := path.Dir(name) == "configs" && path.Ext(name) == ".yaml"
		if !isSpec && !(path.Dir(name) == "reports" && path.Ext(name) == ".md") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		dest := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dest), 0o777); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dest, data, 0o644); err != nil {
			return nil, err
		}
		if isSpec {
			specs = append(specs, dest)
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("revision %s has no configs/*.yaml", rev[:min(len(rev), 12)])
	}
	// A marker, so the specs' repository is dir (narratives live beside).
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module specs\n"), 0o644); err != nil {
		return nil, err
	}
	sort.Strings(specs)
	return specs, nil
}

// gitOutput runs git in repo and returns its standard output.
func gitOutput(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git %s: %s", args[0], msg)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.String(), nil
}
