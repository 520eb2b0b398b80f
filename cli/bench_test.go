package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// bench nrg --quick --no-reference --json prints a timed step for one and two threads, each
// a positive number of seconds, the comparison left out.
func TestBenchNRGQuick(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"bench", "--quick", "--no-reference", "--json", "--time", "1ms", "nrg"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rows []benchRow
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	own := map[string]bool{}
	for _, r := range rows {
		if !(r.Value > 0) || math.IsInf(r.Value, 0) || r.Metric != "seconds/step" {
			t.Errorf("row %+v: want a positive, finite seconds/step", r)
		}
		if strings.HasPrefix(r.Kernel, "kadanoff") {
			own[r.Kernel] = true
		}
	}
	for _, k := range []string{"kadanoff nrg step, 1 thread", "kadanoff nrg step, 2 threads"} {
		if !own[k] {
			t.Errorf("no row %q in %+v", k, rows)
		}
	}
}
