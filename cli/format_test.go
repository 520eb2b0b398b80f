package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/spec"
	"github.com/kadanoff/kadanoff/reports"
)

// TestFormatExample checks that the example in the spec format document parses
// and plans against the real operations under both required profiles.
func TestFormatExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "pipeline", "spec", "FORMAT.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("FORMAT.md has no yaml example")
	}
	s, err := spec.Parse("FORMAT.md", m[1])
	if err != nil {
		t.Fatalf("the example does not parse:\n%v", err)
	}
	for _, profile := range spec.RequiredProfiles {
		plan, err := pipeline.NewPlan([]*spec.Spec{s}, DefaultRegistry(), profile)
		if err != nil {
			t.Fatalf("profile %s: %v", profile, err)
		}
		// noise has 3 replicates (2 in the quick profile), and 7 other steps.
		if want := map[string]int{"quick": 9, "paper": 10}[profile]; len(plan.Nodes) != want {
			t.Errorf("profile %s: %d steps, want %d", profile, len(plan.Nodes), want)
		}
	}
	if len(s.Numbers) != 1 || len(s.Claims) != 1 || len(s.Figures) != 1 {
		t.Errorf("example lost sections: %+v", s)
	}
}

// TestConfigsUnderEveryProfile plans every spec of configs/ under every
// profile it declares and checks its narrative there: a profile-only
// element, or an {{only}} block, must leave each profile's view whole.
func TestConfigsUnderEveryProfile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "configs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no specs: %v", err)
	}
	for _, f := range files {
		s, err := spec.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for name := range s.Profiles {
			plan, err := pipeline.NewPlan([]*spec.Spec{s}, DefaultRegistry(), name)
			if err != nil {
				t.Errorf("%s, profile %s: %v", filepath.Base(f), name, err)
				continue
			}
			v := plan.Specs[0]
			if err := reports.Check(&reports.Paper{Spec: v, Profile: name, Params: reports.StepParams(plan, v)}); err != nil {
				t.Errorf("%s, profile %s: narrative: %v", filepath.Base(f), name, err)
			}
		}
	}
}
