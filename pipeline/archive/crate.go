package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// CrateFile is the name of an archive's RO-Crate metadata file.
const CrateFile = "ro-crate-metadata.json"

// FileSum is a file's SHA-256 and size.
type FileSum struct {
	Digest cache.Digest
	Size   int64
}

// The profiles an archive's crate conforms to: RO-Crate 1.1 and the Workflow
// Run Crate profile (with the Process Run Crate it builds on).
const (
	crateSpec       = "https://w3id.org/ro/crate/1.1"
	processProfile  = "https://w3id.org/ro/wfrun/process/0.5"
	workflowProfile = "https://w3id.org/ro/wfrun/workflow/0.5"
	workflowROCrate = "https://w3id.org/workflowhub/workflow-ro-crate/1.0"
)

type ref struct {
	ID string `json:"@id"`
}

// Crate returns the RO-Crate metadata of an archive whose files (by path
// under the root folder, the crate itself left out) have the given sums:
// the root dataset holds every file with its SHA-256 and size; the specs are
// the workflow (mainEntity, ComputationalWorkflow); the build is a
// CreateAction whose instrument is the workflow, its objects the specs and
// its results the report; and every step is a CreateAction of its op
// (a SoftwareApplication) whose objects are its input blobs and results its
// output blobs, as the Workflow Run Crate profile describes a run.
func Crate(c *Contents, files map[string]FileSum) ([]byte, error) {
	m := c.Manifest
	if m == nil || len(m.Specs) == 0 {
		return nil, errors.New("archive: a crate needs a manifest naming the specs")
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var graph []map[string]any
	add := func(e map[string]any) { graph = append(graph, e) }
	refs := func(ids []string) []ref {
		out := make([]ref, len(ids))
		for i, id := range ids {
			out[i] = ref{id}
		}
		return out
	}
	add(map[string]any{"@id": CrateFile, "@type": "CreativeWork", "conformsTo": ref{crateSpec}, "about": ref{"./"}})
	root := map[string]any{
		"@id": "./", "@type": "Dataset",
		"name":        "Kadanoff reproducibility package, profile " + m.Profile,
		"description": "Specs, cache entries, output blobs and rendered report of a Kadanoff build; kadanoff verify --from and kadanoff build --from rebuild and check it.",
		"conformsTo":  refs([]string{processProfile, workflowProfile, workflowROCrate}),
		"mainEntity":  ref{"specs/" + m.Specs[0]},
		"hasPart":     refs(names),
		"mentions":    ref{"#build"},
	}
	if _, ok := files["LICENSE"]; ok {
		root["license"] = ref{"LICENSE"}
	}
	add(root)
	for _, p := range []struct{ id, name string }{
		{processProfile, "Process Run Crate"}, {workflowProfile, "Workflow Run Crate"}, {workflowROCrate, "Workflow RO-Crate"},
	} {
		add(map[string]any{"@id": p.id, "@type": "CreativeWork", "name": p.name, "version": p.id[strings.LastIndex(p.id, "/")+1:]})
	}
	add(map[string]any{"@id": "#kadanoff", "@type": "SoftwareApplication", "name": "Kadanoff", "version": m.Tool})
	add(map[string]any{"@id": "#kadanoff-spec", "@type": "ComputerLanguage", "name": "Kadanoff spec (YAML)",
		"url": "https://github.com/kadanoff/kadanoff/blob/main/pipeline/spec/FORMAT.md"})
	specs := map[string]bool{}
	var specIDs, reportIDs []string
	for _, s := range m.Specs {
		specs["specs/"+s] = true
		specIDs = append(specIDs, "specs/"+s)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "report/") {
			reportIDs = append(reportIDs, n)
		}
	}
	add(map[string]any{"@id": "#build", "@type": "CreateAction", "name": "kadanoff build --profile " + m.Profile,
		"instrument": ref{"specs/" + m.Specs[0]}, "agent": ref{"#kadanoff"}, "object": refs(specIDs), "result": refs(reportIDs),
		"description": "built on " + m.Machine})
	ops := map[string]bool{}
	for _, st := range m.Steps {
		op := fmt.Sprintf("#op-%s-%d", st.Op, st.Version)
		if !ops[op] {
			ops[op] = true
			add(map[string]any{"@id": op, "@type": "SoftwareApplication", "name": st.Op, "version": strconv.Itoa(st.Version),
				"isPartOf": ref{"#kadanoff"}})
		}
		var in, out []string
		for _, line := range strings.Split(st.Preimage, "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "input" {
				if _, ok := files["blobs/"+f[2]]; ok && !slices.Contains(in, "blobs/"+f[2]) {
					in = append(in, "blobs/"+f[2])
				}
			}
		}
		for _, o := range st.Outputs {
			out = append(out, "blobs/"+string(o.Digest))
		}
		add(map[string]any{"@id": "#step-" + string(st.Key), "@type": "CreateAction", "name": st.ID,
			"instrument": ref{op}, "object": refs(in), "result": refs(out), "identifier": string(st.Key)})
	}
	for _, n := range names {
		f := files[n]
		e := map[string]any{"@id": n, "@type": "File", "sha256": string(f.Digest), "contentSize": strconv.FormatInt(f.Size, 10)}
		if specs[n] {
			e["@type"] = []string{"File", "SoftwareSourceCode", "ComputationalWorkflow"}
			e["programmingLanguage"] = ref{"#kadanoff-spec"}
			e["name"] = path.Base(n)
		}
		if t := mediaType(n); t != "" {
			e["encodingFormat"] = t
		}
		add(e)
	}
	data, err := json.MarshalIndent(map[string]any{"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// mediaType is the media type of an archive file, by its name, or "".
func mediaType(name string) string {
	switch path.Ext(name) {
	case ".json":
		return "application/json"
	case ".yaml":
		return "application/yaml"
	case ".md":
		return "text/markdown"
	case ".html":
		return "text/html"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".csv":
		return "text/csv"
	case ".cff":
		return "application/x-yaml"
	}
	return ""
}

// CheckCrate parses an archive's RO-Crate and checks it against the files
// it describes (by path under the root folder, the crate left out): the
// metadata descriptor is about the root dataset; every reference (an object
// holding only @id) names an entity of the graph or an absolute URL; every
// File entity names a file of the archive with its SHA-256 and size; and
// every file is such an entity, part of the root dataset.
func CheckCrate(data []byte, files map[string]FileSum) error {
	var doc struct {
		Context any              `json:"@context"`
		Graph   []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Context == nil || len(doc.Graph) == 0 {
		return errors.New("not an RO-Crate: no @context or @graph")
	}
	byID := map[string]map[string]any{}
	for i, e := range doc.Graph {
		id, _ := e["@id"].(string)
		if id == "" {
			return fmt.Errorf("entity %d has no @id", i)
		}
		if byID[id] != nil {
			return fmt.Errorf("entity %s is defined twice", id)
		}
		byID[id] = e
	}
	if d := byID[CrateFile]; d == nil || idOf(d["about"]) != "./" {
		return errors.New("no metadata descriptor about the root dataset")
	}
	rootDS := byID["./"]
	if rootDS == nil {
		return errors.New("no root dataset")
	}
	var bad error
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if id, ok := t["@id"].(string); ok && len(t) == 1 && byID[id] == nil &&
				!strings.HasPrefix(id, "https://") && !strings.HasPrefix(id, "http://") && bad == nil {
				bad = fmt.Errorf("a reference to %s, which the crate does not define", id)
			}
			for k, x := range t {
				if k != "@id" {
					walk(x)
				}
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	for _, e := range doc.Graph {
		walk(e)
	}
	if bad != nil {
		return bad
	}
	parts := map[string]bool{}
	for _, p := range list(rootDS["hasPart"]) {
		parts[idOf(p)] = true
	}
	for id, e := range byID {
		if !hasType(e, "File") {
			continue
		}
		f, ok := files[id]
		if !ok {
			return fmt.Errorf("file entity %s is not in the archive", id)
		}
		if e["sha256"] != string(f.Digest) || e["contentSize"] != strconv.FormatInt(f.Size, 10) {
			return fmt.Errorf("file entity %s: its sha256 or contentSize does not match the file", id)
		}
	}
	for name := range files {
		if e := byID[name]; e == nil || !hasType(e, "File") || !parts[name] {
			return fmt.Errorf("%s is not described as a file of the root dataset", name)
		}
	}
	return nil
}

func idOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		id, _ := m["@id"].(string)
		return id
	}
	return ""
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func hasType(e map[string]any, t string) bool {
	for _, x := range list(e["@type"]) {
		if x == t {
			return true
		}
	}
	return false
}
