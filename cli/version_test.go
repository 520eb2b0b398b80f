package cli

import (
	"strings"
	"testing"
)

// A clean revision names the code; a modified tree's build (or one without a
// revision) adds the executable's size and time, so that a rebuilt binary
// rewrites the reports although its version reads the same.
func TestToolIdentity(t *testing.T) {
	for _, c := range []struct {
		version string
		exe     bool
	}{
		{"kadanoff (devel) 4dcc6469d30c go1.26.8", false},
		{"kadanoff v1.2.0 4dcc6469d30c go1.26.8", false},
		{"kadanoff (devel) 4dcc6469d30c+dirty go1.26.8", true},
		{"kadanoff (devel) go1.26.8", true},
	} {
		got := toolIdentity(c.version)
		if !strings.HasPrefix(got, c.version) || strings.Contains(got, "executable") != c.exe {
			t.Errorf("toolIdentity(%q) = %q, want the executable named: %v", c.version, got, c.exe)
		}
	}
}
