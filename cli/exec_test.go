package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const execSpec = `paper: {id: t, title: Exec}
narrative: ../reports/t.md
steps:
  board: {op: pattern.checkerboard, params: {size: 8, block: 2}}
  g: {op: correlator.panel_g, inputs: {panels: board}}
  mine:   # a user's own analysis: G(r) scaled by a factor, in Python
    op: exec
    inputs: {g: g}
    params: {command: [python3, scripts/scale.py], code: [scripts/scale.py], outputs: {scaled: csv, summary: json}, args: {factor: 0.5}}
  trend: {op: series.trend, inputs: {series: mine.scaled}}
figures:
  f: {number: 1, panels: [{kind: line, input: mine.scaled, x: r, y: g}]}
claims:
  rows: {quote: "G has rows.", statement: the script wrote every row, value: "mine.summary:rows", expect: {greater: 3}}
profiles: {quick: {}, paper: {}}
`

const scaleScript = `import csv, json, os
factor = json.load(open("params.json"))["factor"]
rows = list(csv.DictReader(open("inputs/g.csv")))
with open("outputs/scaled.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["r", "g"])
    for row in rows:
        w.writerow([row["r"], float(row["g"]) * factor])
json.dump({"rows": len(rows), "factor": float(os.environ["KADANOFF_ARG_FACTOR"])}, open("outputs/summary.json", "w"))
`

// A Python step end to end: its output feeds a built-in op, a figure and a
// claim; editing the script reruns it and exactly what depends on it, and
// explain names the file; pack carries the script, and verify --from runs
// it again to the same bytes.
func TestExecPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the exec end-to-end test needs it (.ci/run installs it)")
	}
	root, specFile := specRepo(t, execSpec, "{{figure f}}\n\nRows: {{value mine.summary:rows}}.\n\n{{claims}}\n")
	script := filepath.Join(root, "configs", "scripts", "scale.py")
	os.MkdirAll(filepath.Dir(script), 0o777)
	os.WriteFile(script, []byte(scaleScript), 0o644)
	cacheDir, out := filepath.Join(root, "cache"), filepath.Join(root, "out")
	code, stdout, stderr := run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out, specFile)
	if code != 0 || !strings.Contains(stdout, "steps: 5 total, 5 ran, 0 cached, 0 failed") || !strings.Contains(stdout, "claims: 1 reproduced") {
		t.Fatalf("build: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "t", "figures", "f.png")); err != nil {
		t.Errorf("the figure of the script's output: %v", err)
	}
	// A change of the script's result reruns it and its dependents only.
	os.WriteFile(script, []byte(strings.Replace(scaleScript, "* factor", "* factor * 2", 1)), 0o644)
	code, stdout, stderr = run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out, specFile)
	if code != 0 || !strings.Contains(stdout, "steps: 5 total, 3 ran, 2 cached, 0 failed") {
		t.Errorf("after editing the script: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, ran := range []string{"t/mine", "t/trend", "t/f"} {
		if !regexp.MustCompile(`(?m)^done\s+` + regexp.QuoteMeta(ran) + ` `).MatchString(stdout) {
			t.Errorf("%s did not rerun:\n%s", ran, stdout)
		}
	}
	// explain names the changed file.
	os.WriteFile(script, []byte(scaleScript+"# a comment\n"), 0o644)
	if code, stdout, _ := run(t, "explain", "--profile", "quick", "--cache", cacheDir, "mine", specFile); code != 0 || !strings.Contains(stdout, "param code:scripts/scale.py") {
		t.Errorf("explain after an edit: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := run(t, "build", "--profile", "quick", "--cache", cacheDir, "--out", out, specFile); code != 0 {
		t.Fatal(stderr)
	}
	// pack carries the script; verify --from runs it again.
	file := filepath.Join(root, "t.tar.zst")
	if code, stdout, stderr := run(t, "pack", "--profile", "quick", "--cache", cacheDir, "--to", file, specFile); code != 0 {
		t.Fatalf("pack: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := run(t, "verify", "--from", file, "--steps", "mine"); code != 0 || !strings.Contains(stdout, "verified 1 steps") || !strings.Contains(stdout, "0 differ or failed") {
		t.Errorf("verify --from: exit %d\n%s%s", code, stdout, stderr)
	}
}

// The worked example (examples/exec): a numpy script beside the built-in
// op, whose check that the two agree passes.
func TestExecExample(t *testing.T) {
	if err := exec.Command("python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("python3 with numpy is not installed: the worked example needs it (.ci/run installs python3-numpy)")
	}
	out := t.TempDir()
	code, stdout, stderr := run(t, "build", "--cache", t.TempDir(), "--out", out, filepath.Join(repoRoot(t), "examples", "exec", "checker.yaml"))
	if code != 0 || !strings.Contains(stdout, "checks: 1 of 1 pass") {
		t.Errorf("the worked example: exit %d\n%s%s", code, stdout, stderr)
	}
}
