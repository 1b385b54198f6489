package vlec_test

import (
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/lang/check"
)

func TestCompile(t *testing.T) {
	for _, tc := range []struct {
		path        string
		opts        vlec.Options
		method      check.Method
		free, learn bool
	}{
		{"examples/chain2.vle", vlec.Options{}, check.GLE, false, true},
		{"examples/chain2.vle", vlec.Options{Method: check.LE}, check.LE, false, true},
		{"examples/chain2.vle", vlec.Options{Free: true}, check.GLE, true, false},
		{"examples/chain2_adjoint.vle", vlec.Options{}, check.Adjoint, true, false},
	} {
		c, src, err := vlec.Compile(tc.path, tc.opts)
		if err != nil {
			t.Fatalf("%s: %s", tc.path, src.Format(err))
		}
		learns := len(c.Program.Deltas) > 0
		if c.Model.Sim.Method != tc.method || (c.Reverse != nil) != tc.free || learns != tc.learn {
			t.Errorf("%s %+v: method %s, reverse sweep %v, learning %v; want %s, %v, %v",
				tc.path, tc.opts, c.Model.Sim.Method, c.Reverse != nil, learns, tc.method, tc.free, tc.learn)
		}
	}
	if _, _, err := vlec.Compile("stdlib/std/gle.vle", vlec.Options{}); err == nil || !strings.Contains(err.Error(), "is a library") {
		t.Errorf("compiling a library: %v", err)
	}
}
