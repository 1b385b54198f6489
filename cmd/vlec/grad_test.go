package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// gradOutput is the JSON of `vlec grad --json`, and the golden
// NAME.bptt.json files.
type gradOutput struct {
	Loss  float64                    `json:"loss"`
	Steps int                        `json:"steps"`
	Grad  map[string]json.RawMessage `json:"grad"`
}

func flat(t *testing.T, msg json.RawMessage) []float64 {
	t.Helper()
	var m [][]float64
	if json.Unmarshal(msg, &m) == nil {
		var out []float64
		for _, row := range m {
			out = append(out, row...)
		}
		return out
	}
	var v []float64
	if err := json.Unmarshal(msg, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

var goldenGrad = regexp.MustCompile(`^(W|b|tau_m)(\d+)$`)

// ourParam maps a golden name (W1, b0, tau_m1) to vlec's: the l-th
// connection, the l-th population's b or tau_m.
func ourParam(m *check.Model, key string) string {
	g := goldenGrad.FindStringSubmatch(key)
	if g == nil {
		return key
	}
	l, _ := strconv.Atoi(g[2])
	if g[1] == "W" {
		return m.Connections[l].Name
	}
	return m.Populations[l].Name + "." + g[1]
}

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
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(goldenDir, name+".bptt.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want gradOutput
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
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
				ref := flat(t, msg)
				ours := ourParam(m, key)
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
					got := flat(t, g)
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
