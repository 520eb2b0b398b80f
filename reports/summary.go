package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Summary is the machine-readable record of a paper's report, written beside
// it as summary.json: what out/index.html lists, and what kadanoff diff and
// build --json read (every claim's verdict and number, every quoted value,
// every figure's digest, every step's action key and preimage). It holds
// nothing that varies between builds of the same keys.
type Summary struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Authors    string `json:"authors"`
	Profile    string `json:"profile"`
	Tool       string `json:"tool,omitempty"`
	Reproduced int    `json:"reproduced"`
	// SeedDependent, NotReproduced and NotEvaluated count the other verdicts.
	SeedDependent int           `json:"seed_dependent"`
	NotReproduced int           `json:"not_reproduced"`
	NotEvaluated  int           `json:"not_evaluated"`
	Claims        int           `json:"claims"`
	Verdicts      []ClaimRecord `json:"verdicts,omitempty"`
	// ChecksPassed of Checks passed: the checks of the build, which are not
	// claims of the paper and are not counted among the verdicts above;
	// CheckRecords are theirs (verdict "reproduced" where a check passes).
	ChecksPassed int            `json:"checks_passed"`
	Checks       int            `json:"checks"`
	CheckRecords []ClaimRecord  `json:"check_verdicts,omitempty"`
	Values       []ValueRecord  `json:"values,omitempty"`
	Figures      []FigureRecord `json:"figures,omitempty"`
	Steps        []StepRecord   `json:"steps,omitempty"`
}

// ClaimRecord is a claim's verdict: "reproduced", "seed-dependent", "not
// reproduced" or "not evaluated" (its number is missing). A claim on a
// replicated number has every replicate's value (null where missing) and
// whether the claim holds in it, and how many of them it holds in (Holds of
// Seeds).
type ClaimRecord struct {
	Name      string `json:"name"`
	Statement string `json:"statement"`
	Against   string `json:"against,omitempty"`
	Expected  string `json:"expected"`
	Measured  string `json:"measured"`
	// Check marks a check of the build rather than a claim of the paper.
	Check bool `json:"check,omitempty"`
	// Step is the spec step the claim's number comes from (what
	// kadanoff build --only rebuilds), when known.
	Step string `json:"step,omitempty"`
	// Condition says where the claim's condition held, for a claim with one.
	Condition  string     `json:"condition,omitempty"`
	Value      *float64   `json:"value,omitempty"`
	Verdict    string     `json:"verdict"`
	Replicates []*float64 `json:"replicates,omitempty"`
	Hold       []bool     `json:"hold,omitempty"`
	Holds      int        `json:"holds"`
	Seeds      int        `json:"seeds"`
}

// ValueRecord is a number the report quotes.
type ValueRecord struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Err     float64 `json:"err,omitempty"`
	Text    string  `json:"text"`
	Missing string  `json:"missing,omitempty"`
}

// FigureRecord is a figure of the report: its PNG's path under the paper's
// directory and the SHA-256 of its bytes, or why it is missing.
type FigureRecord struct {
	Name    string `json:"name"`
	Caption string `json:"caption,omitempty"`
	PNG     string `json:"png,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// StepRecord is a step of the paper's build with its action key and preimage
// (the words kadanoff explain prints), or its failure.
type StepRecord struct {
	ID       string `json:"id"`
	Op       string `json:"op"`
	Version  int    `json:"version"`
	Key      string `json:"key,omitempty"`
	Preimage string `json:"preimage,omitempty"`
	// Outputs maps each output's name to its digest.
	Outputs map[string]string `json:"outputs,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// record is the summary record of a verdict.
func (p *Paper) record(v Verdict) ClaimRecord {
	c := ClaimRecord{Name: v.Claim.Name, Statement: v.Claim.Statement, Against: v.Claim.Against, Expected: v.Expected,
		Measured: v.Measured, Condition: v.Unmet, Verdict: string(v.State), Check: v.Claim.Check, Step: p.Costs[v.Claim.Name].Step}
	c.Holds, c.Seeds = v.Count()
	n := p.Numbers[v.Claim.Value]
	if n != nil && n.Missing == "" {
		x := n.Value
		c.Value = &x
	}
	if n != nil && n.Replicates != nil {
		c.Hold = v.Holds
		for _, x := range v.Values {
			if math.IsNaN(x) {
				c.Replicates = append(c.Replicates, nil)
			} else {
				x := x
				c.Replicates = append(c.Replicates, &x)
			}
		}
	}
	return c
}

// Summary returns the paper's summary record.
func (p *Paper) Summary() Summary {
	s := Summary{ID: p.Spec.Paper.ID, Title: p.Spec.Paper.Title, Authors: p.Spec.Paper.Authors, Profile: p.Profile, Tool: p.Tool}
	vs := p.Verdicts()
	count := CountStates(vs)
	s.Claims, s.Reproduced, s.SeedDependent, s.NotReproduced, s.NotEvaluated = len(vs), count[Reproduced], count[SeedDependent], count[NotReproduced], count[NotEvaluated]
	for _, v := range vs {
		s.Verdicts = append(s.Verdicts, p.record(v))
	}
	for _, v := range p.Checks() {
		s.Checks++
		if v.Pass() {
			s.ChecksPassed++
		}
		s.CheckRecords = append(s.CheckRecords, p.record(v))
	}
	names := make([]string, 0, len(p.Numbers))
	for name := range p.Numbers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := p.Numbers[name]
		digits := 0
		if sn := p.number(name); sn != nil {
			digits = sn.Digits
		}
		s.Values = append(s.Values, ValueRecord{Name: name, Value: n.Value, Err: n.Err, Text: n.Format(digits), Missing: n.Missing})
	}
	for _, f := range p.Spec.Figures {
		fr := p.Figures[f.Name]
		rec := FigureRecord{Name: f.Name, Caption: strings.TrimSpace(f.Caption)}
		switch {
		case fr == nil:
			rec.Missing = "not built"
		case fr.Missing != "":
			rec.Missing = fr.Missing
		default:
			_, rec.PNG = figureFiles(f.Name)
			sum := sha256.Sum256(fr.PNG)
			rec.Digest = hex.EncodeToString(sum[:])
		}
		s.Figures = append(s.Figures, rec)
	}
	s.Steps = p.Steps
	return s
}

// ReadSummaries reads the summary.json of every report under out, by paper
// id; a summary.json that is not one of ours (it does not parse, or names
// another id than its directory) is passed over.
func ReadSummaries(out string) (map[string]*Summary, error) {
	files, err := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	if err != nil {
		return nil, err
	}
	sums := map[string]*Summary{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s, err := ParseSummary(data)
		if err != nil || s.ID != filepath.Base(filepath.Dir(f)) {
			continue // not a report of ours
		}
		sums[s.ID] = s
	}
	return sums, nil
}

// ParseSummary decodes a summary.json.
func ParseSummary(data []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("not a report summary: %w", err)
	}
	return &s, nil
}

// stepRecords lists every step of spec s in the plan with its key and
// preimage from the build's results.
func stepRecords(plan *pipeline.Plan, s *spec.Spec, sum *pipeline.Summary) []StepRecord {
	var out []StepRecord
	for _, n := range plan.Nodes {
		if n.Spec != s {
			continue
		}
		rec := StepRecord{ID: n.ID, Op: n.Op.Name(), Version: n.Op.Version()}
		switch r := sum.Results[n]; {
		case r == nil:
			rec.Error = "not built"
		case r.Status == pipeline.Failed:
			rec.Error = failure(r)
		default:
			rec.Key, rec.Preimage = string(r.Key), r.Preimage
			if r.Entry != nil {
				rec.Outputs = map[string]string{}
				for _, o := range r.Entry.Outputs {
					rec.Outputs[o.Name] = string(o.Digest)
				}
			}
		}
		out = append(out, rec)
	}
	return out
}
