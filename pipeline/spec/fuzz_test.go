package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzSpec feeds arbitrary bytes to the spec reader, seeded with the
// repository's specs and the bad-spec corpus: no input may panic, and every
// rejection is a located spec error.
func FuzzSpec(f *testing.F) {
	for _, glob := range []string{"../../configs/*.yaml", "../../cli/testdata/badspecs/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("steps:\n  g:\n    foreach: {a: [1, 2]}\n    with: {b: [3, 4]}\n    steps: {s: {op: x, params: {v: $a}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxSize {
			return
		}
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error of type %T, not spec.Errors: %v", err, err)
			}
			return
		}
		for _, st := range s.Steps {
			for _, prof := range RequiredProfiles {
				if _, err := s.EffectiveParams(st, prof); err != nil {
					t.Fatalf("a parsed spec has no profile %s: %v", prof, err)
				}
			}
		}
	})
}
