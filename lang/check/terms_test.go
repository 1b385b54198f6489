package check_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// TestTermSources checks the source text each energy term is named by in
// derived equations: terms on one line split at ; and +, without the
// block's braces or a comment.
func TestTermSources(t *testing.T) {
	for _, tc := range []struct {
		energy string
		want   []string
	}{
		{"energy { mismatch(h); 0.1 * sumsq(h.r) }", []string{"mismatch(h)", "0.1 * sumsq(h.r)"}},
		{"energy {\n  mismatch(h) + 0.1 * sumsq(h.r) // two terms\n}", []string{"mismatch(h)", "0.1 * sumsq(h.r)"}},
		{"energy {\n  mismatch(h)\n  0.2 * sumsq((h.r - 1) * (h.r + 2)); 0.1 * sum(h.r)\n}", []string{"mismatch(h)", "0.2 * sumsq((h.r - 1) * (h.r + 2))", "0.1 * sum(h.r)"}},
		{"energy { mismatch(h) }", []string{"mismatch(h)"}},
	} {
		src := "model m\nimport \"std/gle\"\ninput x[1] = 0\npopulation h[1] : gle(tau_m = 20ms)\nconnect x -> h W = [[1]]\n" + tc.energy + "\n"
		path := filepath.Join(t.TempDir(), "m.vle")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		m, sources, err := check.Load(path)
		if err != nil {
			t.Fatalf("%s\n%s", tc.energy, sources.Format(err))
		}
		var got []string
		for _, term := range m.Energy {
			got = append(got, term.Source)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: terms %q, want %q", tc.energy, got, tc.want)
		}
	}
}
