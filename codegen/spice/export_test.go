package spice

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden netlists in testdata")

// exportFile compiles the model at path as vlec export spice does and
// exports it; the error is formatted with positions as the CLI prints
// them (file:line:col: message).
func exportFile(t *testing.T, path string, opts Options) (*Result, error) {
	t.Helper()
	c, _, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	sim, err := runtime.New(c.Program, runtime.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer sim.Close()
	opts.Teacher = func(tc *check.Teacher) Values { return sim.Teacher(tc).Values }
	if opts.Data == "" {
		opts.Data = "out.data"
	}
	return Export(c.System, c.Program, sim.Values, opts)
}

// TestRefusals checks that what the mapping cannot express is refused
// with a message naming the construct, positioned where the source has
// it.
func TestRefusals(t *testing.T) {
	ex := func(f string) string { return filepath.Join("..", "..", "examples", f) }
	td := func(f string) string { return filepath.Join("testdata", f) }
	cases := []struct {
		path string
		opts Options
		want string // a regexp the error must match
	}{
		{td("softmax.vle"), Options{WithErrors: true}, `softmax\.vle:18:\d+: energy term loss\(cross_entropy\(y\.r, T\.y\.r\)\): the error of y needs softmax\(y\.uhat_r\).* export without --with-errors`},
		{td("noise.vle"), Options{}, `noise\.vle:7:\d+: ou noise has no circuit form`},
		{td("adam.vle"), Options{Learn: true}, `adam\.vle:\d+:\d+: optimizer adam with --learn`},
		{ex("chain2_adjoint.vle"), Options{WithErrors: true}, `chain2_adjoint\.vle:\d+:\d+: method adjoint: .*reverse sweep`},
		{ex("chain2_teacher.vle"), Options{Learn: true}, `chain2_teacher\.vle:\d+:\d+: --learn: nothing in model chain2_teacher learns`},
		{ex("mnist1d/mnist1d.vle"), Options{}, `mnist1d\.vle:41:\d+: input x presents data set digits`},
		{td("filein.vle"), Options{}, `filein\.vle:8:\d+: input x reads the file .*filein\.csv: export spice writes it as a PWL source .* need Options\.Series`},
		{ex("mlp.vle"), Options{Learn: true, Samples: 1}, `--samples 1 with --learn: learning averages .* batch of 2`},
		{ex("chain2.vle"), Options{Rscale: -1}, `--rscale -1: give a positive resistance`},
		{ex("chain2.vle"), Options{Tstop: 1, Tstep: 2}, `--tstep 2: give a positive time step no longer than --tstop \(1 s\)`},
		{ex("chain2.vle"), Options{Data: "my data"}, `data file "my data": ngspice's wrdata takes a path without spaces`},
		{ex("bench/n2.vle"), Options{MaxElements: 1000}, `the circuit of n2 would have 16080 elements, more than the limit of 1000`},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			_, err := exportFile(t, c.path, c.opts)
			if err == nil {
				t.Fatalf("exported, want an error matching %s", c.want)
			}
			if !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %q\ndoes not match %s", err, c.want)
			}
		})
	}
}

// TestGolden compares the netlists of chain2 (free, and learning) with
// testdata/*.cir; go test -update rewrites them.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"chain2.cir", Options{Tstop: 10}},
		{"chain2_learn.cir", Options{Learn: true, Rscale: 1e6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Generator = "vlec (test)"
			c.opts.Data = strings.TrimSuffix(c.name, ".cir") + ".data"
			res, err := exportFile(t, filepath.Join("..", "..", "examples", "chain2.vle"), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			// The model's path depends on the checkout.
			got := strings.ReplaceAll(string(res.Netlist), absExamples(t), "examples")
			golden := filepath.Join("testdata", c.name)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("netlist differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

func absExamples(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
