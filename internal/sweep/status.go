package sweep

import (
	"context"
	"fmt"
	"path/filepath"
)

// The states vlec sweep status reports per run.
const (
	Done    = "done"    // completed (StatusOK)
	Failed  = "failed"  // ended otherwise, or left Slurm's queue without a result after failing there
	Pending = "pending" // waiting in Slurm's queue
	Running = "running" // running under Slurm, or here
	Missing = "missing" // not run, or (under Slurm) gone without a trace
)

// RunState is where one run of a sweep stands.
type RunState struct {
	Run    Run
	Result Result
	// Job is the run's Slurm task, JOB_TASK, when it was submitted.
	Job string
	// Slurm is Slurm's state of the task (squeue's, else sacct's), when
	// it has one.
	Slurm string
	// State is Done, Failed, Pending, Running or Missing.
	State string
	// Message says why a run failed or is missing.
	Message string
}

// States gives the state of every run of the manifest, asking Slurm
// (squeue, then sacct) about the runs DIR/slurm.json says were
// submitted. The note says when Slurm's queue could not be read; the
// states then come from the run directories alone.
func States(ctx context.Context, dir string, m *Manifest) (states []RunState, note string, err error) {
	rec, err := LoadSlurm(dir)
	if err != nil {
		return nil, "", err
	}
	latest := rec.Latest()
	var jobs []string
	for _, s := range rec.Submissions {
		jobs = append(jobs, s.JobID)
	}
	queue, qerr := Queue(ctx, jobs, m.Model)
	if qerr != nil {
		note = fmt.Sprintf("Slurm's queue could not be read (%v)", qerr)
	}
	var acct map[string]string
	for _, r := range m.Runs {
		st := RunState{Run: r, Result: Inspect(dir, r)}
		if s, ok := latest[r.ID]; ok {
			st.Job = s.Task(r.ID)
			st.Slurm = queue[st.Job]
		}
		st.State, st.Message = st.Result.Status, st.Result.Message
		switch {
		case Active(st.Slurm):
			st.State, st.Message = Running, ""
			if st.Slurm == "PENDING" || st.Slurm == "REQUEUED" || st.Slurm == "CONFIGURING" {
				st.State = Pending
			}
		case st.State == StatusOK:
			st.State = Done
		case InProgress(dir, r):
			st.State, st.Message = Running, "on this machine"
		case st.State == StatusMissing && st.Job != "" && qerr != nil:
			st.Message = "submitted as " + st.Job + "; Slurm's queue could not be read"
		case st.State == StatusMissing && st.Job != "":
			if acct == nil {
				acct, _ = Accounting(ctx, jobs, m.Model)
			}
			st.Slurm = acct[st.Job]
			st.Message = fmt.Sprintf("left Slurm's queue without a result: see %s", filepath.Join(SlurmDir, st.Job+".err"))
			if st.Slurm != "" && st.Slurm != "COMPLETED" {
				st.State = Failed
				st.Message = fmt.Sprintf("Slurm: %s (see %s)", st.Slurm, filepath.Join(SlurmDir, st.Job+".err"))
			}
		}
		states = append(states, st)
	}
	return states, note, nil
}
