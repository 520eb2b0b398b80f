package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/reports"
)

const diffSpec = `paper: {id: t, title: Diff}
narrative: ../reports/t.md
steps:
  board: {op: pattern.checkerboard, params: {size: 16, block: 2}}
  g: {op: correlator.panel_g, inputs: {panels: board}}
  trend: {op: series.trend, inputs: {series: g}}
  noise: {op: pattern.white_noise, params: {size: 16}}
  gn: {op: correlator.panel_g, inputs: {panels: noise}}
  ntrend: {op: series.trend, inputs: {series: gn}}
figures:
  f: {number: 1, panels: [{kind: heatmap, input: board}, {kind: line, input: g, x: r, y: g}]}
  n: {number: 2, panels: [{kind: heatmap, input: noise}]}
values:
  npeaks: {from: ntrend, key: peaks}
claims:
  peaks: {quote: "G is peaked at several distances.", statement: G has several peaks, value: "trend:peaks", expect: {greater: 4.5}}
checks:
  few: {statement: noise G has few peaks, value: npeaks, expect: {less: 100}}
profiles: {quick: {}, paper: {}}
`

// specRepo writes a spec repository under a temporary directory: the spec
// as configs/t.yaml, the narrative as reports/t.md, and a go.mod marker.
func specRepo(t *testing.T, spec, narrative string) (root, specFile string) {
	root = t.TempDir()
	os.MkdirAll(filepath.Join(root, "configs"), 0o777)
	os.MkdirAll(filepath.Join(root, "reports"), 0o777)
	specFile = filepath.Join(root, "configs", "t.yaml")
	os.WriteFile(specFile, []byte(spec), 0o644)
	os.WriteFile(filepath.Join(root, "reports", "t.md"), []byte(narrative), 0o644)
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644)
	return root, specFile
}

func diffRepo(t *testing.T) (root, specFile string) {
	return specRepo(t, diffSpec, "{{figure f}}\n\n{{figure n}}\n\nPeaks {{value trend:peaks}}, noise {{value npeaks}}.\n\n{{claims}}\n")
}

// checkDiff checks that cmp reports exactly the changed parameter's value,
// verdict, figure and steps.
func checkDiff(t *testing.T, cmp *reports.Comparison) {
	t.Helper()
	if len(cmp.Papers) != 1 {
		t.Fatalf("papers: %+v", cmp.Papers)
	}
	p := cmp.Papers[0]
	if len(p.Verdicts) != 1 || p.Verdicts[0].Name != "peaks" || p.Verdicts[0].Old != "reproduced" || p.Verdicts[0].New != "not reproduced" || !p.Verdicts[0].Worse {
		t.Errorf("verdicts: %+v", p.Verdicts)
	}
	if len(p.Values) != 1 || p.Values[0].Name != "trend:peaks" || p.Values[0].Old != "6" || p.Values[0].New != "3" || p.Values[0].Relative == nil || *p.Values[0].Relative != -0.5 {
		t.Errorf("values: %+v", p.Values)
	}
	if len(p.Figures) != 2 || p.Figures[0].Name != "f" || p.Figures[0].Changed == 0 ||
		p.Figures[1].Name != "n" || p.Figures[1].Changed != 0 || p.Figures[1].NewCaption != "White noise." || p.Figures[1].OldCaption != "" {
		t.Errorf("figures: %+v", p.Figures)
	}
	var steps []string
	for _, s := range p.Steps {
		steps = append(steps, s.ID+": "+strings.Join(s.Reasons, "; "))
	}
	want := []string{
		"t/board: param block: 2 -> 8",
		"t/g: input panels[0]: t/board.panels changed",
		"t/trend: input series[0]: t/g.g changed",
		"t/f: input panels[0]: t/board.panels changed; input panels[1]: t/g.g changed",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}

// changedDiffSpec is diffSpec with one parameter changed and a caption
// added to a figure whose image stays the same.
func changedDiffSpec() string {
	s := strings.Replace(diffSpec, "block: 2", "block: 8", 1)
	return strings.Replace(s, "n: {number: 2,", "n: {number: 2, caption: White noise.,", 1)
}

func readComparison(t *testing.T, file string) *reports.Comparison {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cmp reports.Comparison
	if err := json.Unmarshal(data, &cmp); err != nil {
		t.Fatal(err)
	}
	return &cmp
}

// Two quick builds with one parameter changed: diff reports that value, its
// verdict (worse: exit 1) and its figure, the steps whose keys changed with
// the parameter named, and nothing else; an archive of the old build
// compares equal to its output directory.
func TestDiff(t *testing.T) {
	root, specFile := diffRepo(t)
	cacheDir := filepath.Join(root, "cache")
	out1, out2 := filepath.Join(root, "out1"), filepath.Join(root, "out2")
	if code, _, stderr := run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out1, specFile); code != 0 {
		t.Fatal(stderr)
	}
	old := filepath.Join(root, "old.tar.zst")
	if code, _, stderr := run(t, "pack", "--profile", "quick", "--cache", cacheDir, "--to", old, specFile); code != 0 {
		t.Fatal(stderr)
	}
	os.WriteFile(specFile, []byte(changedDiffSpec()), 0o644)
	jsonFile := filepath.Join(root, "build.json")
	if code, _, stderr := run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out2, "--json", jsonFile, specFile); code != 0 {
		t.Fatal(stderr)
	}

	diffJSON, htmlDir := filepath.Join(root, "diff.json"), filepath.Join(root, "html")
	code, stdout, stderr := run(t, "diff", "--json", diffJSON, "--html", htmlDir, out1, out2)
	if code != ExitFailed {
		t.Errorf("a verdict got worse: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "claim   peaks: reproduced → not reproduced (measured 6 → 3)  [worse]") {
		t.Errorf("text output:\n%s", stdout)
	}
	checkDiff(t, readComparison(t, diffJSON))
	for _, f := range []string{"index.html", "t/f.old.png", "t/f.new.png", "t/f.diff.png"} {
		if _, err := os.Stat(filepath.Join(htmlDir, f)); err != nil {
			t.Errorf("--html: %v", err)
		}
	}

	// Back again is better: exit 0, unless any change fails.
	if code, stdout, _ := run(t, "diff", out2, out1); code != ExitOK || !strings.Contains(stdout, "[better]") {
		t.Errorf("diff new old: exit %d\n%s", code, stdout)
	}
	if code, _, _ := run(t, "diff", "--fail-on", "changed", out2, out1); code != ExitFailed {
		t.Errorf("--fail-on changed: exit %d, want 1", code)
	}
	// The archive holds the first build's report.
	if code, stdout, stderr := run(t, "diff", "--fail-on", "changed", old, out1); code != ExitOK || !strings.Contains(stdout, "t: no change") {
		t.Errorf("archive against its build: exit %d\n%s%s", code, stdout, stderr)
	}

	// build --json FILE: every step's key and every claim's verdict.
	var doc struct {
		Steps  []struct{ Step, Status, Key string }
		Papers []struct {
			ID            string
			Verdicts      []struct{ Name, Verdict string }
			CheckVerdicts []struct{ Name, Verdict string } `json:"check_verdicts"`
		}
	}
	data, _ := os.ReadFile(jsonFile)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Steps) != 8 || doc.Steps[0].Key == "" || len(doc.Papers) != 1 || len(doc.Papers[0].Verdicts) != 1 || doc.Papers[0].Verdicts[0].Verdict != "not reproduced" ||
		len(doc.Papers[0].CheckVerdicts) != 1 || doc.Papers[0].CheckVerdicts[0].Name != "few" {
		t.Errorf("build --json:\n%s", data)
	}

	if code, _, stderr := run(t, "diff", out1, filepath.Join(root, "nothing")); code != ExitUsage || !strings.Contains(stderr, "is not an output directory, an archive or a git revision") {
		t.Errorf("a missing side: exit %d, %s", code, stderr)
	}
}

// diff between git revisions builds each revision's specs into the cache.
func TestDiffRevisions(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root, specFile := diffRepo(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "configs", "reports")
	git("commit", "-q", "-m", "one")
	os.WriteFile(specFile, []byte(changedDiffSpec()), 0o644)
	git("commit", "-q", "-a", "-m", "two")
	diffJSON := filepath.Join(root, "diff.json")
	code, stdout, stderr := run(t, "diff", "--repo", root, "--profile", "quick", "--cache", filepath.Join(root, "cache"), "--json", diffJSON, "HEAD~1", "HEAD")
	if code != ExitFailed {
		t.Errorf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	checkDiff(t, readComparison(t, diffJSON))
}
