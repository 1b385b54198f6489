// Package goldentest reads the exact gradients of shared/golden (the
// NAME.bptt.json files: automatic differentiation through the GLE
// reference implementation) for the tests that compare vlec's gradients
// with them: the interpreter's reverse sweep, vlec grad, and the generated
// simulators'.
package goldentest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// Gradients is a NAME.bptt.json file, also the JSON of vlec grad --json:
// the loss over Steps steps and its gradient by parameter, in the
// reference's names (W0, b1, tau_m1), each a vector or a matrix.
type Gradients struct {
	Steps int                        `json:"steps"`
	Loss  float64                    `json:"loss"`
	Grad  map[string]json.RawMessage `json:"grad"`
}

// Load reads dir/NAME.bptt.json, skipping the test with a clear message
// when dir is absent (outside CI; in CI shared/golden is always beside
// the repository).
func Load(t testing.TB, dir, name string) Gradients {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", dir, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+".bptt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g Gradients
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s.bptt.json: %v", name, err)
	}
	return g
}

var refName = regexp.MustCompile(`^(W|b|tau_m)(\d+)$`)

// Param maps a reference name to vlec's: W1 is the second connection of
// m, b0 and tau_m1 the b of the first population and the tau_m of the
// second (h.b, y.tau_m); other names are the same in both.
func Param(m *check.Model, key string) string {
	g := refName.FindStringSubmatch(key)
	if g == nil {
		return key
	}
	l, _ := strconv.Atoi(g[2])
	if g[1] == "W" {
		return m.Connections[l].Name
	}
	return m.Populations[l].Name + "." + g[1]
}

// Flatten is a gradient's values, a matrix row by row.
func Flatten(t testing.TB, msg json.RawMessage) []float64 {
	t.Helper()
	var m [][]float64
	if json.Unmarshal(msg, &m) == nil {
		var out []float64
		for _, row := range m {
			out = append(out, row...)
		}
		return out
	}
	var v []float64
	if err := json.Unmarshal(msg, &v); err != nil {
		t.Fatalf("a gradient that is neither a vector nor a matrix: %v", err)
	}
	return v
}
