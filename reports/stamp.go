package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// StampFile is the file in a report directory that records what the report
// was written from and the files written, so that a build with the same
// inputs leaves the report alone without reading a blob (Fresh). It belongs
// to the directory, not to the report: pack leaves it out.
const StampFile = ".kadanoff-stamp.json"

// stamp is the content of StampFile.
type stamp struct {
	Inputs cache.Digest     `json:"inputs"`
	Files  map[string]int64 `json:"files"` // path under the report directory → size
	// Counts is the report's summary without its lists: the verdicts
	// counted, for the build's line.
	Counts *Summary `json:"counts"`
}

// Inputs returns the digest of everything the report of spec s is written
// from: the tool, the profile, the spec's and the narrative's bytes, and
// every step of the spec with its key, its failure if it failed, and its cache entry's
// outputs and time. Two builds with equal Inputs write the same report.
func Inputs(plan *pipeline.Plan, s *spec.Spec, sum *pipeline.Summary, tool string) (cache.Digest, error) {
	specBytes, err := os.ReadFile(s.File)
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.File, err)
	}
	narrative, err := os.ReadFile(s.Narrative)
	if err != nil {
		return "", narrativeError(s, err)
	}
	type stepIn struct {
		ID, Key, Err string
		Outputs      []cache.Output `json:",omitempty"`
		Seconds      float64        `json:",omitempty"`
	}
	doc := struct {
		Tool, Profile, Spec, Narrative string
		Steps                          []stepIn
	}{Tool: tool, Profile: plan.Profile, Spec: string(cache.Sum(specBytes)), Narrative: string(cache.Sum(narrative))}
	var mine []*pipeline.Node
	for _, n := range plan.Nodes {
		if n.Spec == s {
			mine = append(mine, n)
		}
	}
	for _, n := range plan.Closure(mine) {
		st := stepIn{ID: n.ID}
		if r := sum.Results[n]; r != nil {
			st.Key = string(r.Key)
			if r.Status == pipeline.Failed {
				st.Err = "failed: " + r.Err.Error()
			}
			if r.Entry != nil {
				st.Outputs, st.Seconds = r.Entry.Outputs, r.Entry.Seconds
			}
		}
		doc.Steps = append(doc.Steps, st)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return cache.Sum(data), nil
}

// Fresh reports whether the report of paper id under out was written from
// inputs (Inputs) and every file written then is still there at its size:
// writing it again would change nothing. It returns the report's summary
// without its lists (the verdicts counted); ReadSummary has all of it.
func Fresh(out, id string, inputs cache.Digest) (*Summary, bool) {
	dir := filepath.Join(out, id)
	data, err := os.ReadFile(filepath.Join(dir, StampFile))
	if err != nil {
		return nil, false
	}
	var st stamp
	if json.Unmarshal(data, &st) != nil || st.Inputs != inputs || len(st.Files) == 0 || st.Counts == nil || st.Counts.ID != id {
		return nil, false
	}
	for name, size := range st.Files {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
			return nil, false
		}
	}
	return st.Counts, true
}

// ReadSummary reads the summary.json of paper id's report under out.
func ReadSummary(out, id string) (*Summary, error) {
	data, err := os.ReadFile(filepath.Join(out, id, "summary.json"))
	if err != nil {
		return nil, err
	}
	return ParseSummary(data)
}

// writeStamp records that the files of dir were written from inputs.
func writeStamp(dir string, inputs cache.Digest, files map[string][]byte, sum Summary) error {
	sum.Verdicts, sum.CheckRecords, sum.Values, sum.Figures, sum.Steps = nil, nil, nil, nil, nil
	st := stamp{Inputs: inputs, Files: map[string]int64{}, Counts: &sum}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		st.Files[name] = int64(len(files[name]))
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return cache.WriteFile(filepath.Join(dir, StampFile), append(data, '\n'))
}
