package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
)

const namesModel = `model names
import "std/gle"
sim { dt = 10ms; duration = 1s; method = gle }
param kappa = 0.1 learnable
input x[1] = sine(freq = 1Hz)
population h[1] : gle(tau_m = 0.5s, tau_r = 0.1s, phi = tanh)
population y[1] : gle(tau_m = 0.5s, tau_r = 0.1s, phi = tanh)
connect x -> h W0 = [[1]] plastic
connect h -> y W1 = [[1]] plastic
energy { mismatch(h) + mismatch(y); homeostasis(h.r, 0.2, kappa); mse(y.r, 0.5) }
learn { lr = 0.01 }
`

// TestUserName checks that the step program's own buffers (messages,
// copies of parameters, temporaries) are named as the user writes the
// quantities, with the part they play, and never by their internal name.
func TestUserName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "names.vle")
	if err := os.WriteFile(path, []byte(namesModel), 0o644); err != nil {
		t.Fatal(err)
	}
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	prog := c.Program
	want := map[string][2]string{
		"msg:W1^T @ y.e": {"W1^T @ y.e", "a term of h.ebar"},
		"prev:kappa":     {"kappa", "as the previous step used it"},
		"h.u":            {"h.u", ""},
		"W1":             {"W1", ""},
		"cost":           {"cost", "the cost at the start of the step"},
	}
	for internal, w := range want {
		b := prog.Named[internal]
		if b == nil {
			t.Fatalf("the program has no buffer %s:\n%s", internal, prog)
		}
		name, note := userName(prog, b)
		if name != w[0] || note != w[1] {
			t.Errorf("%s: %q (%q), want %q (%q)", internal, name, note, w[0], w[1])
		}
	}
	temps := 0
	for _, b := range prog.Buffers {
		if !tempName.MatchString(b.Name) {
			continue
		}
		temps++
		name, note := userName(prog, b)
		t.Logf("%s: %s (%s)", b.Name, name, note)
		if tempRef.MatchString(name) || strings.ContainsAny(name+note, ":'") || !strings.HasPrefix(note, "a term of ") {
			t.Errorf("%s: %q (%q)", b.Name, name, note)
		}
	}
	if temps == 0 {
		t.Fatalf("no temporaries to name:\n%s", prog)
	}
}
