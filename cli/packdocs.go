package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/archive"
	"github.com/kadanoff/kadanoff/pipeline/spec"
	"github.com/kadanoff/kadanoff/reports"
)

// repository is where the tool's source lives, for citations.
const repository = "https://github.com/kadanoff/kadanoff"

// packDate is the date an archive is stamped with: SOURCE_DATE_EPOCH's
// (the reproducible-builds convention) when set, else today's, in UTC.
func packDate(env Env) (time.Time, error) {
	if s := env.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Now().UTC(), nil
}

// packRoot names an archive's root folder for its papers, profile and date:
// kadanoff-dmk2020-ms2014-paper-2026-12-05.
func packRoot(plan *pipeline.Plan, date time.Time) string {
	var ids []string
	for _, s := range plan.Specs {
		ids = append(ids, s.Paper.ID)
	}
	return "kadanoff-" + strings.Join(ids, "-") + "-" + plan.Profile + "-" + date.Format("2006-01-02")
}

// packDocs returns the documents a reader of an archive opens first: the
// README (what it is, how to look at it, how to check it, the command that
// rebuilds each claim, what building it took), the citation of the tool and
// of the papers, and the licence. sums are the papers' report summaries.
func packDocs(plan *pipeline.Plan, c *archive.Contents, sums []*reports.Summary, date time.Time) map[string][]byte {
	m := c.Manifest
	var cpu float64
	for _, e := range c.Entries {
		cpu += e.Seconds
	}
	file := c.Root + ".tar.zst"
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", c.Root)
	fmt.Fprintf(&b, "A reproducibility package written by `kadanoff pack` on %s: the specs and narratives of %d paper(s), every "+
		"step of their build at profile `%s` with its action key and outputs, and the rendered reports. Nothing in it needs "+
		"recomputing to be read or checked.\n\n", date.Format("2006-01-02"), len(plan.Specs), m.Profile)
	b.WriteString("| paper | claims | checks |\n|---|---|---|\n")
	for _, s := range sums {
		fmt.Fprintf(&b, "| %s (`%s`) | %d reproduced, %d seed-dependent, %d not reproduced, %d not evaluated | %d of %d pass |\n",
			s.Title, s.ID, s.Reproduced, s.SeedDependent, s.NotReproduced, s.NotEvaluated, s.ChecksPassed, s.Checks)
	}
	b.WriteString("\n## Look at it\n\nOpen `report/index.html` in a browser (it needs no server and no network): one report per paper, " +
		"each opening with its claims ledger. `report/PAPER/README.md` is the same report as Markdown.\n\n")
	b.WriteString("## Check it\n\nWith Kadanoff installed (`go install " + strings.TrimPrefix(repository, "https://") + "/cmd/kadanoff@latest`, " +
		"Go only; or from a checkout, `go run ./cmd/kadanoff`):\n\n```\n")
	fmt.Fprintf(&b, "kadanoff build --from %s --out report-again   # the report from the archive's cache, every blob checked, nothing run\n", file)
	fmt.Fprintf(&b, "kadanoff verify --from %s --budget 10m        # re-execute a sample of steps and compare their outputs\n", file)
	fmt.Fprintf(&b, "kadanoff verify --from %s                     # every step (the running time below)\n", file)
	b.WriteString("```\n\n")
	fmt.Fprintf(&b, "The archive was built by %s on %s; its %d steps ran for %s in all (each step's running time, summed).\n\n",
		m.Tool, m.Machine, len(m.Steps), time.Duration(cpu*float64(time.Second)).Round(time.Second))
	b.WriteString("## Rebuild one claim\n\nFrom a checkout of the specs (`specs/`), each command rebuilds what one claim rests on, at this profile:\n\n")
	for _, s := range sums {
		fmt.Fprintf(&b, "### %s\n\n| claim | verdict | command |\n|---|---|---|\n", s.Title)
		records := append(append([]reports.ClaimRecord(nil), s.Verdicts...), s.CheckRecords...)
		for _, r := range records {
			cmd := "n/a"
			if r.Step != "" {
				cmd = "`" + reports.RebuildCommand(m.Profile, r.Step) + "`"
			}
			verdict := r.Verdict
			if r.Check {
				verdict = "check " + map[string]string{"reproduced": "passes", "not reproduced": "fails"}[r.Verdict]
				if strings.HasSuffix(verdict, " ") {
					verdict += r.Verdict
				}
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Name, verdict, cmd)
		}
		b.WriteString("\n")
	}
	b.WriteString("## What is inside\n\n" +
		"- `manifest.json`: the profile, seed, tool, machine, every spec file's SHA-256, and every step's action key, preimage and outputs.\n" +
		"- `specs/`: the specs and narratives. `actions/KEY`: each step's cache entry. `blobs/DIGEST`: each output, named by its SHA-256.\n" +
		"- `report/`: the rendered reports. `ro-crate-metadata.json`: the same as an RO-Crate (Workflow Run Crate profile): the specs as " +
		"the workflow, each step as an action of its op with its input and output files and their digests.\n" +
		"- `CITATION.cff`: how to cite the tool and the papers. `LICENSE`: the tool's licence (the papers' own texts are not included).\n")
	docs := map[string][]byte{
		"README.md":    []byte(b.String()),
		"CITATION.cff": citation(plan, m, date),
		"LICENSE":      []byte(kadanoff.License),
	}
	return docs
}

// citation is the archive's CITATION.cff: the tool, with the papers it
// reproduces as references.
func citation(plan *pipeline.Plan, m *archive.Manifest, date time.Time) []byte {
	q := func(s string) string { // a YAML double-quoted scalar (JSON's string syntax, unescaped &, <, >)
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	var b strings.Builder
	b.WriteString("cff-version: 1.2.0\n")
	b.WriteString("message: \"If you use this package, cite the papers it reproduces and the tool that built it.\"\n")
	b.WriteString("type: software\ntitle: Kadanoff\n")
	fmt.Fprintf(&b, "version: %s\n", q(m.Tool))
	fmt.Fprintf(&b, "date-released: %s\n", q(date.Format("2006-01-02")))
	fmt.Fprintf(&b, "repository-code: %s\nlicense: MIT\n", q(repository))
	b.WriteString("authors:\n  - name: \"The Kadanoff authors\"\n")
	b.WriteString("references:\n")
	papers := make([]spec.Paper, 0, len(plan.Specs))
	for _, s := range plan.Specs {
		papers = append(papers, s.Paper)
	}
	sort.Slice(papers, func(i, j int) bool { return papers[i].ID < papers[j].ID })
	for _, p := range papers {
		fmt.Fprintf(&b, "  - type: article\n    title: %s\n    authors:\n      - name: %s\n", q(p.Title), q(p.Authors))
		if p.Citation != "" {
			fmt.Fprintf(&b, "    notes: %s\n", q(p.Citation))
		}
		if p.Link != "" {
			fmt.Fprintf(&b, "    url: %s\n", q(p.Link))
		}
	}
	return []byte(b.String())
}
