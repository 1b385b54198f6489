package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/goldentest"
	"github.com/vlec-dev/vlec/lang/check"
)

// gradOutput is the JSON of `vlec grad --json`, that of the golden
// NAME.bptt.json files.
type gradOutput = goldentest.Gradients

func gradJSON(t *testing.T, args ...string) gradOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"grad"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("vlec grad %v: exit %d: %s", args, code, stderr.String())
	}
	var out gradOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("vlec grad %v: %v\n%s", args, err, stdout.String())
	}
	return out
}

// TestGradGolden checks `vlec grad --window 3s --json` on chain2 and mlp
// against the exact BPTT gradients of the GLE reference implementation
// (shared/golden/NAME.bptt.json), loss and every gradient entry to 1e-8
// relative. The golden files also hold the gradients of mlp's fixed time
// constants, which --all reports; the plastic parameters alone are checked
// without it, with and without checkpointing.
func TestGradGolden(t *testing.T) {
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			want := goldentest.Load(t, goldenDir, name)
			model := filepath.Join("..", "..", "examples", name+".vle")
			m, src, err := check.Load(model)
			if err != nil {
				t.Fatal(src.Format(err))
			}
			window := strconv.FormatFloat(float64(want.Steps)*m.Sim.Dt, 'g', -1, 64)
			all := gradJSON(t, model, "--window", window, "--json", "--all")
			plastic := gradJSON(t, model, "--window", window, "--json")
			ckpt := gradJSON(t, model, "--window", window, "--json", "--checkpoint")
			for _, got := range []gradOutput{all, plastic, ckpt} {
				if got.Steps != want.Steps {
					t.Fatalf("%d steps, golden %d", got.Steps, want.Steps)
				}
				if d := math.Abs(got.Loss-want.Loss) / math.Abs(want.Loss); d > 1e-8 {
					t.Errorf("loss %.17g, golden %.17g", got.Loss, want.Loss)
				}
			}
			worst := 0.0
			for key, msg := range want.Grad {
				ref := goldentest.Flatten(t, msg)
				ours := goldentest.Param(m, key)
				outs := []gradOutput{all}
				if _, ok := plastic.Grad[ours]; ok {
					outs = append(outs, plastic, ckpt)
				}
				for _, out := range outs {
					g, ok := out.Grad[ours]
					if !ok {
						t.Errorf("no gradient for %s (golden %s)", ours, key)
						continue
					}
					got := goldentest.Flatten(t, g)
					if len(got) != len(ref) {
						t.Fatalf("%s: %d entries, golden %d", ours, len(got), len(ref))
					}
					for i := range ref {
						d := math.Abs(got[i]-ref[i]) / math.Abs(ref[i])
						worst = math.Max(worst, d)
						if d > 1e-8 {
							t.Errorf("dL/d%s[%d] = %.15g, golden %s %.15g", ours, i, got[i], key, ref[i])
						}
					}
				}
			}
			if len(plastic.Grad) != len(ckpt.Grad) {
				t.Errorf("%d parameters with checkpoints, %d without", len(ckpt.Grad), len(plastic.Grad))
			}
			t.Logf("loss %.15g (golden %.15g); worst relative gradient difference %.2g", all.Loss, want.Loss, worst)
		})
	}
}

// adjointModel is a one-neuron chain that trains by exact gradients over
// windows of 0.5 s from the start.
const adjointModel = `model train
import "std/gle"
sim {
  dt = 10ms
  duration = 1s
  method = adjoint
}
input x[1] = sine(freq = 1Hz)
population y[1] : gle(tau_m = 0.2s learnable, tau_r = 0.05s, phi = tanh)
connect x -> y W = [[0.5]] plastic
energy {
  mismatch(y)
  mse(y.r, 0.3)
}
learn {
  lr = 0.1
  window = 0.5s
  OPT
}
record W, y.tau_m
`

// TestAdjointTrainingStep checks that training with method = adjoint
// moves every parameter at the end of the first window by -lr times the
// gradient `vlec grad` reports for that window (SGD), and by Adam's first
// step, lr g / (|g| + eps), with Adam.
func TestAdjointTrainingStep(t *testing.T) {
	for _, opt := range []string{"", "optimizer = adam"} {
		t.Run(map[string]string{"": "sgd"}[opt]+opt, func(t *testing.T) {
			dir := t.TempDir()
			model := filepath.Join(dir, "train.vle")
			if err := os.WriteFile(model, []byte(strings.Replace(adjointModel, "OPT", opt, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"run", model, "-o", dir, "-q"}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			g := gradJSON(t, model, "--window", "0.5s", "--json")
			header, rows := readTable(t, filepath.Join(dir, "train.csv"))
			if len(rows) != 100 {
				t.Fatalf("%d rows", len(rows))
			}
			col := map[string]int{}
			for i, h := range header {
				col[h] = i
			}
			for _, p := range []struct {
				grad, column string
				init         float64
			}{{"W", "W[0][0]", 0.5}, {"y.tau_m", "y.tau_m[0]", 0.2}} {
				grad := goldentest.Flatten(t, g.Grad[p.grad])[0]
				value := func(row int) float64 {
					v, err := strconv.ParseFloat(rows[row][col[p.column]], 64)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
				if value(0) != p.init || value(49) != p.init {
					t.Errorf("%s changed within the first window: %g, %g", p.grad, value(0), value(49))
				}
				want := p.init - 0.1*grad
				if opt != "" {
					want = p.init - 0.1*grad/(math.Abs(grad)+1e-8) // m, v bias-corrected: g, g^2
				}
				if got := value(50); math.Abs(got-want) > 1e-9*math.Abs(want) {
					t.Errorf("%s after the first window: %.17g, want %.17g (gradient %.6g)", p.grad, got, want, grad)
				}
				if value(99) != value(50) {
					t.Errorf("%s changed within the second window", p.grad)
				}
			}
		})
	}
}

// TestAdjointTrainingLearns trains examples/chain2_adjoint.vle (the
// LagLine task by truncated BPTT) and checks that the loss goes down.
func TestAdjointTrainingLearns(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", filepath.Join("..", "..", "examples", "chain2_adjoint.vle"), "-o", dir, "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "chain2_adjoint.summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Steps     int      `json:"steps"`
		CostStart *float64 `json:"cost_start"`
		CostEnd   *float64 `json:"cost_end"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 3000 || sum.CostStart == nil || *sum.CostEnd > *sum.CostStart/2 {
		t.Fatalf("summary %s", raw)
	}
	t.Logf("loss %.4g over the first 10%% of learning, %.4g over the last", *sum.CostStart, *sum.CostEnd)
}
