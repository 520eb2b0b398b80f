package reports

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

func goldenPaper(t *testing.T) *Paper {
	s, err := spec.Load("testdata/golden/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &Paper{
		Spec: s, Profile: "quick", Tool: "kadanoff test",
		Figures: map[string]*Figure{
			"fig1": {SVG: []byte("<svg/>"), PNG: []byte("png"), Data: []DataFile{{Name: "a.npy", Data: []byte("npy")}},
				Steps: []Step{{ID: "demo/a", Op: "x", Version: 2, Params: []Param{{"size", "32"}, {"mode", `"a|b"`}}, Key: strings.Repeat("ab", 32)}}},
			"fig2": {Missing: "step demo/a failed: boom"},
		},
		Params: map[string]map[string]spec.Value{"a": {
			"size": {Kind: spec.Int, Int: 32},
			"grid": {Kind: spec.Floats, Floats: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}},
		}},
		Numbers: map[string]*Number{
			"rho":   {Value: -0.97549},
			"slope": {Value: -0.0780594, Err: 0.00618},
			"gone":  {Missing: "no scalar"},
		},
	}
}

// TestGolden renders a paper to HTML and Markdown and compares them with
// testdata/golden/want.html and want.md (go test -update rewrites them).
func TestGolden(t *testing.T) {
	out := t.TempDir()
	if err := Write(out, []*Paper{goldenPaper(t)}); err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{"demo/index.html": "want.html", "demo/README.md": "want.md", "index.html": "want-index.html"} {
		data, err := os.ReadFile(filepath.Join(out, got))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", want)
		if *update {
			os.WriteFile(golden, data, 0o644)
		}
		w, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != string(w) {
			t.Errorf("%s differs from %s:\n%s", got, golden, data)
		}
	}
	for _, f := range []string{"demo/figures/fig1.svg", "demo/figures/fig1.png", "demo/data/a.npy", "assets/katex/katex.min.js", "assets/style.css"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

func TestUnchangedFilesAreNotRewritten(t *testing.T) {
	out := t.TempDir()
	p := goldenPaper(t)
	if err := Write(out, []*Paper{p}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "demo", "index.html")
	before, _ := os.Stat(path)
	if err := Write(out, []*Paper{p}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Error("an unchanged report was rewritten")
	}
}

func TestEvaluate(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		expect   spec.Expect
		value    float64
		pass     bool
		expected string
	}{
		{spec.Expect{Less: f(1)}, 0.5, true, "< 1"},
		{spec.Expect{Less: f(1)}, 1, false, "< 1"},
		{spec.Expect{Greater: f(0.01)}, 0.02, true, "> 0.01"},
		{spec.Expect{Between: []float64{0, 1}}, 1, true, "in [0, 1]"},
		{spec.Expect{Between: []float64{0, 1}}, 1.1, false, "in [0, 1]"},
		{spec.Expect{Equals: f(0.125), Tolerance: 0.01}, 0.13, true, "0.125 ± 0.01"},
		{spec.Expect{Equals: f(0.125), Tolerance: 0.01}, 0.14, false, "0.125 ± 0.01"},
		{spec.Expect{Equals: f(1), Tolerance: 0}, 1, true, "1"},
	}
	for _, tt := range tests {
		v := Evaluate(&spec.Claim{Expect: tt.expect}, &Number{Value: tt.value}, 0, nil)
		if !v.Evaluated() || v.Pass() != tt.pass || v.Expected != tt.expected {
			t.Errorf("%s with %v: pass=%v expected=%q", tt.expected, tt.value, v.Pass(), v.Expected)
		}
	}
	if v := Evaluate(&spec.Claim{Expect: spec.Expect{Less: f(1)}}, &Number{Missing: "x"}, 0, nil); v.Evaluated() || v.Label() != "not evaluated" {
		t.Errorf("missing value evaluated: %+v", v)
	}
}

// A claim on replicates is reproduced when it holds in its quorum of them,
// not reproduced when it holds in at most 1 − quorum, seed-dependent between;
// missing replicates are not counted.
func TestEvaluateReplicates(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	reps := func(xs ...float64) *Number {
		var out []*Number
		for _, x := range xs {
			if math.IsNaN(x) {
				out = append(out, &Number{Missing: "failed"})
			} else {
				out = append(out, &Number{Value: x})
			}
		}
		return Replicated(out)
	}
	nan := math.NaN()
	tests := []struct {
		name    string
		n       *Number
		quorum  float64
		want    State
		k, m    int
		measure string
	}{
		{"all hold", reps(0.5, 0.2, 0.9), 0, Reproduced, 3, 3, "0.5 [0.2, 0.9] (3 seeds)"},
		{"four of five", reps(0.5, 0.2, 0.9, 0.1, 1.5), 0, Reproduced, 4, 5, "0.5 [0.1, 1.5] (5 seeds)"},
		{"three of five", reps(0.5, 0.2, 0.9, 1.1, 1.5), 0, SeedDependent, 3, 5, "0.9 [0.2, 1.5] (5 seeds)"},
		{"one of five", reps(1.5, 0.2, 1.9, 1.1, 1.5), 0, NotReproduced, 1, 5, "1.5 [0.2, 1.9] (5 seeds)"},
		{"one of two", reps(0.5, 1.5), 0, SeedDependent, 1, 2, "1 [0.5, 1.5] (2 seeds)"},
		{"quorum 0.6", reps(0.5, 0.2, 0.9, 1.1, 1.5), 0.6, Reproduced, 3, 5, "0.9 [0.2, 1.5] (5 seeds)"},
		{"a missing replicate", reps(0.5, nan, 0.9), 0, Reproduced, 2, 2, "0.7 [0.5, 0.9] (3 seeds, 1 not measured)"},
		{"the same in every seed", reps(0.5, 0.5), 0, Reproduced, 2, 2, "0.5 in all (2 seeds)"},
		{"all missing", reps(nan, nan), 0, NotEvaluated, 0, 0, "n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &spec.Claim{Expect: spec.Expect{Less: f(1)}, Quorum: tt.quorum}
			v := Evaluate(c, tt.n, 0, nil)
			k, m := v.Count()
			if v.State != tt.want || k != tt.k || m != tt.m || v.Measured != tt.measure {
				t.Errorf("%s, %d of %d, measured %q; want %s, %d of %d, %q", v.State, k, m, v.Measured, tt.want, tt.k, tt.m, tt.measure)
			}
		})
	}
}

// A claim with a condition is evaluated only where the condition holds:
// replicate by replicate when the two numbers have the same replicates,
// else as a whole; where it holds nowhere the claim is not evaluated.
func TestEvaluateCondition(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	reps := func(xs ...float64) *Number {
		var out []*Number
		for _, x := range xs {
			out = append(out, &Number{Value: x})
		}
		return Replicated(out)
	}
	claim := reps(0.5, 0.2, 0.9, 1.5, 1.6) // holds (< 1) in the first three
	tests := []struct {
		name  string
		n     *Number
		when  *Number
		want  State
		k, m  int
		unmet string
	}{
		{"per seed, held where evaluated", claim, reps(1, 1, 1, 0, 0), Reproduced, 3, 3,
			"evaluated in the 3 of 5 seeds where its condition holds: steep (> 0.5; measured 1 [0, 1] (5 seeds))"},
		{"per seed, failed where evaluated", claim, reps(0, 0, 0, 1, 1), NotReproduced, 0, 2, ""},
		{"per seed, nowhere", claim, reps(0, 0, 0, 0, 0), NotEvaluated, 0, 0, ""},
		{"as a whole, holds", claim, &Number{Value: 1}, SeedDependent, 3, 5, ""},
		{"as a whole, below its quorum", claim, reps(1, 1, 0), NotEvaluated, 0, 0, ""},
		{"condition missing", claim, &Number{Missing: "failed"}, NotEvaluated, 0, 0, ""},
		{"one value, condition fails", &Number{Value: 0.5}, &Number{Value: 0}, NotEvaluated, 0, 0,
			"not evaluated, as its condition fails: steep (> 0.5; measured 0)"},
		{"one value, condition holds", &Number{Value: 0.5}, &Number{Value: 1}, Reproduced, 1, 1, ""},
	}
	// With otherwise: fails the claim presupposes its condition.
	presupposed := &spec.Claim{Expect: spec.Expect{Less: f(1)}, When: &spec.Condition{Statement: "steep", Expect: spec.Expect{Greater: f(0.5)}, Fails: true}}
	holds := reps(0.5, 0.5, 0.5, 0.5, 0.5)
	if v := Evaluate(presupposed, holds, 0, reps(1, 1, 1, 1, 1)); v.State != Reproduced {
		t.Errorf("presupposed, held where the condition holds: %s", v.State)
	}
	if v := Evaluate(presupposed, holds, 0, reps(0, 0, 0, 0, 1)); v.State != NotReproduced {
		t.Errorf("presupposed, the condition failing where the claim holds: %s, want not reproduced", v.State)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &spec.Claim{Expect: spec.Expect{Less: f(1)}, When: &spec.Condition{Statement: "steep", Expect: spec.Expect{Greater: f(0.5)}}}
			v := Evaluate(c, tt.n, 0, tt.when)
			k, m := v.Count()
			if v.State != tt.want || k != tt.k || m != tt.m {
				t.Errorf("%s, %d of %d; want %s, %d of %d", v.State, k, m, tt.want, tt.k, tt.m)
			}
			if tt.unmet != "" && v.Unmet != tt.unmet {
				t.Errorf("unmet %q, want %q", v.Unmet, tt.unmet)
			}
		})
	}
}

func TestNumberFormat(t *testing.T) {
	tests := []struct {
		n      Number
		digits int
		want   string
	}{
		{Number{Value: -0.97549}, 3, "-0.975"},
		{Number{Value: 3}, 0, "3"},
		{Number{Value: 0.12345, Err: 0.0123}, 0, "0.123 ± 0.012"},
		{Number{Value: 2.2691, Err: 0.3}, 0, "2.27 ± 0.30"},
		{Number{Value: 123.4, Err: 12}, 0, "123 ± 12"},
		{Number{Value: math.Pi, Missing: "x"}, 0, "n/a"},
	}
	for _, tt := range tests {
		if got := tt.n.Format(tt.digits); got != tt.want {
			t.Errorf("Format(%+v, %d) = %q, want %q", tt.n, tt.digits, got, tt.want)
		}
	}
}

// A rebuild removes the figures and data a spec no longer has and temporary
// files of an interrupted build; the index lists every report under out/,
// not only the papers of the last build.
func TestPruneAndIndex(t *testing.T) {
	out := t.TempDir()
	p := goldenPaper(t)
	if err := Write(out, []*Paper{p}); err != nil {
		t.Fatal(err)
	}
	stale := []string{"demo/figures/old.svg", "demo/data/old.npy", "demo/.tmp-123", "demo/figures/.tmp-9"}
	for _, f := range stale {
		if err := os.WriteFile(filepath.Join(out, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(out, "other")
	os.MkdirAll(other, 0o777)
	os.WriteFile(filepath.Join(other, "summary.json"), []byte(`{"id": "other", "title": "Another paper", "profile": "paper", "reproduced": 2, "claims": 3}`), 0o644)
	if err := Write(out, []*Paper{p}); err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s was not removed", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "demo", "figures", "fig1.svg")); err != nil {
		t.Errorf("a current figure was removed: %v", err)
	}
	idx, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{`href="demo/index.html"`, `href="other/index.html"`, `<span class="badge verdict-pass">2 reproduced</span>`, "of 3 <span", `<div class="thumbs"><a href="demo/index.html#fig1"><img src="demo/figures/fig1.png"`} {
		if !strings.Contains(string(idx), want) {
			t.Errorf("index lacks %q", want)
		}
	}
	// The index counts every state as the report's ledger does.
	page, _ := os.ReadFile(filepath.Join(out, "demo", "index.html"))
	count := regexp.MustCompile(`<span class="(?:badge )?(verdict-\w+)">(\d+) ([a-z -]+)</span>`)
	var fromIndex, fromLedger []string
	for _, m := range count.FindAllStringSubmatch(string(idx), -1) {
		if strings.Contains(string(idx), `href="demo/index.html"`) {
			fromIndex = append(fromIndex, m[1]+" "+m[2])
		}
	}
	for _, m := range count.FindAllStringSubmatch(string(page), -1) {
		fromLedger = append(fromLedger, m[1]+" "+m[2])
	}
	if len(fromLedger) != 4 || len(fromIndex) < 4 || strings.Join(fromIndex[:4], ",") != strings.Join(fromLedger, ",") {
		t.Errorf("index counts %v, the ledger's %v", fromIndex, fromLedger)
	}
	if err := Write("", []*Paper{p}); err == nil {
		t.Error("an empty output directory was accepted")
	}
}

// A directory that merely has the paper's name is written into, never pruned.
func TestNoPruneOfForeignDirectory(t *testing.T) {
	out := t.TempDir()
	mine := filepath.Join(out, "demo", "notes.txt")
	os.MkdirAll(filepath.Dir(mine), 0o777)
	os.WriteFile(mine, []byte("keep"), 0o644)
	if err := Write(out, []*Paper{goldenPaper(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file not written by kadanoff was removed: %v", err)
	}
}

// A changed claim measured on seeds says whether it moved within the seed
// spread (the ranges overlap) or beyond it.
func TestVerdictSpread(t *testing.T) {
	f := func(xs ...float64) []*float64 {
		var out []*float64
		for _, x := range xs {
			x := x
			out = append(out, &x)
		}
		return out
	}
	tests := []struct {
		name     string
		old, new []*float64
		want     string
	}{
		{"overlapping", f(1, 2, 3), f(2.5, 4, 5), "within"},
		{"apart", f(1, 2, 3), f(3.5, 4, 5), "beyond"},
		{"a missing seed", append(f(1, 2), nil), f(2, 2.1), "within"},
		{"one side not replicated", nil, f(1, 2), ""},
	}
	for _, tt := range tests {
		old := []ClaimRecord{{Name: "c", Verdict: "reproduced", Measured: "a", Replicates: tt.old}}
		new := []ClaimRecord{{Name: "c", Verdict: "seed-dependent", Measured: "b", Replicates: tt.new}}
		ch := compareVerdicts(old, new)
		if len(ch) != 1 || ch[0].Spread != tt.want || !ch[0].Worse {
			t.Errorf("%s: %+v, want spread %q and worse", tt.name, ch, tt.want)
		}
	}
}

// A report written with its inputs' digest is fresh for the same digest
// while its files are there at their sizes, and not after any change.
func TestFresh(t *testing.T) {
	out := t.TempDir()
	p := goldenPaper(t)
	p.Inputs = "1111"
	if _, ok := Fresh(out, "demo", "1111"); ok {
		t.Fatal("fresh before it was written")
	}
	if err := Write(out, []*Paper{p}); err != nil {
		t.Fatal(err)
	}
	sum, ok := Fresh(out, "demo", "1111")
	if !ok || sum.ID != "demo" || sum.Claims != p.Summary().Claims {
		t.Fatalf("Fresh = %+v, %v after writing", sum, ok)
	}
	if _, ok := Fresh(out, "demo", "2222"); ok {
		t.Error("fresh for other inputs")
	}
	png := filepath.Join(out, "demo", "figures", "fig1.png")
	for name, damage := range map[string]func() error{
		"truncated figure": func() error { return os.WriteFile(png, []byte("pn"), 0o644) },
		"removed figure":   func() error { return os.Remove(png) },
	} {
		if err := Write(out, []*Paper{p}); err != nil {
			t.Fatal(err)
		}
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		if _, ok := Fresh(out, "demo", "1111"); ok {
			t.Errorf("%s: still fresh", name)
		}
	}
}

// The report directory and its folders are never written through a link.
func TestRefusesLinkedReportDirectory(t *testing.T) {
	for _, sub := range []string{"demo", "demo/figures"} {
		out, elsewhere := t.TempDir(), t.TempDir()
		link := filepath.Join(out, filepath.FromSlash(sub))
		os.MkdirAll(filepath.Dir(link), 0o777)
		if err := os.Symlink(elsewhere, link); err != nil {
			t.Skip("no symbolic links here:", err)
		}
		err := Write(out, []*Paper{goldenPaper(t)})
		if err == nil || !strings.Contains(err.Error(), "refusing to write the report through it") {
			t.Errorf("%s a link: err = %v", sub, err)
		}
		if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
			t.Errorf("%s a link: %d files written through it", sub, len(entries))
		}
	}
}

// Figures are listed as a reader counts them.
func TestFigureOrder(t *testing.T) {
	numbers := []string{"S2", "12", "5b", "2", "S1", "5a", "S10", "1<i>"}
	slices.SortStableFunc(numbers, func(a, b string) int { return strings.Compare(figureOrder(a), figureOrder(b)) })
	if got, want := strings.Join(numbers, " "), "1<i> 2 5a 5b 12 S1 S2 S10"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

// A grid of parameters reads as its first two values and its last; any
// other list is quoted whole.
func TestFormatParam(t *testing.T) {
	fl := func(xs ...float64) spec.Value { return spec.Value{Kind: spec.Floats, Floats: xs} }
	tests := []struct {
		v    spec.Value
		mod  string
		want string
	}{
		{fl(0.1, 0.2, 0.3, 0.4, 0.5, 0.6), "", "0.1, 0.2, …, 0.6"},
		{fl(1, 1.6, 2, 2.3, 2.6, 3, 4), "", "1, 1.6, 2, 2.3, 2.6, 3, 4"},
		{fl(2.2, 2.3, 2.4), "", "2.2, 2.3, 2.4"},
		{fl(1, 1.6, 2, 2.3, 2.6, 3, 4), "len", "7"},
		{fl(3, 1, 2), "max", "3"},
	}
	for _, tt := range tests {
		if got := formatParam(tt.v, tt.mod); got != tt.want {
			t.Errorf("formatParam(%v, %q) = %q, want %q", tt.v.Floats, tt.mod, got, tt.want)
		}
	}
}
