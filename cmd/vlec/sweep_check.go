package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/sweep"
	"github.com/vlec-dev/vlec/lang/check"
)

// sweepAxes reads --grid and --seeds.
func sweepAxes(f *sweepFlags) ([]sweep.Axis, error) {
	var axes []sweep.Axis
	for _, g := range f.grid {
		a, err := sweep.ParseAxis(g)
		if err != nil {
			return nil, fmt.Errorf("--grid %s: %v", g, err)
		}
		axes = append(axes, a)
	}
	if f.seeds != "" {
		a, err := sweep.ParseSeeds(f.seeds)
		if err != nil {
			return nil, fmt.Errorf("--seeds: %v", err)
		}
		axes = append(axes, a)
	}
	if _, err := sweep.Expand(axes); err != nil {
		return nil, err
	}
	return axes, checkOverlap(f, axes)
}

// checkOverlap refuses a setting given twice: by two grid names, or both
// swept and fixed (a fixed --set after the grid's would win in every
// run). Names with and without their block (sim.duration and duration,
// learn.lr and lr) are the same setting.
func checkOverlap(f *sweepFlags, axes []sweep.Axis) error {
	swept := map[string]string{}
	for _, a := range axes {
		flag := "--grid " + a.Name
		if a.Name == sweep.SeedName && f.seeds != "" {
			flag = "--seeds"
		}
		if other, ok := swept[settingKey(a.Name)]; ok {
			return fmt.Errorf("%s and %s sweep the same setting: give it once", other, flag)
		}
		swept[settingKey(a.Name)] = flag
	}
	for _, set := range f.set {
		name, _, _ := strings.Cut(set, "=")
		if flag, ok := swept[settingKey(strings.TrimSpace(name))]; ok {
			return fmt.Errorf("--set %s and %s: the setting is both fixed and swept; give it once", set, flag)
		}
	}
	if flag, ok := swept["duration"]; ok && f.duration != "" {
		return fmt.Errorf("--duration %s and %s: the duration is both fixed and swept; give it once", f.duration, flag)
	}
	return nil
}

// settingKey is a setting's name without its block: sim.duration and
// duration, learn.lr and lr, sim.seed and seed are the same setting.
func settingKey(name string) string {
	for _, block := range []string{"sim.", "learn."} {
		if key, ok := strings.CutPrefix(name, block); ok {
			return key
		}
	}
	return name
}

// checkSweepFlags checks the flags that need no model.
func checkSweepFlags(cmd *cobra.Command, f *sweepFlags) error {
	if f.out == "" {
		return fmt.Errorf("give the sweep directory: -o DIR (the same DIR again resumes the sweep)")
	}
	if f.jobs < 1 {
		return fmt.Errorf("-j %d: give at least 1 run at a time", f.jobs)
	}
	if f.slurmOpt.CPUs < 1 {
		return fmt.Errorf("--cpus %d: give at least 1 CPU per run", f.slurmOpt.CPUs)
	}
	for _, name := range []string{"partition", "time", "mem", "cpus"} {
		if cmd.Flags().Changed(name) && !f.slurm {
			return fmt.Errorf("--%s is a Slurm resource: give it with --slurm", name)
		}
	}
	return nil
}

// checkSweepModel compiles the model with the fixed --set overrides and
// then with each value of each grid name, so that a typo or a bad value
// is the positioned error of the source before any run starts.
// (Combinations of values that do not fit together fail as runs.)
func checkSweepModel(stderr io.Writer, model string, f *sweepFlags, axes []sweep.Axis) (*vlec.Compiled, error) {
	base, err := compileOptions("", f.set)
	if err != nil {
		return nil, err
	}
	c, err := compile(stderr, model, base)
	if err != nil {
		return nil, err
	}
	if f.duration != "" {
		if c.Program.Model.Task != nil {
			return nil, fmt.Errorf("--duration: model %s runs a task, whose epochs set its length (%s)", c.Program.Model.Name, c.Program.Model.Task)
		}
		if _, err := flagSteps("--duration", f.duration, c.Program.Dt); err != nil {
			return nil, err
		}
	}
	for _, a := range axes {
		if a.Name == sweep.SeedName {
			continue
		}
		for _, v := range a.Values {
			opts := base
			opts.Set = append(slices.Clip(base.Set), check.Override{Name: a.Name, Value: v})
			if _, sources, err := vlec.Compile(model, opts); err != nil {
				fmt.Fprintf(stderr, "vlec: --grid %s: %s=%s does not fit the model (each run gets it as --set):\n", a, a.Name, v)
				fmt.Fprint(stderr, sources.Format(err))
				return nil, exitError{exitBadInput}
			}
		}
	}
	return c, nil
}

// checkSim checks that --sim names a simulator of the compiled model
// that takes the sweep's settings at run time (a generated simulator
// takes --set only for the values not baked into its code): it runs it
// for one step with the fixed flags, then with each grid value, into a
// temporary directory. It returns the simulator's absolute path.
func checkSim(f *sweepFlags, c *vlec.Compiled, axes []sweep.Axis) (string, error) {
	sim, err := filepath.Abs(f.sim)
	if err != nil {
		return "", fmt.Errorf("--sim %s: %v", f.sim, err)
	}
	if fi, err := os.Stat(sim); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("--sim %s: not an executable file (make one with vlec build MODEL -o BIN)", f.sim)
	}
	tmp, err := os.MkdirTemp("", "vlec-sweep-sim-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	step := strconv.FormatFloat(c.Program.Dt, 'g', -1, 64) + "s"
	try := func(extra ...string) error {
		args := append(append(sweepFixed(f), extra...), "--duration", step, "-o", tmp, "-q")
		out, err := exec.Command(sim, args...).CombinedOutput()
		if err != nil {
			msg, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n") // its error, not its usage
			return fmt.Errorf("the simulator refuses it (%v): %s", err, msg)
		}
		return nil
	}
	if err := try(); err != nil {
		return "", fmt.Errorf("--sim %s: %v", f.sim, err)
	}
	sum, err := sweep.ReadSummary(tmp)
	if err != nil || sum == nil || sum.Model != c.Program.Model.Name {
		model := "?"
		if sum != nil {
			model = sum.Model
		}
		return "", fmt.Errorf("--sim %s: simulates model %s, not %s (vlec build %s -o BIN makes one)", f.sim, model, c.Program.Model.Name, c.Program.Model.Name)
	}
	for _, a := range axes {
		if a.Name == sweep.SeedName {
			continue
		}
		for _, v := range a.Values {
			if err := try("--set", a.Name+"="+v); err != nil {
				return "", fmt.Errorf("--grid %s: %s=%s with --sim %s: %v", a, a.Name, v, f.sim, err)
			}
		}
	}
	return sim, nil
}

// sweepFixed gives the arguments every run gets: --set and --duration.
func sweepFixed(f *sweepFlags) []string {
	var fixed []string
	for _, s := range f.set {
		fixed = append(fixed, "--set", s)
	}
	if f.duration != "" {
		fixed = append(fixed, "--duration", f.duration)
	}
	return fixed
}

// sweepBinary gives the absolute path of the vlec the runs execute:
// given, or this one. Local runs need it to be an executable here; Slurm
// tasks need it to outlive this process, which a go run build does not.
func sweepBinary(given string, slurm bool) (string, error) {
	if given == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this vlec binary for the runs (%v): give --vlec PATH", err)
		}
		if slurm && strings.Contains(exe, string(filepath.Separator)+"go-build") {
			return "", fmt.Errorf("this vlec is a temporary build of go run (%s), deleted when it exits, so Slurm's tasks could not run it: build one that stays (go build -o vlec ./cmd/vlec) or give --vlec PATH", exe)
		}
		return exe, nil
	}
	abs, err := filepath.Abs(given)
	if err != nil {
		return "", fmt.Errorf("--vlec %s: %v", given, err)
	}
	if !slurm {
		if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("--vlec %s: not an executable file", given)
		}
	}
	return abs, nil
}
