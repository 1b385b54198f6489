package golang_test

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/internal/goldentest"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// TestGoldenGradients generates chain2 and mlp under method adjoint with
// one window as long as shared/golden's exact gradients (automatic
// differentiation through the GLE reference implementation), runs one
// Sweep of the generated library from a driver program, and compares its
// loss and every gradient with the golden ones (1e-10 and 1e-8
// relative, as ir/adjoint's golden test compares the interpreter's).
func TestGoldenGradients(t *testing.T) {
	wants := map[string]goldentest.Gradients{}
	for _, name := range []string{"chain2", "mlp"} {
		wants[name] = goldentest.Load(t, goldenDir, name)
	}
	goCmd := goTool(t)
	root := t.TempDir()
	var models []*model
	var extra []string
	for _, name := range []string{"chain2", "mlp"} {
		want := wants[name]
		path := filepath.Join("../../examples", name+".vle")
		plain := compile(t, path)
		window := check.Override{Name: "learn.window", Value: runtime.FormatTime(want.Steps, plain.Dt) + "s"}
		prog := compileWith(t, path, vlec.Options{Method: check.Adjoint, Set: []check.Override{window}})
		files, err := golang.Generate(prog, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{file: path, prog: prog, pkg: golang.PackageName(prog.Model.Name)}
		// the driver: one sweep of the whole window from the start
		files["cmd/gradients/main.go"] = []byte(`package main

import (
	"context"
	"encoding/json"
	"os"

	model "` + m.pkg + `"
)

func main() {
	m, err := model.New(model.Options{Steps: model.Window})
	if err != nil {
		panic(err)
	}
	if err := m.Sweep(context.Background(), model.Window, nil); err != nil {
		panic(err)
	}
	out := map[string]any{"loss": m.Loss()}
	for _, name := range []string{` + paramNames(prog) + `} {
		out[name] = m.Gradient(name)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`)
		if err := golang.Write(filepath.Join(root, "mod", m.pkg), files); err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
		extra = append(extra, m.pkg+"/cmd/gradients")
	}
	buildAll(t, goCmd, root, models[:1], extra[:1]...)
	for i, m := range models {
		if i > 0 {
			buildAll(t, goCmd, root, models[i:i+1], extra[i])
		}
		name := m.prog.Model.Name
		t.Run(name, func(t *testing.T) {
			want := wants[name]
			out, err := exec.Command(filepath.Join(root, "bin", "gradients")).Output()
			if err != nil {
				t.Fatalf("the driver of %s: %v", name, err)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var loss float64
			json.Unmarshal(got["loss"], &loss)
			if d := math.Abs(loss-want.Loss) / math.Abs(want.Loss); d > 1e-10 {
				t.Errorf("loss %.17g, golden %.17g", loss, want.Loss)
			}
			worst := 0.0
			for key, msg := range want.Grad {
				ours := goldentest.Param(m.prog.Model, key)
				var g []float64
				if err := json.Unmarshal(got[ours], &g); err != nil || g == nil {
					t.Errorf("no gradient of %s (%s): %v", key, ours, err)
					continue
				}
				ref := goldentest.Flatten(t, msg)
				if len(ref) != len(g) {
					t.Fatalf("d/d%s: %d values, golden %d", ours, len(g), len(ref))
				}
				for i := range ref {
					d := math.Abs(g[i]-ref[i]) / (1e-12 + math.Abs(ref[i]))
					worst = math.Max(worst, d)
					if d > 1e-8 {
						t.Errorf("d/d%s[%d] = %.12g, golden %.12g", ours, i, g[i], ref[i])
					}
				}
			}
			t.Logf("loss %.15g (golden %.15g); worst relative gradient difference %.2g", loss, want.Loss, worst)
		})
	}
}

// paramNames are the quoted names of prog's parameters.
func paramNames(prog *schedule.Program) string {
	s := ""
	for _, b := range prog.Buffers {
		if b.Kind == schedule.Param {
			s += strconv.Quote(b.Name) + ", "
		}
	}
	return s
}
