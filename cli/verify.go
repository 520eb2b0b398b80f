package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/archive"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// verdictOf is how a step's recomputed outputs compare with the cached ones.
type verified struct {
	Step    string  `json:"step"`
	Op      string  `json:"op"`
	Seconds float64 `json:"seconds"` // the recomputation's time
	Result  string  `json:"result"`  // identical, within tolerance, different or failed
	MaxAbs  float64 `json:"max_abs,omitempty"`
	MaxRel  float64 `json:"max_rel,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	Machine string  `json:"machine,omitempty"` // what computed the cached outputs
}

// verify re-executes cached steps and compares what they produce with what
// the cache holds.
func verify(ctx context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("verify", env)
	c.register(fs)
	steps := fs.String("steps", "", "verify these steps (comma-separated) instead of every cached one")
	sample := fs.Float64("sample", 1, "verify this fraction of the cached steps, chosen by their keys (the same ones every time)")
	budget := fs.Duration("budget", 0, "verify the cheapest steps whose recorded build times fit in this duration, and list the others")
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list every step verified, not only those that are not identical")
	from := fs.String("from", "", "verify the steps of a kadanoff pack archive (its specs, profile and cache) instead of the local cache")
	var err error
	if c.specs, err = parse(fs, args); err != nil {
		return exitForFlags(err)
	}
	var archived *archive.Manifest
	if *from != "" {
		if len(c.specs) > 0 {
			fmt.Fprintln(env.Stderr, "kadanoff verify: --from takes the specs from the archive; give no SPEC")
			return ExitUsage
		}
		u, err := unpack(ctx, *from)
		if err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff verify --from:", err)
			if ctx.Err() != nil {
				return ExitInterrupted
			}
			return ExitFailed
		}
		defer os.RemoveAll(u.dir)
		c.specs, c.profile, c.seed, c.cacheDir = u.specs, u.manifest.Profile, u.manifest.Seed, u.cacheDir
		archived = u.manifest
		if !*asJSON {
			fmt.Fprintf(env.Stdout, "archive %s: built by %s on %s, profile %s\n", *from, u.manifest.Tool, u.manifest.Machine, u.manifest.Profile)
		}
	}
	if *sample <= 0 || *sample > 1 {
		fmt.Fprintln(env.Stderr, "kadanoff verify: --sample must be in (0, 1]")
		return ExitUsage
	}
	plan, cc, code := c.plan(env)
	if code != ExitOK {
		return code
	}
	if archived != nil {
		if err := checkArchived(plan, cc, archived); err != nil {
			fmt.Fprintf(env.Stderr, "kadanoff verify --from: %s: %v\n", *from, err)
			return ExitFailed
		}
	}
	res, err := pipeline.Resolve(cc, plan.Nodes)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	var chosen []*pipeline.Node
	if *steps != "" {
		if chosen, err = resolveTargets(plan, *steps); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff verify: --steps:", err)
			return ExitUsage
		}
		for _, n := range chosen {
			if res[n].Entry == nil {
				fmt.Fprintf(env.Stderr, "kadanoff verify: %s is not cached under profile %s; build it first\n", n.ID, plan.Profile)
				return ExitFailed
			}
		}
	} else {
		for _, n := range plan.Nodes {
			r := res[n]
			if r.Entry != nil && keyFraction(r.Key) < *sample {
				chosen = append(chosen, n)
			}
		}
	}
	var skipped []*pipeline.Node
	if *budget > 0 {
		sort.SliceStable(chosen, func(i, j int) bool { return res[chosen[i]].Entry.Seconds < res[chosen[j]].Entry.Seconds })
		var sum float64
		for i, n := range chosen {
			sum += res[n].Entry.Seconds
			if sum > budget.Seconds() {
				skipped = append(skipped, chosen[i:]...)
				chosen = chosen[:i]
				break
			}
		}
	}
	local := &pipeline.Local{Registry: env.Registry, Store: cc}
	var out []verified
	bad := 0
	for _, n := range chosen {
		v := verifyStep(ctx, local, cc, n, res)
		if v.Result == "different" || v.Result == "failed" {
			bad++
		}
		out = append(out, v)
		if ctx.Err() != nil {
			break
		}
	}
	if *asJSON {
		doc := struct {
			Profile  string     `json:"profile"`
			Machine  string     `json:"machine"`
			Steps    []verified `json:"steps"`
			Skipped  []string   `json:"skipped,omitempty"`
			Problems int        `json:"problems"`
		}{Profile: plan.Profile, Machine: machineDescription(), Steps: out, Problems: bad}
		for _, n := range skipped {
			doc.Skipped = append(doc.Skipped, n.ID)
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(doc)
	} else {
		counts := map[string]int{}
		var listed []verified
		for _, v := range out {
			counts[v.Result]++
			if *all || v.Result != "identical" {
				listed = append(listed, v)
			}
		}
		fmt.Fprintf(env.Stdout, "verified %d steps on %s: %d differ or failed, %d skipped; %d identical, %d within their op's tolerance\n",
			len(out), machineDescription(), bad, len(skipped), counts["identical"], counts["within tolerance"])
		if len(listed) > 0 {
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "step\top\ttime\tresult\tmax abs\tmax rel")
			for _, v := range listed {
				abs, rel := "", ""
				if v.Result != "identical" && v.Result != "failed" {
					abs, rel = fmt.Sprintf("%.3g", v.MaxAbs), fmt.Sprintf("%.3g", v.MaxRel)
				}
				result := v.Result
				if v.Detail != "" {
					result += " (" + v.Detail + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Step, v.Op, seconds(v.Seconds), result, abs, rel)
			}
			tw.Flush()
		}
		if !*all && counts["identical"] > 0 {
			fmt.Fprintf(env.Stdout, "(%d identical steps not listed; --all lists them)\n", counts["identical"])
		}
		for _, n := range skipped {
			fmt.Fprintf(env.Stdout, "skipped %s (built in %s; over the budget)\n", n.ID, seconds(res[n].Entry.Seconds))
		}
	}
	if ctx.Err() != nil {
		return ExitInterrupted
	}
	if bad > 0 {
		return ExitFailed
	}
	if len(out) == 0 {
		fmt.Fprintln(env.Stderr, "kadanoff verify: no step was verified (nothing cached, or nothing chosen): that is not a pass")
		return ExitFailed
	}
	return ExitOK
}

// keyFraction maps an action key to [0, 1), so that --sample picks the same
// steps on every run.
func keyFraction(k cache.Digest) float64 {
	var x uint32
	for i := 0; i < 8 && i < len(k); i++ {
		x = x<<4 | uint32(hexDigit(k[i]))
	}
	return float64(x) / (1 << 32)
}

func hexDigit(b byte) byte {
	switch {
	case b >= '0' && b <= '9':
		return b - '0'
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10
	}
	return 0
}

func verifyStep(ctx context.Context, local *pipeline.Local, cc *cache.Cache, n *pipeline.Node, res map[*pipeline.Node]*pipeline.Resolution) verified {
	r := res[n]
	v := verified{Step: n.ID, Op: n.Op.Name(), Machine: r.Entry.Machine}
	task, err := pipeline.TaskFor(n, res, runtime.NumCPU())
	if err != nil {
		v.Result, v.Detail = "failed", err.Error()
		return v
	}
	start := time.Now()
	outcome, err := local.Execute(ctx, task, nil)
	v.Seconds = time.Since(start).Seconds()
	if err != nil {
		v.Result, v.Detail = "failed", err.Error()
		return v
	}
	tol := 0.0
	if t, ok := n.Op.(pipeline.Tolerant); ok {
		tol = t.Tol()
	}
	v.Result = "identical"
	for _, blob := range outcome.Blobs {
		stored, o, err := outputOf(cc, r.Entry, blob.Name)
		if err != nil {
			v.Result, v.Detail = "failed", err.Error()
			return v
		}
		if bytes.Equal(stored, blob.Data) {
			continue
		}
		a, errA := floatsOf(artifact.Kind(o.Kind), stored)
		b, errB := floatsOf(blob.Kind, blob.Data)
		if errA != nil || errB != nil || len(a) != len(b) {
			v.Result, v.Detail = "different", "output "+blob.Name+" differs and cannot be compared as numbers"
			return v
		}
		for i := range a {
			d := math.Abs(a[i] - b[i])
			if math.IsNaN(a[i]) && math.IsNaN(b[i]) {
				d = 0
			}
			scale := math.Max(math.Max(math.Abs(a[i]), math.Abs(b[i])), 1e-300)
			v.MaxAbs, v.MaxRel = math.Max(v.MaxAbs, d), math.Max(v.MaxRel, d/scale)
		}
		switch {
		case v.MaxRel == 0 && v.Result == "identical":
			v.Result, v.Detail = "identical", "same numbers, different encoding"
		case tol > 0 && v.MaxRel <= tol:
			v.Result, v.Detail = "within tolerance", fmt.Sprintf("op tolerance %g", tol)
		default:
			v.Result, v.Detail = "different", "output "+blob.Name
			return v
		}
	}
	return v
}

func outputOf(cc *cache.Cache, e *cache.Entry, name string) ([]byte, *cache.Output, error) {
	for i, o := range e.Outputs {
		if o.Name == name {
			data, err := cc.GetBlob(o.Digest)
			return data, &e.Outputs[i], err
		}
	}
	return nil, nil, fmt.Errorf("the cache entry has no output %q", name)
}

// floatsOf decodes an output's numbers: an array's values, a table's columns
// in order, scalars' values in key order.
func floatsOf(kind artifact.Kind, data []byte) ([]float64, error) {
	switch kind {
	case artifact.KindArray:
		a, err := artifact.DecodeNPY(data)
		if err != nil {
			return nil, err
		}
		return a.Float64s(), nil
	case artifact.KindTable:
		t, err := artifact.DecodeCSV(data)
		if err != nil {
			return nil, err
		}
		var out []float64
		for _, c := range t.Columns {
			out = append(out, c.Values...)
		}
		return out, nil
	case artifact.KindScalars:
		s, err := artifact.DecodeJSON(data)
		if err != nil {
			return nil, err
		}
		var out []float64
		for _, name := range s.Names() {
			out = append(out, s[name].Value, s[name].Err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot compare %s outputs as numbers", kind)
}

// seconds prints a step's time as a duration a reader takes in at once
// ("48µs", "1.3s", "2m5s"), not as 4.87e-05.
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= 10*time.Second:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(100 * time.Microsecond)
	default:
		d = d.Round(time.Microsecond)
	}
	return d.String()
}
