package runtime_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/runtime"
)

// compileFile writes a model into dir and compiles it.
func compileFile(t *testing.T, dir, name, text string) (*vlec.Compiled, lang.Sources) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c, src
}

// scaleModel has gamma = 0, so the errors do not move the membranes, and
// lr = 0: every method runs the same trajectory and must report the same
// cost.
const scaleModel = `model scale
import "std/gle"
sim { dt = 10ms; duration = 2s; batch = 2; method = %s }
input x[2] = sine(freq = 0.5Hz, phase = i + b)
population h[3] : gle(tau_m = 0.3s, tau_r = 0.1s, phi = tanh, gamma = 0)
population y[2] : gle(tau_m = 0.4s, tau_r = 0.1s, gamma = 0)
connect x -> h W0 = normal(0, 0.8, seed = 1) plastic
connect h -> y W1 = normal(0, 0.8, seed = 2) plastic
const nudge = 0.2
energy {
  mismatch(h) + mismatch(y)
  nudge * loss(mse(y.r, 0.2))
}
learn { lr = 0%s }
`

// TestRunAdjointCostScale checks that method adjoint reports the cost of
// le and gle (beta times the objective its program computes), in the
// summary and in `record cost`.
func TestRunAdjointCostScale(t *testing.T) {
	type result struct {
		start, end float64
		rec        string
	}
	results := map[string]result{}
	for _, method := range []string{"le", "gle", "adjoint"} {
		dir := t.TempDir()
		window := ""
		if method == "adjoint" {
			window = "; window = 0.5s"
		}
		c, src := compileFile(t, dir, "scale.vle", fmt.Sprintf(scaleModel, method, window)+"record cost every 10 steps\n")
		sum, err := runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: dir, Sources: src})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		rec, err := os.ReadFile(filepath.Join(dir, "scale.csv"))
		if err != nil {
			t.Fatal(err)
		}
		results[method] = result{float64(*sum.CostStart), float64(*sum.CostEnd), string(rec)}
	}
	le := results["le"]
	if le.start <= 0 {
		t.Fatalf("le cost %v", le.start)
	}
	for _, m := range []string{"gle", "adjoint"} {
		r := results[m]
		if math.Abs(r.start-le.start) > 1e-12*le.start || math.Abs(r.end-le.end) > 1e-12*le.end {
			t.Errorf("%s cost %.17g, %.17g; le %.17g, %.17g", m, r.start, r.end, le.start, le.end)
		}
		if r.rec != le.rec {
			t.Errorf("%s records the cost\n%s\nle\n%s", m, r.rec, le.rec)
		}
	}
}

// provenanceModel reads an input file, a weight file and a file teacher.
const provenanceModel = `model prov
import "std/gle"
sim { dt = 10ms; duration = 0.2s; seed = 7; method = gle; learn_after = 0.1s }
input x[2] = file("x.csv")
population y[2] : gle(tau_m = 0.5s, tau_r = 0.1s, phi = tanh)
connect x -> y W = file("w.csv") plastic
teacher T[2] = file("t.csv")
energy {
  mismatch(y)
  0.5 * loss(mse(y.r, T))
}
learn { lr = 0.01; lr.W = 0.02; optimizer = adam }
record y.r, cost
`

// TestRunProvenance checks the summary's provenance: the build, a SHA-256
// of every file read, the settings, the times and why the run stopped.
func TestRunProvenance(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	for k := range 20 {
		fmt.Fprintf(&rows, "%g,%g\n", math.Sin(float64(k)), math.Cos(float64(k)))
	}
	data := map[string]string{"x.csv": rows.String(), "t.csv": rows.String() + "9,9\n", "w.csv": "0.5,0.1\n0.2,0.3\n"}
	for name, text := range data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, src := compileFile(t, dir, "prov.vle", provenanceModel)
	out := filepath.Join(dir, "out")
	before := time.Now().Add(-time.Second)
	sum, err := runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: out, Sources: src})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "prov.summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Vlec     struct{ Version string }
		Method   string
		Seed     uint64
		Learning struct {
			LR        float64            `json:"lr"`
			Groups    map[string]float64 `json:"groups"`
			Optimizer string             `json:"optimizer"`
			Beta1     float64            `json:"adam_beta1"`
		}
		Started, Ended, Stopped string
		Read                    []runtime.FileHash
		Files                   []string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Vlec.Version == "" || got.Method != "gle" || got.Seed != 7 || got.Stopped != "completed" {
		t.Errorf("summary %s", raw)
	}
	if l := got.Learning; l.LR != 0.01 || l.Groups["W"] != 0.02 || l.Optimizer != "adam" || l.Beta1 != 0.9 {
		t.Errorf("learning %+v", l)
	}
	for _, ts := range []string{got.Started, got.Ended} {
		at, err := time.Parse(time.RFC3339, ts)
		if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("time %q: %v", ts, err)
		}
	}
	hashes := map[string]runtime.FileHash{}
	for _, h := range got.Read {
		hashes[filepath.Base(h.Path)] = h
	}
	want := map[string]string{"prov.vle": "model", "gle.vle": "model", "x.csv": "data", "w.csv": "data", "t.csv": "data"}
	if len(hashes) != len(want) {
		t.Errorf("read %v, want %v", got.Read, want)
	}
	for name, kind := range want {
		h, ok := hashes[name]
		if !ok || h.Kind != kind {
			t.Errorf("%s: %+v, want kind %s", name, h, kind)
			continue
		}
		content, ok := data[name]
		if name == "prov.vle" {
			content, ok = provenanceModel, true
		}
		if sum := sha256.Sum256([]byte(content)); ok && h.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s, want %x", name, h.SHA256, sum)
		}
	}
	if strings.Join(got.Files, " ") != "prov.csv prov.summary.json" || sum.Dir != out {
		t.Errorf("files %v in %s", got.Files, sum.Dir)
	}
}

// TestRunOutputChecks checks that an output that cannot be written is
// found before the first step and leaves nothing behind, and that
// NewDir makes a fresh directory per run.
func TestRunOutputChecks(t *testing.T) {
	dir := t.TempDir()
	c, src := compileFile(t, dir, "scale.vle", fmt.Sprintf(scaleModel, "le", "")+"record cost to \"sub/c.csv\"\n")
	// the summary's path is a directory
	out := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(filepath.Join(out, "scale.summary.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: out, Sources: src})
	if sum != nil || err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("summary %v, error %v", sum, err)
	}
	if es, _ := os.ReadDir(out); len(es) != 1 {
		t.Errorf("left behind: %v", es)
	}
	// a record's path is a directory: positioned at the record
	out = filepath.Join(dir, "c")
	if err := os.MkdirAll(filepath.Join(out, "sub", "c.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err = runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: out, Sources: src})
	var list lang.ErrorList
	if sum != nil || !errors.As(err, &list) || list[0].Pos.Line != 15 {
		t.Fatalf("summary %v, error %v", sum, err)
	}
	// fresh directories, made as needed, never reused
	base := filepath.Join(dir, "runs", "scale-1")
	var dirs []string
	for range 2 {
		sum, err := runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: base, NewDir: true, Sources: src})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, sum.Dir)
		if _, err := os.Stat(filepath.Join(sum.Dir, "sub", "c.csv")); err != nil {
			t.Error(err)
		}
	}
	if dirs[0] != base || dirs[1] != base+"-2" {
		t.Errorf("run directories %v", dirs)
	}
}

// TestRunCancelledSetup checks that a run cancelled before its first step
// returns the context's error, no summary, and writes nothing.
func TestRunCancelledSetup(t *testing.T) {
	dir := t.TempDir()
	c, src := compileFile(t, dir, "scale.vle", fmt.Sprintf(scaleModel, "le", ""))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "out")
	sum, err := runtime.Run(ctx, c.Program, runtime.RunOptions{OutDir: out, Sources: src})
	if sum != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("summary %v, error %v", sum, err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was made", out)
	}
}
