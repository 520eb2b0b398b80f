package reports

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
)

// Side is one build's reports, as kadanoff diff reads them: the summaries by
// paper id, and the report's files by path under a paper's directory.
type Side struct {
	Label     string
	Summaries map[string]*Summary
	File      func(paper, name string) ([]byte, error)
}

// Comparison is what changed from one build's reports to another's.
type Comparison struct {
	Old    string      `json:"old"`
	New    string      `json:"new"`
	Papers []PaperDiff `json:"papers"`
}

// PaperDiff is what changed in one paper's report. Status is "added" or
// "removed" when the paper is on one side only.
type PaperDiff struct {
	ID       string          `json:"id"`
	Status   string          `json:"status,omitempty"`
	Profiles [2]string       `json:"profiles"`
	Verdicts []VerdictChange `json:"verdicts,omitempty"`
	Values   []ValueChange   `json:"values,omitempty"`
	Figures  []FigureChange  `json:"figures,omitempty"`
	Steps    []StepChange    `json:"steps,omitempty"`
}

// VerdictChange is a claim whose verdict or measured number changed. Old or
// New is empty when the claim is on one side only.
type VerdictChange struct {
	Name        string `json:"name"`
	Statement   string `json:"statement"`
	Old         string `json:"old"`
	New         string `json:"new"`
	OldMeasured string `json:"old_measured,omitempty"`
	NewMeasured string `json:"new_measured,omitempty"`
	Worse       bool   `json:"worse,omitempty"`
	// Spread says, for a claim measured on replicates on both sides, whether
	// the change lies "within" the seed spread (the ranges of the
	// replicates' values overlap) or "beyond" it.
	Spread string `json:"spread,omitempty"`
}

// seedSpread compares the ranges of two claims' replicate values: "within"
// when they overlap, "beyond" when not, "" when a side has no replicates.
func seedSpread(o, n *ClaimRecord) string {
	lo1, hi1, ok1 := valueRange(o.Replicates)
	lo2, hi2, ok2 := valueRange(n.Replicates)
	switch {
	case !ok1 || !ok2:
		return ""
	case lo2 <= hi1 && lo1 <= hi2:
		return "within"
	}
	return "beyond"
}

func valueRange(xs []*float64) (lo, hi float64, ok bool) {
	for _, x := range xs {
		if x == nil {
			continue
		}
		if !ok || *x < lo {
			lo = *x
		}
		if !ok || *x > hi {
			hi = *x
		}
		ok = true
	}
	return lo, hi, ok
}

// ValueChange is a quoted number that changed: its text on each side and
// the relative change (new − old)/|old| where both are numbers and old ≠ 0.
type ValueChange struct {
	Name     string   `json:"name"`
	Old      string   `json:"old"`
	New      string   `json:"new"`
	Relative *float64 `json:"relative,omitempty"`
}

// FigureChange is a figure whose pixels changed (or that is on one side
// only, or missing on one).
type FigureChange struct {
	Name    string `json:"name"`
	Changed int    `json:"changed_pixels"`
	Pixels  int    `json:"pixels"`
	Note    string `json:"note,omitempty"`
	// OldCaption and NewCaption are set when the caption changed.
	OldCaption string `json:"old_caption,omitempty"`
	NewCaption string `json:"new_caption,omitempty"`
	// OldPNG, NewPNG and DiffPNG are the images, for the HTML page.
	OldPNG, NewPNG, DiffPNG []byte `json:"-"`
}

// StepChange is a step whose action key changed, with the reasons in
// kadanoff explain's words.
type StepChange struct {
	ID      string   `json:"id"`
	Old     string   `json:"old_key,omitempty"`
	New     string   `json:"new_key,omitempty"`
	Reasons []string `json:"reasons"`
}

// Worse reports whether some claim's verdict got worse (reproduced →
// seed-dependent → not reproduced → not evaluated) or a paper's report disappeared.
func (c *Comparison) Worse() bool {
	for _, p := range c.Papers {
		if p.Status == "removed" {
			return true
		}
		for _, v := range p.Verdicts {
			if v.Worse {
				return true
			}
		}
	}
	return false
}

// Changed reports whether anything differs.
func (c *Comparison) Changed() bool {
	for _, p := range c.Papers {
		if p.Status != "" || len(p.Verdicts)+len(p.Values)+len(p.Figures)+len(p.Steps) > 0 {
			return true
		}
	}
	return false
}

// verdictRank orders verdicts from worst to best.
func verdictRank(v string) int {
	switch State(v) {
	case Reproduced:
		return 3
	case SeedDependent:
		return 2
	case NotReproduced:
		return 1
	}
	return 0
}

// Compare compares two builds' reports.
func Compare(old, new *Side) (*Comparison, error) {
	c := &Comparison{Old: old.Label, New: new.Label}
	ids := map[string]bool{}
	for id := range old.Summaries {
		ids[id] = true
	}
	for id := range new.Summaries {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		o, n := old.Summaries[id], new.Summaries[id]
		switch {
		case o == nil:
			c.Papers = append(c.Papers, PaperDiff{ID: id, Status: "added", Profiles: [2]string{"", n.Profile}})
			continue
		case n == nil:
			c.Papers = append(c.Papers, PaperDiff{ID: id, Status: "removed", Profiles: [2]string{o.Profile, ""}})
			continue
		}
		p := PaperDiff{ID: id, Profiles: [2]string{o.Profile, n.Profile}}
		p.Verdicts = compareVerdicts(append(o.Verdicts, o.CheckRecords...), append(n.Verdicts, n.CheckRecords...))
		p.Values = compareValues(o.Values, n.Values)
		var err error
		if p.Figures, err = compareFigures(id, o.Figures, n.Figures, old, new); err != nil {
			return nil, err
		}
		p.Steps = compareSteps(o.Steps, n.Steps)
		c.Papers = append(c.Papers, p)
	}
	return c, nil
}

// match pairs the records of two lists by key and calls f for each pair in
// new's order, then for the old records that are gone; o is nil for a record
// only in new, n nil for one only in old.
func match[T any](old, new []T, key func(T) string, f func(o, n *T) error) error {
	om := map[string]*T{}
	for i := range old {
		om[key(old[i])] = &old[i]
	}
	seen := map[string]bool{}
	for i := range new {
		k := key(new[i])
		seen[k] = true
		if err := f(om[k], &new[i]); err != nil {
			return err
		}
	}
	for i := range old {
		if !seen[key(old[i])] {
			if err := f(&old[i], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func compareVerdicts(old, new []ClaimRecord) []VerdictChange {
	var out []VerdictChange
	match(old, new, func(c ClaimRecord) string { return c.Name }, func(o, n *ClaimRecord) error {
		switch {
		case o == nil:
			out = append(out, VerdictChange{Name: n.Name, Statement: n.Statement, New: n.Verdict, NewMeasured: n.Measured})
		case n == nil:
			out = append(out, VerdictChange{Name: o.Name, Statement: o.Statement, Old: o.Verdict, OldMeasured: o.Measured})
		case o.Verdict != n.Verdict || o.Measured != n.Measured || o.Expected != n.Expected:
			out = append(out, VerdictChange{Name: n.Name, Statement: n.Statement, Old: o.Verdict, New: n.Verdict,
				OldMeasured: o.Measured, NewMeasured: n.Measured, Worse: verdictRank(n.Verdict) < verdictRank(o.Verdict), Spread: seedSpread(o, n)})
		}
		return nil
	})
	return out
}

func compareValues(old, new []ValueRecord) []ValueChange {
	text := func(v *ValueRecord) string {
		switch {
		case v == nil:
			return ""
		case v.Missing != "":
			return "n/a (" + v.Missing + ")"
		}
		return v.Text
	}
	var out []ValueChange
	match(old, new, func(v ValueRecord) string { return v.Name }, func(o, n *ValueRecord) error {
		if o != nil && n != nil && o.Value == n.Value && o.Err == n.Err && o.Missing == n.Missing {
			return nil
		}
		ch := ValueChange{Old: text(o), New: text(n)}
		if n != nil {
			ch.Name = n.Name
		} else {
			ch.Name = o.Name
		}
		if o != nil && n != nil && o.Missing == "" && n.Missing == "" && o.Value != 0 {
			r := (n.Value - o.Value) / math.Abs(o.Value)
			ch.Relative = &r
		}
		out = append(out, ch)
		return nil
	})
	return out
}

func compareFigures(paper string, old, new []FigureRecord, oldSide, newSide *Side) ([]FigureChange, error) {
	var out []FigureChange
	err := match(old, new, func(f FigureRecord) string { return f.Name }, func(o, n *FigureRecord) error {
		if n == nil {
			out = append(out, FigureChange{Name: o.Name, Note: "removed"})
			return nil
		}
		ch := FigureChange{Name: n.Name}
		captioned := o != nil && o.Caption != n.Caption
		if captioned {
			ch.OldCaption, ch.NewCaption = o.Caption, n.Caption
		}
		switch {
		case o == nil:
			ch.Note = "added"
		case o.Missing != "" && n.Missing != "":
			if !captioned {
				return nil
			}
			ch.Note = "missing on both sides; caption changed"
		case o.Missing != "":
			ch.Note = "was missing: " + o.Missing
		case n.Missing != "":
			ch.Note = "missing: " + n.Missing
		case o.Digest == n.Digest:
			if !captioned {
				return nil
			}
			ch.Note = "caption changed; the image is the same"
			out = append(out, ch)
			return nil
		}
		var err error
		if o != nil && o.Missing == "" {
			if ch.OldPNG, err = oldSide.File(paper, o.PNG); err != nil {
				return fmt.Errorf("%s: figure %s: %w", oldSide.Label, n.Name, err)
			}
		}
		if n.Missing == "" {
			if ch.NewPNG, err = newSide.File(paper, n.PNG); err != nil {
				return fmt.Errorf("%s: figure %s: %w", newSide.Label, n.Name, err)
			}
		}
		if ch.Note == "" {
			same, err := pixelDiff(&ch)
			if err != nil {
				return fmt.Errorf("figure %s: %w", n.Name, err)
			}
			if same && !captioned {
				return nil // the bytes differ only in metadata
			}
			if same {
				ch.Note = "caption changed; the image is the same"
				ch.DiffPNG = nil
			}
		}
		out = append(out, ch)
		return nil
	})
	return out, err
}

// pixelDiff counts the pixels that differ between ch.OldPNG and ch.NewPNG and
// draws their difference: changed pixels red, the rest the new image in
// faded grey.
func pixelDiff(ch *FigureChange) (same bool, err error) {
	a, err := png.Decode(bytes.NewReader(ch.OldPNG))
	if err != nil {
		return false, fmt.Errorf("old PNG: %w", err)
	}
	b, err := png.Decode(bytes.NewReader(ch.NewPNG))
	if err != nil {
		return false, fmt.Errorf("new PNG: %w", err)
	}
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		ch.Note = fmt.Sprintf("size %d×%d → %d×%d", ab.Dx(), ab.Dy(), bb.Dx(), bb.Dy())
		return false, nil
	}
	d := image.NewRGBA(image.Rect(0, 0, bb.Dx(), bb.Dy()))
	for y := 0; y < bb.Dy(); y++ {
		for x := 0; x < bb.Dx(); x++ {
			pa := color.RGBAModel.Convert(a.At(ab.Min.X+x, ab.Min.Y+y)).(color.RGBA)
			pb := color.RGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)).(color.RGBA)
			if pa != pb {
				ch.Changed++
				d.SetRGBA(x, y, color.RGBA{R: 220, A: 255})
				continue
			}
			// Unchanged: the new image in faded grey, so only changes are red.
			lum := (299*int(pb.R) + 587*int(pb.G) + 114*int(pb.B)) / 1000
			g := uint8(255 - (255-lum)/4)
			d.SetRGBA(x, y, color.RGBA{R: g, G: g, B: g, A: 255})
		}
	}
	ch.Pixels = bb.Dx() * bb.Dy()
	if ch.Changed == 0 {
		return true, nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, d); err != nil {
		return false, err
	}
	ch.DiffPNG = buf.Bytes()
	return false, nil
}

var longHex = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

func compareSteps(old, new []StepRecord) []StepChange {
	short := func(s string) string {
		return longHex.ReplaceAllStringFunc(s, func(h string) string { return h[:12] })
	}
	// Who produced each digest, to say which input changed.
	producer := map[string]string{}
	for _, side := range [][]StepRecord{old, new} {
		for _, s := range side {
			for name, d := range s.Outputs {
				producer[d] = s.ID + "." + name
			}
		}
	}
	reason := func(d pipeline.Change) string {
		if strings.HasPrefix(d.What, "input ") && d.Old != "" && d.New != "" {
			if p := producer[d.New]; p != "" {
				return fmt.Sprintf("%s: %s changed", d.What, p)
			}
		}
		return short(d.String())
	}
	var out []StepChange
	match(old, new, func(s StepRecord) string { return s.ID }, func(o, n *StepRecord) error {
		switch {
		case o == nil:
			out = append(out, StepChange{ID: n.ID, New: n.Key, Reasons: []string{"new step"}})
		case n == nil:
			out = append(out, StepChange{ID: o.ID, Old: o.Key, Reasons: []string{"step removed"}})
		case o.Key == n.Key && o.Error == n.Error:
		case n.Error != "":
			out = append(out, StepChange{ID: n.ID, Old: o.Key, Reasons: []string{n.Error}})
		case o.Error != "":
			out = append(out, StepChange{ID: n.ID, New: n.Key, Reasons: []string{"was: " + o.Error}})
		default:
			ch := StepChange{ID: n.ID, Old: o.Key, New: n.Key}
			for _, d := range pipeline.Diff(o.Preimage, n.Preimage) {
				ch.Reasons = append(ch.Reasons, reason(d))
			}
			out = append(out, ch)
		}
		return nil
	})
	return out
}

// WriteText prints the comparison for a terminal or a log.
func (c *Comparison) WriteText(w io.Writer) {
	fmt.Fprintf(w, "diff %s → %s\n", c.Old, c.New)
	var worse, better, verdicts, values, figs, steps int
	for _, p := range c.Papers {
		switch p.Status {
		case "added":
			fmt.Fprintf(w, "%s: report added (profile %s)\n", p.ID, p.Profiles[1])
			continue
		case "removed":
			fmt.Fprintf(w, "%s: report removed  [worse]\n", p.ID)
			continue
		}
		head := p.ID + ":"
		if p.Profiles[0] != p.Profiles[1] {
			head += fmt.Sprintf(" (profile %s → %s)", p.Profiles[0], p.Profiles[1])
		}
		if len(p.Verdicts)+len(p.Values)+len(p.Figures)+len(p.Steps) == 0 {
			fmt.Fprintln(w, head, "no change")
			continue
		}
		fmt.Fprintln(w, head)
		for _, v := range p.Verdicts {
			verdicts++
			tag := ""
			switch {
			case v.Worse:
				worse++
				tag = "  [worse]"
			case v.Old != "" && v.New != "" && verdictRank(v.New) > verdictRank(v.Old):
				better++
				tag = "  [better]"
			}
			if v.Spread != "" {
				tag += "  [" + v.Spread + " the seed spread]"
			}
			fmt.Fprintf(w, "  claim   %s: %s → %s (measured %s → %s)%s\n", v.Name, orNone(v.Old), orNone(v.New), orNone(v.OldMeasured), orNone(v.NewMeasured), tag)
		}
		for _, v := range p.Values {
			values++
			rel := ""
			if v.Relative != nil {
				rel = fmt.Sprintf(" (%+.3g%%)", 100**v.Relative)
			}
			fmt.Fprintf(w, "  value   %s: %s → %s%s\n", v.Name, orNone(v.Old), orNone(v.New), rel)
		}
		for _, f := range p.Figures {
			figs++
			if f.Note != "" {
				fmt.Fprintf(w, "  figure  %s: %s\n", f.Name, f.Note)
				continue
			}
			fmt.Fprintf(w, "  figure  %s: %d of %d pixels changed (%.2g%%)\n", f.Name, f.Changed, f.Pixels, 100*float64(f.Changed)/float64(f.Pixels))
			if f.OldCaption != "" || f.NewCaption != "" {
				fmt.Fprintf(w, "          and its caption changed\n")
			}
		}
		// Steps with the same reasons on one line (a new tool version re-keys
		// every figure; a shared parameter every member of a group).
		var order []string
		byReason := map[string][]string{}
		for _, s := range p.Steps {
			steps++
			r := strings.Join(s.Reasons, "; ")
			if byReason[r] == nil {
				order = append(order, r)
			}
			byReason[r] = append(byReason[r], s.ID)
		}
		for _, r := range order {
			ids := byReason[r]
			names := strings.Join(ids, ", ")
			if len(ids) > 3 {
				names = fmt.Sprintf("%s, %s and %d more", ids[0], ids[1], len(ids)-2)
			}
			fmt.Fprintf(w, "  step    %s: %s\n", names, r)
		}
	}
	fmt.Fprintf(w, "%d claims changed (%d worse, %d better), %d values, %d figures, %d steps\n", verdicts, worse, better, values, figs, steps)
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
