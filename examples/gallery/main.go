// Command gallery regenerates the figures of examples/README.md: it runs
// the gallery's examples in full and draws each figure with vlec's plot
// package (internal/plot, what vlec plot draws) into examples/gallery.
//
//	go run ./examples/gallery                 # every figure, about 4 minutes
//	go run ./examples/gallery -only lagline   # one of them
//
// The runs go to a temporary directory that is removed afterwards
// (-keep DIR keeps them there instead). The MNIST-1D learning curves are
// drawn from the metrics of the six seeds committed under
// examples/mnist1d/results, which take 45 minutes a seed to make again
// (examples/mnist1d/run_seeds.sh).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/plot"
	"github.com/vlec-dev/vlec/runtime"
)

// A figure of the gallery: the runs it needs and how to draw them.
type figure struct {
	name string // the PNG's name without .png
	runs []string
	// model, when set, writes a model to run under work instead of runs
	// and returns its path
	model func(root, work string) (string, error)
	draw  func(runs []*plot.Run, names []plot.Names) plot.Options
	files func(root string) []string // run directories already there, instead of runs
}

func main() {
	out := flag.String("o", "examples/gallery", "directory of the figures")
	only := flag.String("only", "", "comma-separated figures to make (default: all): "+strings.Join(figureNames(), ", "))
	keep := flag.String("keep", "", "keep the runs in this directory")
	flag.Parse()
	if err := gallery(*out, *only, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "gallery:", err)
		os.Exit(1)
	}
}

func figureNames() []string {
	var names []string
	for _, f := range figures {
		names = append(names, f.name)
	}
	return names
}

func gallery(out, only, keep string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	work := keep
	if work == "" {
		if work, err = os.MkdirTemp("", "vlec-gallery"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	want := strings.Split(only, ",")
	for _, f := range figures {
		if only != "" && !slices.Contains(want, f.name) {
			continue
		}
		if err := f.make(root, work, out); err != nil {
			return fmt.Errorf("%s: %v", f.name, err)
		}
	}
	return nil
}

// repoRoot is the module root: the directory holding examples/.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "examples", "gallery", "main.go")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it from the vlec repository (no examples/gallery above the working directory)")
		}
		dir = parent
	}
}

// make runs the figure's models and draws it into out.
func (f figure) make(root, work, out string) error {
	var dirs []string
	if f.files != nil {
		dirs = f.files(root)
	}
	var names []plot.Names
	models := f.runs
	if f.model != nil {
		path, err := f.model(root, filepath.Join(work, f.name))
		if err != nil {
			return err
		}
		models = []string{path}
	}
	for _, model := range models {
		dir := filepath.Join(work, f.name, strings.TrimSuffix(filepath.Base(model), ".vle"))
		if !filepath.IsAbs(model) {
			model = filepath.Join(root, model)
		}
		_, m, err := runModel(model, dir, 0)
		if err != nil {
			return err
		}
		dirs = append(dirs, dir)
		names = append(names, m)
	}
	runs := make([]*plot.Run, len(dirs))
	for i, d := range dirs {
		r, err := plot.OpenRun(d)
		if err != nil {
			return err
		}
		runs[i] = r
		if i >= len(names) {
			names = append(names, plot.Names{})
		}
	}
	opts := f.draw(runs, names)
	path := filepath.Join(out, f.name+".png")
	notes, err := plot.Figure(runs, opts, path)
	for _, n := range notes {
		fmt.Fprintln(os.Stderr, "note:", n)
	}
	if err == nil {
		fmt.Println("wrote", path)
	}
	return err
}

// runModel runs the model file into dir (made afresh), steps steps (0:
// the model's own length), and returns its summary and how the model
// names things. A run that stops on a non-finite value is not an error:
// its data is kept, and its summary says so.
func runModel(path, dir string, steps int) (*runtime.Summary, plot.Names, error) {
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		return nil, plot.Names{}, errors.New(sources.Format(err))
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, plot.Names{}, err
	}
	opts := runtime.RunOptions{OutDir: dir, Sources: sources}
	opts.Steps = steps
	start := time.Now()
	sum, err := runtime.Run(context.Background(), c.Program, opts)
	var nf *runtime.NonFiniteError
	if err != nil && !errors.As(err, &nf) {
		return nil, plot.Names{}, err
	}
	fmt.Printf("%s: %d steps in %.1fs (%s)\n", c.Model.Name, sum.Steps, time.Since(start).Seconds(), sum.Stopped)
	return sum, plot.NamesOf(c.Model), nil
}

// whole is a figure's options over the whole run.
func whole(vars ...string) func([]*plot.Run, []plot.Names) plot.Options {
	return func(_ []*plot.Run, names []plot.Names) plot.Options {
		return plot.Options{Vars: vars, From: math.NaN(), To: math.NaN(), Names: names}
	}
}

var figures = []figure{
	{
		// chain2 as configured, with its energy recorded every step
		name: "chain2",
		runs: []string{"examples/gallery/chain2_energy.vle"},
		draw: whole(),
	},
	{
		name: "lagline",
		runs: []string{"examples/lagline/gle.vle", "examples/lagline/le.vle", "examples/lagline/adjoint.vle"},
		draw: func(_ []*plot.Run, names []plot.Names) plot.Options {
			return plot.Options{Vars: []string{"W0", "W1", "h.tau_m", "y.tau_m", "mean(cost)", "mean(energy)"},
				From: math.NaN(), To: math.NaN(), LogTime: true, Names: names,
				// the teacher's (examples/chain2_teacher.vle)
				Refs: []plot.Ref{{Name: "W0", Value: 1}, {Name: "W1", Value: 2}, {Name: "h.tau_m", Value: 1}, {Name: "y.tau_m", Value: 2}}}
		},
	},
	{
		// the first minute: settling, then learning locks on
		name: "sine_mimic",
		runs: []string{"examples/sine_mimic.vle"},
		draw: func(_ []*plot.Run, names []plot.Names) plot.Options {
			return plot.Options{From: math.NaN(), To: 60, Names: names}
		},
	},
	{
		// the energy of MNIST-1D's network over its first 10 epochs
		name:  "mnist1d_energy",
		model: mnist1dEnergy,
		draw: func(_ []*plot.Run, names []plot.Names) plot.Options {
			vars := []string{"mean(energy)[0]", "test.accuracy", "train.accuracy"}
			for k := 1; k <= 8; k++ {
				vars = append(vars, fmt.Sprintf("mean(energy.%d)[0]", k))
			}
			return plot.Options{Vars: vars, From: math.NaN(), To: math.NaN(), Names: names}
		},
	},
	{
		name: "mnist1d",
		files: func(root string) []string {
			dirs, _ := filepath.Glob(filepath.Join(root, "examples", "mnist1d", "results", "seed-*"))
			return dirs
		},
		draw: whole("test.accuracy", "test.loss"),
	},
}

// mnist1dEnergy writes examples/mnist1d/mnist1d.vle cut to its first 10
// epochs, with the energy averaged over every sample recorded, beside a
// link to its data, and returns its path.
func mnist1dEnergy(root, work string) (string, error) {
	src, err := os.ReadFile(filepath.Join(root, "examples", "mnist1d", "mnist1d.vle"))
	if err != nil {
		return "", err
	}
	text := string(src)
	if !strings.Contains(text, "epochs = 150") {
		return "", errors.New("examples/mnist1d/mnist1d.vle no longer says epochs = 150")
	}
	text = strings.Replace(text, "epochs = 150", "epochs = 10", 1)
	text += "\nrecord mean(energy), mean(cost) every sample to \"energy.csv\"\n"
	dir := filepath.Join(work, "model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data := filepath.Join(dir, "mnist1d_360.npz")
	os.Remove(data)
	if err := os.Symlink(filepath.Join(root, "examples", "mnist1d", "mnist1d_360.npz"), data); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "mnist1d.vle")
	return path, os.WriteFile(path, []byte(text), 0o644)
}
