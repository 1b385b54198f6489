package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// brian2Script is the Brian2 version of the benchmark networks
// (examples/bench/brian2/README.md).
const brian2Script = "../../examples/bench/brian2/gle_bench.py"

// brian2Python finds a Python that imports brian2: $VLEC_PYTHON, python3 on
// the PATH, or Debian's /usr/bin/python3 (python3-brian), the first that
// works.
func brian2Python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{os.Getenv("VLEC_PYTHON"), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		path, err := exec.LookPath(py)
		if err != nil {
			tried = append(tried, py+": not found")
			continue
		}
		out, err := exec.Command(path, "-c", "import brian2").CombinedOutput()
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v %s", path, err, lastLine(out)))
			continue
		}
		return path
	}
	msg := fmt.Sprintf("no Python with brian2 (install Debian's python3-brian, or set VLEC_PYTHON); tried %q", tried)
	if os.Getenv("VLEC_BRIAN2") == "1" { // CI installed it: a skip would hide a broken set-up
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(lines[len(lines)-1])
}

// TestBrian2Trajectory runs benchmark networks in vlec and in Brian2
// (numpy target: no compilation), both following the synchronous step
// program, from the same initial weights, and has the script compare every
// population's u, e and r at every step and the weights at the end: they
// must agree to rounding (the script's tolerance, 1e-9 relative to each
// quantity's largest magnitude; measured about 1e-15). n3 checks the batch
// (32 copies of each variable in Brian2, weights shared, batch-mean learning).
func TestBrian2Trajectory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Brian2 comparison takes about 20 s")
	}
	py := brian2Python(t)
	for _, c := range []struct {
		net   string
		steps int
	}{{"n1", 200}, {"n2", 200}, {"n3", 60}} {
		t.Run(c.net, func(t *testing.T) {
			dir := t.TempDir()
			steps := fmt.Sprint(c.steps)
			model, err := exec.Command(py, brian2Script, "vlec-model", c.net, steps).Output()
			if err != nil {
				t.Fatalf("vlec-model: %v", err)
			}
			file := filepath.Join(dir, c.net+".vle")
			if err := os.WriteFile(file, model, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			// dt = 1 ms in every benchmark network (the script checks the rows it reads)
			if code := run([]string{"run", "-q", "--duration", steps + "ms", "-o", out, file}, &stdout, &stderr); code != 0 {
				t.Fatalf("vlec run: exit %d\n%s", code, stderr.String())
			}
			res, err := exec.Command(py, brian2Script, "check", "--net", c.net, "--steps", steps, "--vlec-out", out).CombinedOutput()
			t.Logf("%s", res)
			if err != nil {
				t.Fatalf("gle_bench.py check: %v", err)
			}
		})
	}
}
