package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vlec-dev/vlec/ir/schedule"
)

// RunOptions configure a recorded run.
type RunOptions struct {
	Options
	// OutDir receives the recordings and the summary (created if needed).
	OutDir string
	// Progress, when set, is called every ProgressEvery steps (default:
	// about 200 times a run) with the number of steps done.
	Progress      func(done, total int)
	ProgressEvery int
}

// Summary describes a run; Run writes it as <model>.summary.json.
type Summary struct {
	Model          string  `json:"model"`
	Steps          int     `json:"steps"`   // steps run
	Planned        int     `json:"planned"` // steps of the full run
	Dt             float64 `json:"dt"`      // s
	Batch          int     `json:"batch"`   //
	Seed           uint64  `json:"seed"`    //
	WallSeconds    float64 `json:"wall_s"`  // time spent stepping
	StepsPerSecond float64 `json:"steps_per_s"`
	LearnAfter     int     `json:"learn_after"`
	// CostStart and CostEnd are the mean cost (the program's cost per
	// sample, averaged over the batch) over the first and the last 10% of
	// the learning period that was run; nil without learning or cost.
	CostStart *float64 `json:"cost_start,omitempty"`
	CostEnd   *float64 `json:"cost_end,omitempty"`
	// Stopped says why the run ended early: "interrupted" or "non-finite".
	Stopped string   `json:"stopped,omitempty"`
	Error   string   `json:"error,omitempty"`
	Files   []string `json:"files"`
}

// Run simulates prog for its steps, recording its record declarations
// into opts.OutDir, and writes the summary. Every problem found before the
// run (files, sizes, records, an unwritable directory) is returned with a
// nil summary and nothing written. When the context is cancelled the run
// stops after the current step, keeps what it recorded and returns the
// summary with Stopped = "interrupted" and ctx.Err(). A non-finite value
// stops the run the same way with a *NonFiniteError.
//
// A program of method adjoint (schedule.Free) trains by exact gradients
// over truncated windows of learn.window steps (see Sweep.train); its cost
// is the loss.
func Run(ctx context.Context, prog *schedule.Program, opts RunOptions) (*Summary, error) {
	sim, err := New(prog, opts.Options)
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	dir := opts.OutDir
	if dir == "" {
		dir = "."
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	sweep, err := trainingSweep(sim)
	if err != nil {
		return nil, err
	}
	recs, err := sim.newRecorders(dir)
	if err != nil {
		return nil, err
	}
	for i, r := range recs {
		if err := r.open(); err != nil {
			for _, o := range recs[:i] {
				o.abort()
			}
			return nil, fmt.Errorf("cannot write %s: %v", r.path, err)
		}
	}
	steps := sim.Steps()
	every := opts.ProgressEvery
	if every <= 0 {
		every = max(1, steps/200)
	}
	costs := make([]float64, 0, steps)
	sum := &Summary{Model: prog.Model.Name, Planned: steps, Dt: prog.Dt, Batch: sim.batch, Seed: sim.seed, LearnAfter: prog.LearnAfter}
	var runErr error
	start := time.Now()
	if sweep != nil {
		// exact gradients over truncated windows: the steps are recorded
		// as the forward sweeps run them
		var werr error
		runErr = sweep.train(ctx, steps, func(k int) error {
			costs = append(costs, sim.Cost())
			for _, r := range recs {
				if err := r.record(k, float64(k)*prog.Dt); err != nil {
					werr = fmt.Errorf("writing %s: %v", r.path, err)
					return werr
				}
			}
			sum.Steps = k + 1
			if opts.Progress != nil && (k+1)%every == 0 {
				opts.Progress(k+1, steps)
			}
			return ctx.Err()
		})
		var nf *NonFiniteError
		var ng *NonFiniteGradientError
		switch {
		case runErr == nil:
		case werr != nil && runErr == werr:
			sum.Stopped = "write error"
		case ctx.Err() != nil && errors.Is(runErr, ctx.Err()):
			sum.Stopped = "interrupted"
		case errors.As(runErr, &nf), errors.As(runErr, &ng):
			sum.Stopped = "non-finite"
		}
	}
loop:
	for k := 0; k < steps && sweep == nil; k++ {
		select {
		case <-ctx.Done():
			runErr = ctx.Err()
			sum.Stopped = "interrupted"
			break loop
		default:
		}
		stepErr := sim.Step()
		costs = append(costs, sim.Cost())
		t := float64(k) * prog.Dt
		for _, r := range recs {
			if err := r.record(k, t); err != nil && runErr == nil {
				runErr = fmt.Errorf("writing %s: %v", r.path, err)
			}
		}
		sum.Steps = k + 1
		if stepErr != nil {
			runErr = stepErr
			sum.Stopped = "non-finite"
			break
		}
		if runErr != nil {
			sum.Stopped = "write error"
			break
		}
		if opts.Progress != nil && (k+1)%every == 0 {
			opts.Progress(k+1, steps)
		}
	}
	sum.WallSeconds = time.Since(start).Seconds()
	if sum.WallSeconds > 0 {
		sum.StepsPerSecond = float64(sum.Steps) / sum.WallSeconds
	}
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	if sim.HasCost() {
		sum.CostStart, sum.CostEnd = learningCosts(costs, prog.LearnAfter)
	}
	for _, r := range recs {
		if err := r.close(); err != nil {
			if runErr == nil {
				runErr = fmt.Errorf("writing %s: %v", r.path, err)
			}
			continue
		}
		sum.Files = append(sum.Files, r.path)
	}
	sumPath := filepath.Join(dir, prog.Model.Name+".summary.json")
	sum.Files = append(sum.Files, sumPath)
	data, _ := json.MarshalIndent(sum, "", "  ")
	if err := writeAtomic(sumPath, append(data, '\n')); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing %s: %v", sumPath, err)
	}
	return sum, runErr
}

// learningCosts averages the cost over the first and the last tenth of
// the learning steps that were run.
func learningCosts(costs []float64, learnAfter int) (*float64, *float64) {
	if learnAfter >= len(costs) {
		return nil, nil
	}
	l := costs[learnAfter:]
	w := max(1, len(l)/10)
	mean := func(xs []float64) *float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		s /= float64(len(xs))
		return &s
	}
	return mean(l[:w]), mean(l[len(l)-w:])
}

// checkDir makes sure dir exists and can be written.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %v", err)
	}
	f, err := os.CreateTemp(dir, ".vlec-write-test*")
	if err != nil {
		return fmt.Errorf("output directory %s cannot be written: %v", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Bench steps a fresh simulator of prog (no recording, guard on) for at
// least minTime or until its planned steps are done, after a short warm-up,
// and returns the rate in steps per second and the steps timed.
func Bench(prog *schedule.Program, minTime time.Duration) (float64, int, error) {
	sim, err := New(prog, Options{})
	if err != nil {
		return 0, 0, err
	}
	defer sim.Close()
	steps := sim.Steps()
	warm := min(steps/10, 3)
	for range warm {
		if err := sim.Step(); err != nil {
			return 0, 0, err
		}
	}
	n := 0
	start := time.Now()
	for sim.K() < steps {
		if err := sim.Step(); err != nil {
			return 0, n, err
		}
		n++
		if n&7 == 0 && time.Since(start) >= minTime {
			break
		}
	}
	el := time.Since(start).Seconds()
	if n == 0 || el == 0 {
		return 0, n, fmt.Errorf("%s: no steps to time", prog.Model.Name)
	}
	return float64(n) / el, n, nil
}
