package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	usercommand "github.com/kadanoff/kadanoff/pipeline/command"
)

// fingerprintFile records, per GEMM kernel, what every step of the quick
// builds of configs/ (and of testdata/fingerprint/extra.yaml, for the ops no
// paper uses) gave: its op and version, its action key and the
// digests of its outputs.
const fingerprintFile = "testdata/fingerprints.json"

// fingerprint is one step's record: "op@version key16 outputs16", where
// key16 is the action key's first 16 hex digits and outputs16 those of the
// SHA-256 of its outputs' digests.
type fingerprints map[string]map[string]string // kernel → step → record

// TestOpFingerprints catches an op whose output bytes changed without a
// version bump: a step whose action key is the recorded one (same op
// version, parameters, inputs and seed) must give the recorded bytes. Keys
// new to the file (a spec or an op version changed) and ops without a
// fingerprint fail until go test ./cli -run Fingerprints -update records
// them. Floats computed through the GEMM follow its kernel's rounding, so
// each kernel (AVX-512, AVX2, portable) has its own record; a machine whose
// kernel has none skips the comparison (and -update adds it).
func TestOpFingerprints(t *testing.T) {
	kernel := linalg.Best().String()
	got := map[string]string{}
	covered := map[string]bool{}
	specs, err := filepath.Glob(filepath.Join(repoRoot(t), "configs", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatal("no specs", err)
	}
	for _, f := range append(specs, filepath.Join("testdata", "fingerprint", "extra.yaml")) {
		dir, _ := sharedQuickSpec(t, f)
		_, plan, res := resolveQuick(t, dir, f)
		for _, n := range plan.Nodes {
			r := res[n]
			if r.Entry == nil {
				t.Fatalf("%s is not in the shared quick build", n.ID)
			}
			var outs strings.Builder
			for _, o := range r.Entry.Outputs {
				fmt.Fprintf(&outs, "%s %s\n", o.Name, o.Digest)
			}
			key := string(r.Key[:16])
			if n.Op.Name() == usercommand.Name {
				key = "-" // its key names the machine's interpreter (path and version): the outputs are what must agree
			}
			got[n.ID] = fmt.Sprintf("%s@%d %s %s", n.Op.Name(), n.Op.Version(), key, cache.Sum([]byte(outs.String()))[:16])
			covered[n.Op.Name()] = true
		}
	}
	var missing []string
	for _, op := range DefaultRegistry().List() {
		if !covered[op.Name()] {
			missing = append(missing, op.Name())
		}
	}
	if len(missing) > 0 {
		t.Errorf("ops no quick build runs, so without a fingerprint: %s (add a step using each to a spec's quick profile)", strings.Join(missing, ", "))
	}
	all := fingerprints{}
	if data, err := os.ReadFile(fingerprintFile); err == nil {
		if err := json.Unmarshal(data, &all); err != nil {
			t.Fatalf("%s: %v", fingerprintFile, err)
		}
	}
	if *update {
		all[kernel] = got
		data, _ := json.MarshalIndent(all, "", " ")
		if err := os.WriteFile(fingerprintFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, ok := all[kernel]
	if !ok {
		t.Skipf("%s has no fingerprints for the %s kernel; go test ./cli -run Fingerprints -update adds them", fingerprintFile, kernel)
	}
	recorded := map[string]string{} // op@version key16 → outputs16
	for _, rec := range want {
		f := strings.Fields(rec)
		recorded[f[0]+" "+f[1]] = f[2]
	}
	var unknown []string
	changed := map[string][]string{} // op@version → steps
	for _, step := range sortedKeys(got) {
		f := strings.Fields(got[step])
		out, ok := recorded[f[0]+" "+f[1]]
		switch {
		case !ok:
			unknown = append(unknown, step)
		case out != f[2]:
			changed[f[0]] = append(changed[f[0]], step)
		}
	}
	for op, steps := range changed {
		t.Errorf("op %s gives other bytes for the same action key at %d steps (%s): its outputs changed without a version bump; bump its OpVersion, then go test ./cli -run Fingerprints -update",
			op, len(steps), steps[0])
	}
	if len(unknown) > 0 {
		t.Errorf("%d steps have keys %s does not know (a spec or an op version changed), e.g. %s: go test ./cli -run Fingerprints -update records them", len(unknown), fingerprintFile, unknown[0])
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
