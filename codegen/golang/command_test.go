package golang_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
)

// The generated command behaves as vlec run: a non-finite value stops
// the run with status 3 and vlec's message, Ctrl-C with status 130
// keeping the data, a bad flag with status 1.

const divergent = `model msg
import "std/gle"
sim { dt = 10ms; duration = 1s; method = gle }
input x[1] = sine(freq = 1Hz)
population h[1] : gle(tau_m = 0.5s, tau_r = 0.1s)
population y[1] : gle(tau_m = 0.5s, tau_r = 0.1s)
connect x -> h W0 = [[0]]
connect h -> y W1 = [[1e300]] plastic
energy { mismatch(h) + mismatch(y); mse(y.r, 1e10) }
learn { lr = 0.01 }
`

const long = `model long
import "std/gle"
sim { dt = 1ms; duration = 100000s }
input x[1] = sine(freq = 1Hz)
population y[1] : gle(tau_m = 20ms)
connect x -> y W = 1
energy { mismatch(y); mse(y.r, 0.2) }
learn { lr = 0.01 }
record y.u every 1000 steps
`

func TestCommand(t *testing.T) {
	goCmd := goTool(t)
	root := t.TempDir()
	var models []*model
	for name, src := range map[string]string{"msg": divergent, "long": long} {
		file := filepath.Join(root, "vle", name+".vle")
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		c, sources, err := vlec.Compile(file, vlec.Options{})
		if err != nil {
			t.Fatal(sources.Format(err))
		}
		m := &model{file: file, prog: c.Program, pkg: name}
		files, err := golang.Generate(m.prog, sources)
		if err != nil {
			t.Fatal(err)
		}
		if err := golang.Write(filepath.Join(root, "mod", name), files); err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	bins := buildAll(t, goCmd, root, models)
	t.Run("nonfinite", func(t *testing.T) {
		out := filepath.Join(root, "out")
		code, stderr := exitCode(t, exec.Command(bins["msg"], "-q", "-o", out))
		if code != 3 {
			t.Fatalf("exit %d, want 3\n%s", code, stderr)
		}
		want := `msg: run stopped: non-finite value +Inf in (W1^T @ y.e)[0], batch element 0 (a term of h.ebar) at step 0 (t = 0s)` + "\n"
		if stderr != want {
			t.Errorf("stderr\n%s\nwant\n%s", stderr, want)
		}
		sum, err := os.ReadFile(filepath.Join(out, "msg.summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(sum), `"stopped": "non-finite value +Inf in (W1^T @ y.e)[0]`) {
			t.Errorf("summary:\n%s", sum)
		}
	})
	t.Run("badflag", func(t *testing.T) {
		code, stderr := exitCode(t, exec.Command(bins["msg"], "-set", "nosuch=1", "-o", filepath.Join(root, "bad")))
		if code != 1 || !strings.Contains(stderr, "msg: -set nosuch: no parameter or constant of msg has this name (settable: W0, W1, h.b,") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(root, "bad")); err == nil {
			t.Error("a bad -set wrote the output directory")
		}
		code, stderr = exitCode(t, exec.Command(bins["msg"], "-duration", "15ms"))
		if code != 1 || !strings.Contains(stderr, "0.015s is not a whole number of steps of dt = 0.01s") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		out := filepath.Join(root, "long")
		c := exec.Command(bins["long"], "-q", "-o", out)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		c.Process.Signal(syscall.SIGINT)
		code, _ := exitCode(t, nil, c.Wait())
		if code != 130 {
			t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
		}
		if !regexp.MustCompile(`^long: interrupted after [0-9]+ of 100000000 steps; the data so far is kept\n$`).MatchString(stderr.String()) {
			t.Errorf("stderr: %s", stderr.String())
		}
		if !strings.Contains(stdout.String(), "wrote "+filepath.Join(out, "long.csv")+", "+filepath.Join(out, "long.summary.json")) {
			t.Errorf("stdout: %s", stdout.String())
		}
		sum, _ := os.ReadFile(filepath.Join(out, "long.summary.json"))
		if !strings.Contains(string(sum), `"stopped": "interrupted"`) {
			t.Errorf("summary:\n%s", sum)
		}
		checkProvenance(t, sum, filepath.Join(root, "vle", "long.vle"))
	})
}

// checkProvenance checks the summary fields fixed at generation: the
// model file, the learning rate of its learn block, and the hash of the
// model source, computed here from the file.
func checkProvenance(t *testing.T, sum []byte, file string) {
	t.Helper()
	var s struct {
		ModelFile string `json:"model_file"`
		Vlec      struct {
			Version string `json:"version"`
		} `json:"vlec"`
		Learning struct {
			LR        float64 `json:"lr"`
			Optimizer string  `json:"optimizer"`
		} `json:"learning"`
		Read []struct {
			Path, Kind, SHA256 string
		} `json:"read"`
	}
	if err := json.Unmarshal(sum, &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, sum)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%x", sha256.Sum256(src))
	found := false
	for _, r := range s.Read {
		if r.Path == file && r.Kind == "model" && r.SHA256 == want {
			found = true
		}
	}
	if s.ModelFile != file || s.Vlec.Version == "" || s.Learning.LR != 0.01 || s.Learning.Optimizer != "sgd" || !found {
		t.Errorf("summary provenance: %+v, want model %s with sha256 %s, lr 0.01\n%s", s, file, want, sum)
	}
}

// exitCode runs c (or takes the error of a run) and returns its exit
// status and standard error.
func exitCode(t *testing.T, c *exec.Cmd, errs ...error) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	var err error
	if c != nil {
		c.Stderr = &stderr
		err = c.Run()
	} else {
		err = errs[0]
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	t.Fatal(err)
	return -1, ""
}
