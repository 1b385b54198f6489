package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// vlec export spice from the command line: the netlist and its data
// file name, parameters from a checkpoint (--from), and ngspice running
// the netlist when it is installed.
func TestSpiceExport(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if code, _, stderr := vlecRun(t, "run", "../../examples/chain2.vle", "-o", run, "--checkpoint", "-q"); code != 0 {
		t.Fatalf("vlec run: %s", stderr)
	}
	net := filepath.Join(dir, "c2.cir")
	code, stdout, stderr := vlecRun(t, "export", "spice", "../../examples/chain2.vle", "--learn", "--tstop", "2",
		"--from", filepath.Join(run, "chain2.checkpoint.npz"), "-o", net)
	if code != 0 || !strings.Contains(stdout, "wrote "+net+": 55 elements, 2 s in steps of 0.01 s; `ngspice -b c2.cir` writes c2.data (7 columns after the time)") {
		t.Fatalf("export spice: exit %d\n%s%s", code, stdout, stderr)
	}
	text, err := os.ReadFile(net)
	if err != nil {
		t.Fatal(err)
	}
	// The weights start where the run left them (its CSV's last row),
	// not at the model's 0.3 and 0.6.
	csv, err := os.ReadFile(filepath.Join(run, "chain2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	head, last := strings.Split(lines[0], ","), strings.Split(lines[len(lines)-1], ",")
	for i, name := range head {
		node := map[string]string{"W0[0][0]": "p_W0_0", "W1[0][0]": "p_W1_0", "h.tau_m[0]": "p_h_tau_m_0"}[name]
		if node == "" {
			continue
		}
		re := regexp.MustCompile(`(?m)^C` + node + ` ` + node + ` 0 1 IC=(\S+)$`)
		m := re.FindStringSubmatch(string(text))
		if m == nil || !sameNumber(m[1], last[i]) {
			t.Errorf("%s: netlist has %v, the checkpoint %s", name, m, last[i])
		}
	}
	for _, want := range []string{"wrdata c2.data v(p_W0_0) v(p_W1_0) v(p_h_tau_m_0) v(p_y_tau_m_0) v(r_h_0_0) v(r_y_0_0) v(cost_0)\n", ".tran 0.01 2 0 0.01 uic\n", "quit 0\n"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("netlist lacks %q", want)
		}
	}
	bin, err := exec.LookPath("ngspice")
	if err != nil {
		if os.Getenv("VLEC_NGSPICE") == "1" {
			t.Fatalf("VLEC_NGSPICE=1 but ngspice is not installed: %v", err)
		}
		t.Skip("ngspice is not installed; the netlist was not run")
	}
	cmd := exec.Command(bin, "-b", "c2.cir")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "Error") {
		t.Fatalf("ngspice: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "c2.data"))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(data)), "time") || strings.Count(string(data), "\n") != 202 {
		t.Errorf("c2.data: %v, %d lines, want a header and 201 rows", err, strings.Count(string(data), "\n"))
	}
}

// A file input and a file teacher become PWL sources through the values
// a run reads (the CSVs' rows).
func TestSpiceFileSignals(t *testing.T) {
	net := filepath.Join(t.TempDir(), "f.cir")
	code, stdout, stderr := vlecRun(t, "export", "spice", "../../codegen/spice/testdata/filein.vle", "--with-errors", "--tstop", "0.1", "-o", net)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	text, err := os.ReadFile(net)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Vin_x_0_0 in_x_0_0 0 PWL( 0 0.3 0.001 0.30439821553483554 ",
		"Vin_x_0_1 in_x_0_1 0 PWL( 0 0.46053049700144255 ",
		"Vtg_D_0_0 tg_D_0_0 0 PWL( 0 0.2 0.001 0.20031415874858796 ",
		" 0.1 0.23090169943749475 )\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("netlist lacks %q", want)
		}
	}
}

func sameNumber(a, b string) bool {
	return strings.TrimSuffix(a, "0") == strings.TrimSuffix(b, "0") || a == b
}

// Bad input: an unwritable output, a construct the mapping cannot
// express, a bad option: a clear error, no file written.
func TestSpiceBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.cir")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"../../examples/chain2.vle", "-o", filepath.Join(dir, "no", "such", "x.cir")}, "cannot write in"},
		{[]string{"../../examples/chain2.vle", "-o", dir}, "a directory"},
		{[]string{"../../examples/chain2.vle"}, "name the netlist to write with -o NET.cir"},
		{[]string{"../../codegen/spice/testdata/softmax.vle", "--with-errors", "-o", out}, "softmax.vle:18:3: energy term loss(cross_entropy(y.r, T.y.r)): the error of y needs softmax(y.uhat_r)"},
		{[]string{"../../examples/mnist1d/mnist1d.vle", "-o", out}, "mnist1d.vle:41:7: input x presents data set digits"},
		{[]string{"../../examples/chain2.vle", "--rscale", "0", "-o", out}, "--rscale 0: give a positive resistance in ohms"},
		{[]string{"../../examples/chain2.vle", "--from", filepath.Join(dir, "none.npz"), "-o", out}, "--from " + filepath.Join(dir, "none.npz")},
	}
	for _, c := range cases {
		code, _, stderr := vlecRun(t, append([]string{"export", "spice"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s\nwant %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: a refused export wrote %s", c.args, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind in the output directory: %v", entries)
	}
}
