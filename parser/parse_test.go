package parser

import (
	"testing"
)

func TestParseSketch(t *testing.T) {
	src := `model chain2
import "std/gle"
sim { dt = 10ms; duration = 30s; batch = 1; method = gle; learn_after = 5s }
input x[1] = sine(freq = 0.3) + 0.5 * sine(freq = 0.11, phase = 1.0)
population h[1] : gle(tau_m = 0.5 learnable, tau_r = 0.1, phi = softplus)
connect x -> h  W0 = [[0.3]] plastic
teacher T = chain2_teacher(x)
energy {
  mismatch(h)
  beta * mse(y.r, T.y.r)
}
learn { lr = 0.003 }
record y.r, h.u, W0 every 1 step
`
	f, err := Parse("sketch.vle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Decls) != 9 {
		t.Fatalf("got %d decls", len(f.Decls))
	}
}
