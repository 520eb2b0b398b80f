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
	// Lo and Hi bound the expected interval (±Inf for one-sided tests).
	Lo, Hi float64
}

// Evaluated reports whether the claim's number could be measured.
func (v Verdict) Evaluated() bool { return v.State != NotEvaluated }

// Pass reports whether the claim is reproduced.
func (v Verdict) Pass() bool { return v.State == Reproduced }

// Count returns in how many replicates the claim holds, of how many measured.
func (v Verdict) Count() (k, n int) {
	for i, h := range v.Holds {
		if !math.IsNaN(v.Values[i]) {
			n++
			if h {
				k++
			}
		}
	}
	return k, n
}

// Label is the verdict's word.
func (v Verdict) Label() string { return string(v.State) }

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

// Evaluate checks claim c against its measured value n (nil or Missing when
// unavailable). A replicated number is checked replicate by replicate: the
// claim is reproduced when it holds in at least its quorum of them, not
// reproduced when it holds in at most 1 − quorum, and seed-dependent between.
func Evaluate(c *spec.Claim, n *Number, digits int) Verdict {
	e := c.Expect
	v := Verdict{Claim: c, Measured: n.Format(digits), State: NotEvaluated, Lo: math.Inf(-1), Hi: math.Inf(1)}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 7, 64) }
	var pass func(x float64) bool
	switch {
	case e.Less != nil:
		v.Expected, v.Hi = "< "+g(*e.Less), *e.Less
		pass = func(x float64) bool { return x < *e.Less }
	case e.Greater != nil:
		v.Expected, v.Lo = "> "+g(*e.Greater), *e.Greater
		pass = func(x float64) bool { return x > *e.Greater }
	case len(e.Between) == 2:
		v.Expected, v.Lo, v.Hi = fmt.Sprintf("in [%s, %s]", g(e.Between[0]), g(e.Between[1])), e.Between[0], e.Between[1]
		pass = func(x float64) bool { return x >= e.Between[0] && x <= e.Between[1] }
	case e.Equals != nil:
		v.Expected = g(*e.Equals)
		if e.Tolerance > 0 {
			v.Expected += " ± " + g(e.Tolerance)
		}
		v.Lo, v.Hi = *e.Equals-e.Tolerance, *e.Equals+e.Tolerance
		pass = func(x float64) bool { return math.Abs(x-*e.Equals) <= e.Tolerance }
	}
	if n == nil || n.Missing != "" || pass == nil {
		return v
	}
	reps := n.Replicates
	if reps == nil {
		reps = []*Number{n}
	}
	k, m := 0, 0
	for _, r := range reps {
		x := math.NaN()
		if r != nil && r.Missing == "" {
			x = r.Value
			m++
		}
		h := !math.IsNaN(x) && pass(x)
		if h {
			k++
		}
		v.Values, v.Holds = append(v.Values, x), append(v.Holds, h)
	}
	quorum := c.Quorum
	if quorum == 0 {
		quorum = spec.DefaultQuorum
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
