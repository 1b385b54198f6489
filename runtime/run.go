package runtime

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// RunOptions configure a recorded run.
type RunOptions struct {
	Options
	// OutDir receives the recordings and the summary (created if needed;
	// "" is the working directory).
	OutDir string
	// NewDir makes OutDir a fresh run directory: Run creates it, as
	// OutDir-2, OutDir-3, ... when the name is taken, and never writes
	// into an existing one. Summary.Dir says which it made.
	NewDir bool
	// Sources are the model files the run compiled (from vlec.Compile),
	// hashed into the summary.
	Sources lang.Sources
	// Progress, when set, is called every ProgressEvery steps (default:
	// about 200 times a run) with the number of steps done.
	Progress      func(done, total int)
	ProgressEvery int
	// Epoch, when set, is called after every epoch of a task with its
	// metrics and the number of epochs planned.
	Epoch func(m EpochMetrics, epochs int)
	// Resume continues the run from a checkpoint written by an earlier
	// run of the same model (SaveCheckpoint): every state, parameter,
	// optimiser moment, noise generator and the task's epoch, schedule and
	// metrics, so that the run goes on bit for bit as if it had not
	// stopped.
	Resume string
	// From initialises the model's parameters from the named arrays of a
	// checkpoint or any .npz ("W1", "h.tau_m"); see Sim.LoadParams.
	From string
	// Checkpoint writes <model>.checkpoint.npz at the end of a run without
	// a task (a task's run always writes one, also every
	// task.checkpoint_every epochs).
	Checkpoint bool
}

// Run simulates prog for its steps, recording its record declarations
// into opts.OutDir, and writes the summary. Every problem found before the
// run (files, sizes, records, an output that cannot be written) is
// returned with a nil summary and nothing written; so is the cancellation
// of ctx while the model is set up. When the context is cancelled during
// the run, the run stops after the current step, keeps what it recorded
// and returns the summary with Stopped = "interrupted" and ctx.Err(). A
// non-finite value (a state, a parameter or the cost) stops the run the
// same way with a *NonFiniteError (a *NonFiniteGradientError in a sweep),
// a failed write with a *WriteError.
//
// A program of method adjoint (schedule.Free) trains by exact gradients
// over truncated windows of learn.window steps (see Sweep.train); its
// cost buffer holds the objective, cost / beta, which the summary and the
// recordings multiply by prog.Beta so that the cost is that of le and
// gle for the same model.
func Run(ctx context.Context, prog *schedule.Program, opts RunOptions) (*Summary, error) {
	started := time.Now()
	sim, err := NewContext(ctx, prog, opts.Options)
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	r, err := startRun(sim, opts)
	if err != nil {
		return nil, err
	}
	if err := r.restore(); err != nil {
		r.out.abort()
		return nil, err
	}
	r.sum.Started = started.Format(time.RFC3339)
	start := time.Now()
	runErr := r.loop(ctx)
	r.sum.WallSeconds = Float(time.Since(start).Seconds())
	return r.finish(ctx, runErr)
}

// WriteError is a failed write of an output file during a run.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// run is a recorded run in progress.
type run struct {
	sim   *Sim
	prog  *schedule.Program
	opts  RunOptions
	sweep *Sweep // method adjoint
	out   *outputs
	sum   *Summary
	costs *costWindows
	// learned counts the learning steps of a task's run, whose cost
	// windows are over them alone (not the settling steps of a sample,
	// not the evaluations)
	learned int
	scale   float64 // cost = scale * the program's cost buffer
	every   int     // progress interval
	// a task's run: its trainer, and the paths of its metrics and
	// checkpoint files
	trainer        *trainer
	metricsPath    string
	checkpointPath string
	paramsPath     string
	// wroteMetrics, wroteCheckpoint and wroteParams say the files exist
	wroteMetrics, wroteCheckpoint, wroteParams bool
}

// startRun checks and opens everything a run writes, before its first
// step.
func startRun(sim *Sim, opts RunOptions) (*run, error) {
	prog := sim.prog
	r := &run{sim: sim, prog: prog, opts: opts, scale: 1}
	var err error
	if r.sweep, err = trainingSweep(sim); err != nil {
		return nil, err
	}
	if r.sweep != nil {
		r.scale = prog.Beta
	}
	recs, err := sim.newRecorders(r.scale)
	if err != nil {
		return nil, err
	}
	read, err := readFiles(opts.Sources, sim)
	if err != nil {
		return nil, err
	}
	if r.out, err = openOutputs(opts.OutDir, opts.NewDir, prog.Model.Name, recs); err != nil {
		return nil, err
	}
	r.sum = newSummary(sim, r.sweep != nil)
	r.sum.Read, r.sum.Dir = read, r.out.dir
	r.costs = newCostWindows(prog.LearnAfter, sim.Steps())
	name := prog.Model.Name
	r.metricsPath = filepath.Join(r.out.dir, name+".metrics.csv")
	r.checkpointPath = filepath.Join(r.out.dir, name+".checkpoint.npz")
	r.paramsPath = filepath.Join(r.out.dir, name+".params.npz")
	if task := prog.Model.Task; task != nil {
		r.costs = newCostWindows(0, task.Epochs*task.TrainBatches*(task.Data.Steps-task.Data.Settle))
		if r.trainer, err = newTrainer(sim); err != nil {
			r.out.abort()
			return nil, err
		}
		for _, p := range []string{r.metricsPath, r.checkpointPath, r.paramsPath} {
			if err := checkTarget(p); err != nil {
				r.out.abort()
				return nil, fmt.Errorf("cannot write %s: %v", p, err)
			}
		}
	}
	r.every = opts.ProgressEvery
	if r.every <= 0 {
		r.every = max(1, sim.Steps()/200)
	}
	return r, nil
}

// newSummary fills what a summary knows before the run.
func newSummary(sim *Sim, adjoint bool) *Summary {
	prog := sim.prog
	m := prog.Model
	return &Summary{Model: m.Name, ModelFile: m.File, Vlec: Build(), Method: string(m.Sim.Method), Precision: PrecisionOf(prog), Set: overrides(m.Set),
		Planned: sim.Steps(), Dt: Float(prog.Dt), Batch: sim.batch, Seed: sim.seed, LearnAfter: prog.LearnAfter,
		Learning: LearningOf(m, adjoint), Files: []string{}}
}

// LearningOf is the summary of a model's learning settings (the window
// only for method adjoint, or when adjoint is set).
func LearningOf(m *check.Model, adjoint bool) Learning {
	l := m.Learn
	out := Learning{LR: Float(l.LR), Optimizer: l.Optimizer, TauFloor: Float(l.TauFloor)}
	if out.Optimizer == "" {
		out.Optimizer = "sgd"
	}
	if l.Optimizer == "adam" {
		out.Beta1, out.Beta2, out.Eps = Float(l.Beta1), Float(l.Beta2), Float(l.Eps)
	}
	if len(l.GroupLR) > 0 {
		out.Groups = map[string]Float{}
		for g, v := range l.GroupLR {
			out.Groups[g] = Float(v)
		}
	}
	if adjoint || m.Sim.Method == check.Adjoint {
		out.Window = l.Window
	}
	return out
}

// restore applies --from and --resume before the first step.
func (r *run) restore() error {
	if r.opts.From != "" {
		names, err := r.sim.LoadParams(r.opts.From)
		if err != nil {
			return err
		}
		r.sum.From = &FromFile{Path: r.opts.From, Params: names}
	}
	if r.opts.Resume != "" {
		ts, err := r.sim.resume(r.opts.Resume)
		if err != nil {
			return err
		}
		if ts != nil && r.trainer != nil {
			r.trainer.state = *ts
			if ts.History == nil {
				r.trainer.state.History = []EpochMetrics{}
			}
		}
		r.sum.ResumedFrom = &Resumed{Path: r.opts.Resume, Step: r.sim.K()}
		r.sum.Steps = r.sim.K()
		if ts != nil {
			r.sum.ResumedFrom.Epoch = ts.Epoch
		}
	}
	return nil
}

// loop runs the steps.
func (r *run) loop(ctx context.Context) error {
	if r.trainer != nil {
		return r.train(ctx)
	}
	steps := r.sim.Steps()
	if r.sweep != nil {
		// exact gradients over truncated windows: the steps are recorded
		// as the forward sweeps run them
		return r.sweep.train(ctx, steps, func(k int) error {
			if err := r.after(k); err != nil {
				return err
			}
			return ctx.Err()
		})
	}
	for k := r.sim.K(); k < steps; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		stepErr := r.sim.Step()
		if err := r.after(k); err != nil {
			return err
		}
		if stepErr != nil {
			return stepErr
		}
	}
	return nil
}

// after takes the cost of step k, records the rows due and reports
// progress.
func (r *run) after(k int) error {
	switch {
	case !r.sim.HasCost():
	case r.trainer == nil:
		r.costs.add(k, r.scale*r.sim.Cost())
	case !r.sim.learnOff:
		r.costs.add(r.learned, r.scale*r.sim.Cost())
		r.learned++
	}
	t := r.sim.clock.at(k)
	for _, rec := range r.out.recs {
		if err := rec.record(k, t); err != nil {
			return &WriteError{Path: rec.path, Err: err}
		}
	}
	r.sum.Steps = k + 1
	if r.opts.Progress != nil && (k+1)%r.every == 0 {
		r.opts.Progress(k+1, r.sim.Steps())
	}
	return nil
}

// train runs a task's epochs, writing the metrics after every epoch and
// the checkpoint on checkpoint epochs and at the end.
func (r *run) train(ctx context.Context) error {
	tr := r.trainer
	tr.after = r.after
	task := tr.task
	r.learned = tr.state.Epoch * task.TrainBatches * (task.Data.Steps - task.Data.Settle)
	tr.epochDone = func(m EpochMetrics) error {
		if err := writeAtomic(r.metricsPath, metricsCSV(tr.state.History)); err != nil {
			return &WriteError{Path: r.metricsPath, Err: err}
		}
		r.wroteMetrics = true
		last := tr.state.Epoch == task.Epochs || tr.state.Stop != ""
		if last || task.CheckpointEvery > 0 && m.Epoch%task.CheckpointEvery == 0 {
			if err := r.saveCheckpoint(); err != nil {
				return err
			}
		}
		if r.opts.Epoch != nil {
			r.opts.Epoch(m, task.Epochs)
		}
		return nil
	}
	return tr.run(ctx)
}

// saveCheckpoint writes the run's checkpoint.
func (r *run) saveCheckpoint() error {
	var ts *TaskState
	if r.trainer != nil {
		ts = &r.trainer.state
	}
	if err := r.sim.SaveCheckpoint(r.checkpointPath, ts); err != nil {
		return &WriteError{Path: r.checkpointPath, Err: err}
	}
	r.wroteCheckpoint = true
	if err := r.sim.SaveParams(r.paramsPath); err != nil {
		return &WriteError{Path: r.paramsPath, Err: err}
	}
	r.wroteParams = true
	return nil
}

// finish completes the recordings and writes the summary.
func (r *run) finish(ctx context.Context, runErr error) (*Summary, error) {
	sum := r.sum
	if r.trainer == nil && r.opts.Checkpoint && runErr == nil {
		runErr = r.saveCheckpoint()
	}
	if r.trainer != nil && runErr == nil && !r.wroteCheckpoint {
		runErr = r.saveCheckpoint() // resumed with nothing left to run: the end's files still
	}
	if r.trainer != nil {
		sum.Task = r.trainer.summary()
		if !r.wroteMetrics && len(r.trainer.state.History) > 0 { // resumed with nothing left to run
			if err := writeAtomic(r.metricsPath, metricsCSV(r.trainer.state.History)); err == nil {
				r.wroteMetrics = true
			} else if runErr == nil {
				runErr = &WriteError{Path: r.metricsPath, Err: err}
			}
		}
	}
	if ran := sum.Steps - sum.ResumedFrom.steps(); sum.WallSeconds > 0 && ran > 0 {
		sum.StepsPerSecond = Float(float64(ran) / float64(sum.WallSeconds))
	}
	if r.sim.HasCost() {
		sum.CostStart, sum.CostEnd = r.costs.means()
	}
	for _, rec := range r.out.recs {
		if err := rec.close(); err != nil {
			if runErr == nil {
				runErr = &WriteError{Path: rec.path, Err: err}
			}
			continue
		}
		sum.Files = append(sum.Files, rec.name)
	}
	if r.wroteMetrics {
		sum.Files = append(sum.Files, filepath.Base(r.metricsPath))
	}
	if r.wroteCheckpoint {
		sum.Files = append(sum.Files, filepath.Base(r.checkpointPath))
	}
	if r.wroteParams {
		sum.Files = append(sum.Files, filepath.Base(r.paramsPath))
	}
	sum.Stopped = stopReason(ctx, runErr)
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	sum.Ended = time.Now().Format(time.RFC3339)
	if err := r.writeSummary(); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// writeSummary writes the summary, which lists itself among the files
// written; the list drops it again when the write fails.
func (r *run) writeSummary() error {
	sum := r.sum
	sum.Files = append(sum.Files, r.out.summaryName)
	data, err := sum.JSON()
	if err == nil {
		err = writeAtomic(r.out.summaryPath, data)
	}
	if err != nil {
		sum.Files = sum.Files[:len(sum.Files)-1]
		return &WriteError{Path: r.out.summaryPath, Err: err}
	}
	return nil
}

// stopReason is the summary's Stopped for the error that ended a run.
func stopReason(ctx context.Context, err error) string {
	var we *WriteError
	var nf *NonFiniteError
	var ng *NonFiniteGradientError
	switch {
	case err == nil:
		return "completed"
	case errors.As(err, &we):
		return "write error"
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return "interrupted"
	case errors.As(err, &nf):
		return nf.Error()
	case errors.As(err, &ng):
		return ng.Error()
	}
	return "error"
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

// overrides are a model's --set overrides as NAME=VALUE.
func overrides(set []check.Override) []string {
	var out []string
	for _, o := range set {
		out = append(out, o.String())
	}
	return out
}
