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
	"math"
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

// Number is a measured value, or why it is missing.
type Number struct {
	Value, Err float64
	Note       string
	Missing    string
}

// Format renders the number with the given significant digits (0 means 4), and
// its error when known.
func (n *Number) Format(digits int) string {
	if n == nil || n.Missing != "" {
		return "n/a"
	}
	if digits <= 0 {
		digits = 4
	}
	v := strconv.FormatFloat(n.Value, 'g', digits, 64)
	if n.Err > 0 {
		// Print the value to the decimal place of the error's second digit.
		dec := max(0, 1-int(math.Floor(math.Log10(n.Err))))
		return fmt.Sprintf("%.*f ± %.*f", dec, n.Value, dec, n.Err)
	}
	return v
}

// Verdict is the outcome of checking a claim.
type Verdict struct {
	Claim     *spec.Claim
	Expected  string
	Measured  string
	Evaluated bool
	Pass      bool
}

// Label is the verdict's word.
func (v Verdict) Label() string {
	switch {
	case !v.Evaluated:
		return "not evaluated"
	case v.Pass:
		return "reproduced"
	}
	return "not reproduced"
}

func (v Verdict) class() string {
	switch {
	case !v.Evaluated:
		return "verdict-none"
	case v.Pass:
		return "verdict-pass"
	}
	return "verdict-fail"
}

// Evaluate checks claim c against its measured value n (nil or Missing when unavailable).
func Evaluate(c *spec.Claim, n *Number, digits int) Verdict {
	e := c.Expect
	v := Verdict{Claim: c, Measured: n.Format(digits)}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 7, 64) }
	var pass func(x float64) bool
	switch {
	case e.Less != nil:
		v.Expected = "< " + g(*e.Less)
		pass = func(x float64) bool { return x < *e.Less }
	case e.Greater != nil:
		v.Expected = "> " + g(*e.Greater)
		pass = func(x float64) bool { return x > *e.Greater }
	case len(e.Between) == 2:
		v.Expected = fmt.Sprintf("in [%s, %s]", g(e.Between[0]), g(e.Between[1]))
		pass = func(x float64) bool { return x >= e.Between[0] && x <= e.Between[1] }
	case e.Equals != nil:
		v.Expected = g(*e.Equals)
		if e.Tolerance > 0 {
			v.Expected += " ± " + g(e.Tolerance)
		}
		pass = func(x float64) bool { return math.Abs(x-*e.Equals) <= e.Tolerance }
	}
	if n == nil || n.Missing != "" || pass == nil {
		return v
	}
	v.Evaluated, v.Pass = true, pass(n.Value)
	return v
}
