package cli

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// The completion scripts name every command and each command's flags, and
// the bash one is valid bash that completes them.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := run(t, "completion", shell)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", shell, code, stderr)
		}
		for _, want := range []string{"build", "verify", "profile", "dry-run", "budget"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s completion lacks %q", shell, want)
			}
		}
		if shell != "bash" {
			continue
		}
		if _, err := exec.LookPath("bash"); err != nil {
			t.Log("no bash: the script is not run")
			continue
		}
		script := stdout + `
COMP_WORDS=(kadanoff build --dry); COMP_CWORD=2; _kadanoff; echo "${COMPREPLY[@]}"
COMP_WORDS=(kadanoff ver); COMP_CWORD=1; _kadanoff; echo "${COMPREPLY[@]}"`
		out, err := exec.CommandContext(context.Background(), "bash", "-c", script).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--dry-run") || !strings.Contains(string(out), "verify version") {
			t.Errorf("bash completes: %s (%v)", out, err)
		}
	}
	if code, _, stderr := run(t, "completion", "tcsh"); code != ExitUsage || !strings.Contains(stderr, "bash, zsh or fish") {
		t.Errorf("an unknown shell: exit %d, %s", code, stderr)
	}
}
