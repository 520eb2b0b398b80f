package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
	"github.com/kadanoff/kadanoff/reports"
)

// buildQuick builds the repository's dmk2020 spec with the quick profile,
// and any further flags, into fresh cache and output directories and returns
// them and the build's output.
func buildQuick(t *testing.T, flags ...string) (cacheDir, outDir, stdout string) {
	t.Helper()
	root := repoRoot(t)
	cacheDir, outDir = t.TempDir(), t.TempDir()
	var out, stderr bytes.Buffer
	args := append([]string{"build", "--profile", "quick", "--cache", cacheDir, "--out", outDir}, flags...)
	code := Main(context.Background(), append(args, filepath.Join(root, "configs", "dmk2020.yaml")), Env{Stdout: &out, Stderr: &stderr, Getenv: os.Getenv})
	if code != 0 {
		t.Fatalf("build %v: exit %d\n%s%s", flags, code, out.String(), stderr.String())
	}
	return cacheDir, outDir, out.String()
}

// shared holds the quick builds of configs/ that end-to-end tests share:
// each spec built once per test process (with --jobs 4) and only read, the
// baseline the other builds are compared with.
var shared struct {
	mu     sync.Mutex
	dir    string
	builds map[string]*sharedBuild
}

type sharedBuild struct {
	once       sync.Once
	cache, out string
	err        error
}

// sharedQuick returns the cache and output directories of the shared quick
// build of dmk2020.
func sharedQuick(t *testing.T) (cacheDir, outDir string) {
	t.Helper()
	return sharedQuickSpec(t, filepath.Join(repoRoot(t), "configs", "dmk2020.yaml"))
}

// sharedQuickSpec returns the shared quick build of the spec file.
func sharedQuickSpec(t *testing.T, file string) (cacheDir, outDir string) {
	t.Helper()
	id := strings.TrimSuffix(filepath.Base(file), ".yaml")
	shared.mu.Lock()
	if shared.builds == nil {
		shared.builds = map[string]*sharedBuild{}
	}
	if shared.dir == "" {
		var err error
		if shared.dir, err = os.MkdirTemp("", "kadanoff-e2e-"); err != nil {
			shared.mu.Unlock()
			t.Fatal(err)
		}
	}
	b := shared.builds[id]
	if b == nil {
		b = &sharedBuild{cache: filepath.Join(shared.dir, id, "cache"), out: filepath.Join(shared.dir, id, "out")}
		shared.builds[id] = b
	}
	shared.mu.Unlock()
	b.once.Do(func() {
		var out, stderr bytes.Buffer
		code := Main(context.Background(), []string{"build", "--profile", "quick", "--jobs", "4", "--cache", b.cache, "--out", b.out,
			file}, Env{Stdout: &out, Stderr: &stderr, Getenv: os.Getenv})
		if code != 0 || !strings.Contains(out.String(), " 0 failed") {
			b.err = fmt.Errorf("shared quick build of %s: exit %d\n%s%s", id, code, out.String(), stderr.String())
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.cache, b.out
}

// stepOutputs maps "step key" to the outputs cached for every step of the
// quick dmk2020 plan.
func stepOutputs(t *testing.T, dir string) map[string][]cache.Output {
	t.Helper()
	_, _, res := resolveQuick(t, dir, filepath.Join(repoRoot(t), "configs", "dmk2020.yaml"))
	out := map[string][]cache.Output{}
	for n, r := range res {
		if r.Entry == nil {
			t.Fatalf("%s not cached", n.ID)
		}
		out[n.ID+" "+string(r.Key)] = r.Entry.Outputs
	}
	return out
}

// resolveQuick plans the spec file under the quick profile and resolves its
// steps in the cache directory dir.
func resolveQuick(t *testing.T, dir, file string) (*cache.Cache, *pipeline.Plan, map[*pipeline.Node]*pipeline.Resolution) {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.NewPlan([]*spec.Spec{s}, DefaultRegistry(), "quick")
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Resolve(c, plan.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	return c, plan, res
}

// sameBuilds checks that two builds cached the same keys with the same output
// bytes and wrote identical reports.
func sameBuilds(t *testing.T, what string, c1, o1, c2, o2 string) {
	t.Helper()
	a, b := stepOutputs(t, c1), stepOutputs(t, c2)
	if len(a) != len(b) {
		t.Fatalf("%s: %d steps vs %d", what, len(a), len(b))
	}
	for k, oa := range a {
		ob, ok := b[k]
		if !ok {
			t.Errorf("%s: step/key %s missing", what, k)
			continue
		}
		for i := range oa {
			if oa[i].Digest != ob[i].Digest {
				t.Errorf("%s: %s output %s: %s vs %s", what, k, oa[i].Name, oa[i].Digest.Short(), ob[i].Digest.Short())
			}
		}
	}
	files := func(dir string) map[string][]byte {
		m := map[string][]byte{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() != reports.StampFile {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				m[rel] = data
			}
			return err
		})
		return m
	}
	fa, fb := files(o1), files(o2)
	if len(fa) != len(fb) || len(fa) == 0 {
		t.Fatalf("%s: %d report files vs %d", what, len(fa), len(fb))
	}
	// Measured times (the ledger's) are the one thing two builds of the same
	// keys in different caches need not share.
	times := regexp.MustCompile(regexp.QuoteMeta(reports.TimeMark) + `[^<|]*`)
	for name, data := range fa {
		if !bytes.Equal(times.ReplaceAll(data, nil), times.ReplaceAll(fb[name], nil)) {
			t.Errorf("%s: report file %s differs", what, name)
		}
	}
}

// TestJobsByteIdentical builds with 1 and 4 workers: every step has the same key
// and the same output bytes, and the reports are identical.
func TestJobsByteIdentical(t *testing.T) {
	c1, o1, _ := buildQuick(t, "--jobs", "1")
	c4, o4 := sharedQuick(t)
	sameBuilds(t, "--jobs 1 vs 4", c1, o1, c4, o4)
}

// TestReportRendersInChromium opens the report in headless Chromium and checks
// that every figure loaded and every formula was typeset by the vendored KaTeX.
// Skipped when Chromium is absent, except in CI.
func TestReportRendersInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is required in CI (.ci/run installs it)")
		}
		t.Skip("chromium not installed")
	}
	_, out := sharedQuick(t)
	for _, page := range []string{"index.html", "dmk2020/index.html"} {
		cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
			"--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", "file://"+filepath.Join(out, page))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		dom, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
		body := regexp.MustCompile(`<body[^>]*>`).FindString(string(dom))
		if page == "index.html" {
			if !strings.Contains(string(dom), `href="dmk2020/index.html"`) {
				t.Errorf("index does not link the dmk2020 report")
			}
			continue
		}
		s, err := spec.Load(filepath.Join(repoRoot(t), "configs", "dmk2020.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile(`data-figures="(\d+)/(\d+)"`).FindStringSubmatch(body); m == nil || m[1] != m[2] || m[1] != strconv.Itoa(len(s.Figures)) {
			t.Errorf("figures did not all load (the spec declares %d): body is %s", len(s.Figures), body)
		}
		if !strings.Contains(string(dom), `class="banner"`) {
			t.Errorf("the quick report has no banner saying it is not at the paper's scale")
		}
		m := regexp.MustCompile(`data-math="(\d+)/(\d+)"`).FindStringSubmatch(body)
		if m == nil || m[1] != m[2] || m[1] == "0" {
			t.Errorf("math did not all render: body is %s", body)
		}
		if !strings.Contains(string(dom), `class="katex"`) || regexp.MustCompile(`class="[^"]*math-error`).MatchString(string(dom)) {
			t.Errorf("KaTeX output missing or in error")
		}
		if !strings.Contains(string(dom), "verdict-pass") {
			t.Errorf("no claim verdicts in the page")
		}
	}
}

// TestTerminalDisplay builds with the live display on: it draws running steps
// with ANSI redraws, erases them, and still ends with the summary line.
func TestTerminalDisplay(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"build", "--profile", "quick", "--cache", t.TempDir(), "--out", t.TempDir(),
		filepath.Join(repoRoot(t), "configs", "nrg2018.yaml")}, Env{Stdout: &stdout, Stderr: &stderr, Terminal: true}) // the smallest paper
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "running nrg2018/") || !strings.Contains(out, "\x1b[1A\x1b[2K") || !regexp.MustCompile(`\d+ of \d+ steps ended \(\d+ ran\), \d+s elapsed`).MatchString(out) {
		t.Errorf("no live display in the output:\n%q", out)
	}
	if !regexp.MustCompile(`steps: \d+ total, \d+ ran, \d+ cached, 0 failed\n$`).MatchString(out) { // steps of equal keys run once
		t.Errorf("output does not end with the summary:\n%q", out[max(0, len(out)-200):])
	}
}

// TestEverySpecBuildsQuick builds each spec of configs/ with the quick
// profile: every step runs, every narrative directive resolves, every report
// is written.
func TestEverySpecBuildsQuick(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join(repoRoot(t), "configs", "*.yaml"))
	if err != nil || len(specs) < 3 {
		t.Fatalf("specs %v, %v", specs, err)
	}
	for _, s := range specs {
		id := strings.TrimSuffix(filepath.Base(s), ".yaml")
		t.Run(id, func(t *testing.T) {
			_, out := sharedQuickSpec(t, s)
			for _, f := range []string{"index.html", "README.md", "summary.json"} {
				if _, err := os.Stat(filepath.Join(out, id, f)); err != nil {
					t.Errorf("report file: %v", err)
				}
			}
		})
	}
}
