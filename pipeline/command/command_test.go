package command

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// repo writes a spec and scripts into a temporary folder and returns the
// spec's path.
func repo(t *testing.T, specText string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "t.yaml")
	os.WriteFile(p, []byte(specText), 0o644)
	return p
}

// build plans and builds the spec file with exec alone, in cache dir c.
func build(t *testing.T, file string, c *cache.Cache) (*pipeline.Plan, *pipeline.Summary) {
	t.Helper()
	data, _ := os.ReadFile(file)
	s, err := spec.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	reg := pipeline.NewRegistry(Op())
	plan, err := pipeline.NewPlan([]*spec.Spec{s}, reg, "quick")
	if err != nil {
		t.Fatal(err)
	}
	sum := (&pipeline.Builder{Cache: c, Executor: &pipeline.Local{Registry: reg, Store: c}, Jobs: 2}).Build(context.Background(), plan, plan.Nodes)
	return plan, sum
}

func result(t *testing.T, plan *pipeline.Plan, sum *pipeline.Summary, step string) *pipeline.Result {
	t.Helper()
	n, err := plan.Lookup(step)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Results[n]
}

const pair = `paper: {id: t, title: T}
steps:
  make:
    op: exec
    params:
      command: [sh, make.sh]
      code: [make.sh]
      outputs: {table: csv, stats: json}
      args: {n: 3, label: abc}
  use:
    op: exec
    inputs: {t: make.table, s: make.stats}
    params: {command: [sh, use.sh], code: [use.sh], outputs: {out: csv}}
profiles: {quick: {}, paper: {}}
`

// make.sh writes a table of n rows and scalars from its arguments and seed;
// use.sh reads both inputs as files.
var scripts = map[string]string{
	"make.sh": `cd "$PWD"
grep -q '"label": "abc"' params.json || exit 3
printf 'i,x\n' > outputs/table.csv
i=0; while [ $i -lt $KADANOFF_ARG_N ]; do printf '%d,%d\n' $i $((i*i)) >> outputs/table.csv; i=$((i+1)); done
printf '{"n": %s, "seed_len": %d}\n' $KADANOFF_ARG_N ${#KADANOFF_SEED} > outputs/stats.json
`,
	"use.sh": `test -f inputs/t.csv && test -f inputs/s.json || exit 4
{ cat inputs/t.csv; echo "99,$KADANOFF_THREADS"; } > outputs/out.csv
`,
}

// A command's declared outputs become the step's, its inputs arrive as
// files, its arguments as params.json and variables, its seed as 64 hex
// digits; scalars written as plain numbers are kept in Kadanoff's encoding.
func TestExecRuns(t *testing.T) {
	file := repo(t, pair, scripts)
	c, _ := cache.Open(t.TempDir())
	plan, sum := build(t, file, c)
	if sum.Failed > 0 {
		for _, r := range sum.Results {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Node.ID, r.Err)
			}
		}
	}
	r := result(t, plan, sum, "make")
	var stats []byte
	for _, o := range r.Entry.Outputs {
		if o.Name == "stats" {
			stats, _ = c.GetBlob(o.Digest)
		}
	}
	sc, err := artifact.DecodeJSON(stats)
	if err != nil || sc["n"].Value != 3 || sc["seed_len"].Value != 64 {
		t.Errorf("stats %s (%v)", stats, err)
	}
	out, _ := c.GetBlob(result(t, plan, sum, "use").Entry.Outputs[0].Digest)
	if tab, err := artifact.DecodeCSV(out); err != nil || len(tab.Columns) != 2 || len(tab.Columns[0].Values) != 4 {
		t.Errorf("use's output %q (%v)", out, err)
	}
	// A second build runs nothing; editing a script reruns it and what reads it.
	if _, again := build(t, file, c); again.Ran != 0 {
		t.Errorf("a second build ran %d steps", again.Ran)
	}
	os.WriteFile(filepath.Join(filepath.Dir(file), "use.sh"), []byte(scripts["use.sh"]+"# edited\n"), 0o755)
	if plan2, again := build(t, file, c); again.Ran != 1 || result(t, plan2, again, "use").Status != pipeline.Ran {
		t.Errorf("after editing use.sh %d steps ran, want use alone", again.Ran)
	}
	os.WriteFile(filepath.Join(filepath.Dir(file), "make.sh"), []byte(scripts["make.sh"]+"# edited\n"), 0o755)
	if _, again := build(t, file, c); again.Ran != 1 { // make reruns; its outputs are the same bytes, so use is a hit
		t.Errorf("after editing make.sh %d steps ran, want make alone (same outputs)", again.Ran)
	}
}

// A command that fails, hangs, writes no output, an undeclared one or a
// malformed one fails its step, saying why with its stderr's tail, and
// nothing is stored.
func TestExecFailures(t *testing.T) {
	cases := []struct {
		name, script, params, want string
	}{
		{"exit status", "echo 'boom: no data' >&2; exit 2", "", "exit status 2; its stderr ends:\nboom: no data"},
		{"no output", "true", "", "wrote no outputs/out.csv"},
		{"undeclared output", "printf 'a\\n1\\n' > outputs/out.csv; echo x > outputs/extra.txt", "", "outputs/extra.txt, which the step does not declare"},
		{"malformed", "printf 'a,b\\n1\\n' > outputs/out.csv", "", "outputs/out.csv is not valid csv"},
		{"timeout", "sleep 30 & sleep 30", ", timeout: 300ms", "ran past its timeout of 300ms and was killed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := "paper: {id: t, title: T}\nsteps:\n  s: {op: exec, params: {command: [sh, s.sh], code: [s.sh], outputs: {out: csv}" + tc.params + "}}\nprofiles: {quick: {}, paper: {}}\n"
			file := repo(t, text, map[string]string{"s.sh": tc.script + "\n"})
			c, _ := cache.Open(t.TempDir())
			start := time.Now()
			plan, sum := build(t, file, c)
			r := result(t, plan, sum, "s")
			if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", r.Err, tc.want)
			}
			if r.Entry != nil {
				t.Error("a failed step has a cache entry")
			}
			if time.Since(start) > 15*time.Second {
				t.Errorf("took %v: the process group was not killed", time.Since(start))
			}
		})
	}
}

// Bad declarations are plan errors naming the step.
func TestExecDeclarations(t *testing.T) {
	cases := []struct{ params, want string }{
		{"{command: [sh, s.sh], outputs: {out: png}}", `kind "png": want npy, csv or json`},
		{"{command: [], outputs: {out: csv}}", "command: give the program"},
		{"{command: [sh, s.sh], code: [missing.sh], outputs: {out: csv}}", "missing.sh"},
		{"{command: [sh, s.sh], code: [../s.sh], outputs: {out: csv}}", "inside the spec's folder"},
		{"{command: [no-such-program-kadanoff], outputs: {out: csv}}", "is not on PATH"},
		{"{command: [sh, s.sh], outputs: {out: csv}, timeout: soon}", "timeout: want a duration"},
	}
	for _, tc := range cases {
		text := "paper: {id: t, title: T}\nsteps:\n  s: {op: exec, params: " + tc.params + "}\nprofiles: {quick: {}, paper: {}}\n"
		file := repo(t, text, map[string]string{"s.sh": "true\n"})
		data, _ := os.ReadFile(file)
		s, err := spec.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.NewPlan([]*spec.Spec{s}, pipeline.NewRegistry(Op()), "quick")
		var errs spec.Errors
		if err == nil || !errors.As(err, &errs) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "steps.s") {
			t.Errorf("%s: err = %v, want one at steps.s saying %q", tc.params, err, tc.want)
		}
	}
}

// A step whose declaration is refused is not planned further: its inputs
// are not reported as unknown, and a step reading it says it could not be
// planned.
func TestExecRefusedStepIsNotPlannedFurther(t *testing.T) {
	text := "paper: {id: t, title: T}\nsteps:\n" +
		"  a: {op: exec, params: {command: [sh, a.sh], code: [a.sh], outputs: {out: csv}}}\n" +
		"  b: {op: exec, inputs: {x: a.out}, params: {command: [sh, b.sh], code: [missing.sh], outputs: {out: csv}}}\n" +
		"  c: {op: exec, inputs: {y: b.out}, params: {command: [sh, a.sh], code: [a.sh], outputs: {out: csv}}}\n" +
		"profiles: {quick: {}, paper: {}}\n"
	file := repo(t, text, map[string]string{"a.sh": "true\n"})
	data, _ := os.ReadFile(file)
	s, err := spec.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.NewPlan([]*spec.Spec{s}, pipeline.NewRegistry(Op()), "quick")
	if err == nil || !strings.Contains(err.Error(), "missing.sh") || strings.Contains(err.Error(), "has no input") ||
		!strings.Contains(err.Error(), `step "b" has an unknown op or could not be planned`) {
		t.Errorf("err = %v", err)
	}
}
