// Package reports writes each paper's report: the Markdown narrative in
// reports/PAPER.md, with its figures, quoted values and claim verdicts spliced
// in, rendered with goldmark to HTML (math typeset offline by a vendored KaTeX)
// and to Markdown.
//
// The narrative refers to the spec by name with directives, each alone or
// inline as noted:
//
//	{{figure NAME}}  the figure with caption, links to its data and how it was built (own line)
//	{{value NAME}}   a measured number with its error (inline)
//	{{claim NAME}}   the verdict of a claim (inline)
//	{{claims}}       the table of every claim: statement, expected, measured, verdict (own line)
//
// An unknown name is an error naming the narrative's file and line. Math is
// written $…$ (inline) or $$…$$ (display).
package reports

import (
	"fmt"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Paper is everything a report shows of one spec's build.
type Paper struct {
	Spec    *spec.Spec
	Profile string
	Tool    string // the tool version that built it
	Figures map[string]*Figure
	Numbers map[string]*Number
	// Params holds the decoded parameters of every step under the profile
	// built, by step name, for {{param}}; nil skips checking their names.
	Params map[string]map[string]spec.Value
	// Steps are the spec's steps with their keys and preimages.
	Steps []StepRecord
	// Costs says, per claim, which step to rebuild and what it takes.
	Costs map[string]ClaimCost
	// Inputs, when set, is the digest of what the report is written from
	// (Inputs); Write records it so that Fresh can tell a later build with
	// the same inputs that the report is up to date.
	Inputs cache.Digest
}

// Figure is a built (or failed) figure.
type Figure struct {
	SVG, PNG []byte
	Data     []DataFile
	Steps    []Step
	// Missing says why the figure is absent, when it is.
	Missing string
}

// DataFile is an input artifact of a figure, linked from the report.
type DataFile struct {
	Name string // file name, e.g. noise_g.csv
	Data []byte
}

// Step is one step behind a figure, for the "how it was built" disclosure.
// Reports hold nothing that varies between builds of the same keys (no times),
// so two builds of the same specs give byte-identical reports.
type Step struct {
	ID      string
	Op      string
	Version int
	Params  []Param
	Key     string
}

// Param is a parameter in canonical form.
type Param struct{ Name, Value string }

// Number is a measured value, or why it is missing. A number of a
// replicated step holds every replicate's number in Replicates (a missing
// one with its reason) and, in Value, their median.
type Number struct {
	Value, Err float64
	Note       string
	Missing    string
	Replicates []*Number
}

// Replicated returns a number of the replicates given: their median, or
// Missing when none is available.
func Replicated(reps []*Number) *Number {
	n := &Number{Replicates: reps}
	xs := n.available()
	if len(xs) == 0 {
		n.Missing = "no replicate was built"
		for _, r := range reps {
			if r.Missing != "" {
				n.Missing = r.Missing
				break
			}
		}
		return n
	}
	n.Value = median(xs)
	return n
}

// available returns the values of the replicates that were measured.
func (n *Number) available() []float64 {
	var xs []float64
	for _, r := range n.Replicates {
		if r != nil && r.Missing == "" {
			xs = append(xs, r.Value)
		}
	}
	return xs
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Format renders the number with the given significant digits (0 means 4), and
// its error when known; a replicated number as its median with the range of
// the replicates, "0.0136 [0.0121, 0.0150] (3 seeds)".
func (n *Number) Format(digits int) string {
	if n == nil || n.Missing != "" {
		return "n/a"
	}
	if digits <= 0 {
		digits = 4
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', digits, 64) }
	if n.Replicates != nil {
		xs := n.available()
		lo, hi := slices.Min(xs), slices.Max(xs)
		seeds := fmt.Sprintf("%d seeds", len(n.Replicates))
		if miss := len(n.Replicates) - len(xs); miss > 0 {
			seeds += fmt.Sprintf(", %d not measured", miss)
		}
		if lo == hi { // an exact value, say
			if len(xs) < len(n.Replicates) {
				return fmt.Sprintf("%s in all measured (%s)", g(n.Value), seeds)
			}
			return fmt.Sprintf("%s in all (%s)", g(n.Value), seeds)
		}
		return fmt.Sprintf("%s [%s, %s] (%s)", g(n.Value), g(lo), g(hi), seeds)
	}
	if n.Err > 0 {
		// Print the value to the decimal place of the error's second digit.
		dec := max(0, 1-int(math.Floor(math.Log10(n.Err))))
		return fmt.Sprintf("%.*f ± %.*f", dec, n.Value, dec, n.Err)
	}
	return g(n.Value)
}

// State is a claim's verdict.
type State string

// The verdicts of a claim, from worst to best for kadanoff diff.
const (
	NotEvaluated  State = "not evaluated"
	NotReproduced State = "not reproduced"
	SeedDependent State = "seed-dependent"
	Reproduced    State = "reproduced"
)

// States lists the verdicts in the order reports count them.
func States() []State { return []State{Reproduced, SeedDependent, NotReproduced, NotEvaluated} }

// Verdict is the outcome of checking a claim: on one number, or on each
// replicate of a replicated one.
type Verdict struct {
	Claim    *spec.Claim
	Expected string
	Measured string
	State    State
	// Holds is, per replicate (one entry for a number that is not
	// replicated), whether the claim holds; Values are the replicates'
	// numbers, NaN where one is missing.
	Holds  []bool
	Values []float64
	// Skipped marks the replicates in which the claim's condition (when:)
	// fails: they are not evaluated. Nil when none is.
	Skipped []bool
	// Unmet says, for a claim with a condition, in how many replicates
	// the condition held and what it is; empty otherwise.
	Unmet string
	// Lo and Hi bound the expected interval (±Inf for one-sided tests).
	Lo, Hi float64
}

// Evaluated reports whether the claim's number could be measured.
func (v Verdict) Evaluated() bool { return v.State != NotEvaluated }

// Pass reports whether the claim is reproduced.
func (v Verdict) Pass() bool { return v.State == Reproduced }

// Count returns in how many replicates the claim holds, of how many
// evaluated.
func (v Verdict) Count() (k, n int) {
	for i, h := range v.Holds {
		if !math.IsNaN(v.Values[i]) && !v.skipped(i) {
			n++
			if h {
				k++
			}
		}
	}
	return k, n
}

func (v Verdict) skipped(i int) bool { return v.Skipped != nil && v.Skipped[i] }

// Label is the verdict's word: a claim's state, or for a check of the
// build "passes", "fails", "seed-dependent" or "not evaluated".
func (v Verdict) Label() string {
	if v.Claim != nil && v.Claim.Check {
		switch v.State {
		case Reproduced:
			return "passes"
		case NotReproduced:
			return "fails"
		}
	}
	return string(v.State)
}

func (v Verdict) class() string {
	switch v.State {
	case Reproduced:
		return "verdict-pass"
	case NotReproduced:
		return "verdict-fail"
	case SeedDependent:
		return "verdict-seed"
	}
	return "verdict-none"
}

// test returns the expectation's words, the interval it accepts and its test.
func test(e spec.Expect) (expected string, lo, hi float64, pass func(float64) bool) {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 7, 64) }
	lo, hi = math.Inf(-1), math.Inf(1)
	switch {
	case e.Less != nil:
		return "< " + g(*e.Less), lo, *e.Less, func(x float64) bool { return x < *e.Less }
	case e.Greater != nil:
		return "> " + g(*e.Greater), *e.Greater, hi, func(x float64) bool { return x > *e.Greater }
	case len(e.Between) == 2:
		return fmt.Sprintf("in [%s, %s]", g(e.Between[0]), g(e.Between[1])), e.Between[0], e.Between[1],
			func(x float64) bool { return x >= e.Between[0] && x <= e.Between[1] }
	case e.Equals != nil:
		expected = g(*e.Equals)
		if e.Tolerance > 0 {
			expected += " ± " + g(e.Tolerance)
		}
		return expected, *e.Equals - e.Tolerance, *e.Equals + e.Tolerance,
			func(x float64) bool { return math.Abs(x-*e.Equals) <= e.Tolerance }
	}
	return "", lo, hi, nil
}

// replicates returns a number's replicates (itself when not replicated) and
// their values, NaN where missing.
func replicates(n *Number) []float64 {
	reps := n.Replicates
	if reps == nil {
		reps = []*Number{n}
	}
	xs := make([]float64, len(reps))
	for i, r := range reps {
		xs[i] = math.NaN()
		if r != nil && r.Missing == "" {
			xs[i] = r.Value
		}
	}
	return xs
}

// Evaluate checks claim c against its measured value n (nil or Missing when
// unavailable) and, for a claim with a condition, the condition's number
// when. A replicated number is checked replicate by replicate: the claim is
// reproduced when it holds in at least its quorum of them, not reproduced
// when it holds in at most 1 − quorum, and seed-dependent between. A
// condition that fails leaves the claim not evaluated: replicate by
// replicate when both numbers have the same replicates, else as a whole
// (the condition must hold in the claim's quorum of its replicates).
func Evaluate(c *spec.Claim, n *Number, digits int, when *Number) Verdict {
	v := Verdict{Claim: c, Measured: n.Format(digits), State: NotEvaluated}
	var pass func(float64) bool
	v.Expected, v.Lo, v.Hi, pass = test(c.Expect)
	if n == nil || n.Missing != "" || pass == nil {
		return v
	}
	quorum := c.Quorum
	if quorum == 0 {
		quorum = spec.DefaultQuorum
	}
	v.Values = replicates(n)
	for _, x := range v.Values {
		v.Holds = append(v.Holds, !math.IsNaN(x) && pass(x))
	}
	if c.When != nil && c.When.Fails {
		// The claim presupposes its condition: where it fails, so does the claim.
		failed := 0
		for i, f := range conditionFails(c, when, len(v.Values), quorum) {
			if f {
				v.Holds[i] = false
				failed++
			}
		}
		if failed > 0 {
			v.Unmet = fmt.Sprintf("fails in the %d of %d seeds where its presupposition does not hold: %s", failed, len(v.Values), conditionWords(c, when))
		}
	} else if c.When != nil {
		v.Skipped = conditionFails(c, when, len(v.Values), quorum)
		met := 0
		for _, s := range v.Skipped {
			if !s {
				met++
			}
		}
		words := conditionWords(c, when)
		if len(v.Values) > 1 {
			v.Unmet = fmt.Sprintf("evaluated in the %d of %d seeds where its condition holds: %s", met, len(v.Values), words)
		} else if met == 0 {
			v.Unmet = "not evaluated, as its condition fails: " + words
		}
	}
	k, m := v.Count()
	if m == 0 {
		return v
	}
	frac := float64(k) / float64(m)
	const eps = 1e-9
	switch {
	case frac >= quorum-eps:
		v.State = Reproduced
	case frac <= 1-quorum+eps:
		v.State = NotReproduced
	default:
		v.State = SeedDependent
	}
	return v
}

// conditionWords is a claim's condition in words, with its test and the
// number measured when there is one.
func conditionWords(c *spec.Claim, when *Number) string {
	words := c.When.Statement
	if when != nil && when.Missing == "" {
		exp, _, _, _ := test(c.When.Expect)
		words += fmt.Sprintf(" (%s; measured %s)", exp, when.Format(0))
	}
	return words
}

// conditionFails returns, per replicate of a claim's number (reps of them),
// whether its condition fails there: replicate by replicate when the
// condition's number has as many replicates, else all alike, by whether the
// condition holds in the quorum of its own.
func conditionFails(c *spec.Claim, when *Number, reps int, quorum float64) []bool {
	fails := make([]bool, reps)
	if when == nil || when.Missing != "" {
		for i := range fails {
			fails[i] = true
		}
		return fails
	}
	_, _, _, pass := test(c.When.Expect)
	xs := replicates(when)
	if len(xs) == reps {
		for i, x := range xs {
			fails[i] = math.IsNaN(x) || !pass(x)
		}
		return fails
	}
	k, m := 0, 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			m++
			if pass(x) {
				k++
			}
		}
	}
	ok := m > 0 && float64(k)/float64(m) >= quorum-1e-9
	for i := range fails {
		fails[i] = !ok
	}
	return fails
}
