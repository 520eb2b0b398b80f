package pipeline

import (
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// TestNumberChecks runs AtLeast and Between on every number kind, at and
// past their bounds.
func TestNumberChecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(spec.Value) error
		v     spec.Value
		err   string
	}{
		{"at least: equal", AtLeast(1), spec.Value{Kind: spec.Int, Int: 1}, ""},
		{"at least: below", AtLeast(1), spec.Value{Kind: spec.Int, Int: 0}, "must be at least 1, got 0"},
		{"at least: list", AtLeast(0.5), spec.Value{Kind: spec.Floats, Floats: []float64{1, 0.25}}, "got 0.25"},
		{"between: inside", Between(1, 16), spec.Value{Kind: spec.Int, Int: 16}, ""},
		{"between: above", Between(1, 16), spec.Value{Kind: spec.Int, Int: 17}, "must be between 1 and 16, got 17"},
		{"between: below in a list", Between(1, 16), spec.Value{Kind: spec.Ints, Ints: []int64{4, 0}}, "got 0"},
		{"between: float", Between(0, 1), spec.Value{Kind: spec.Float, Float: 1.5}, "got 1.5"},
		{"not a number", Between(0, 1), spec.Value{Kind: spec.String, Str: "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check(tc.v)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
