package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vlec-dev/vlec/internal/atomicfile"
)

// RunFile is the file a run's directory gets when its process has ended:
// its exit code and what it says.
const RunFile = "run.json"

// StderrFile holds the end of a failed run's standard error.
const StderrFile = "stderr.txt"

// RunningFile marks a run in progress: "HOST PID" of its process.
const RunningFile = ".running"

// stderrTail is how much of a run's standard error is kept.
const stderrTail = 16 << 10

// waitDelay is how long a run has to stop after SIGTERM before it is
// killed: time to finish its step and write its summary.
const waitDelay = 30 * time.Second

// Exit records how a run's process ended.
type Exit struct {
	// Code is the exit status: 128 plus the signal when one killed the
	// process, -1 when it could not start.
	Code int `json:"exit_code"`
	// Error says why the process failed to start or was killed.
	Error string `json:"error,omitempty"`
	Host  string `json:"host,omitempty"`
}

// ExecOptions are the choices of Execute.
type ExecOptions struct {
	// Own gives the run a process group of its own, and cancelling the
	// context sends it SIGTERM (a vlec run then stops after its step and
	// keeps its data and summary), then kills it if it has not ended 30 s
	// later: the signal reaches it once, from the sweep. Without, it stays
	// in the caller's group and gets signals as the caller does: a Slurm
	// task's processes all get Slurm's SIGTERM, a terminal's foreground
	// group its Ctrl-C (a vlec run takes a second signal as the order to
	// end at once, so passing it on as well would lose its summary).
	Own bool
	// Env is added to the run's environment (GOMAXPROCS=2).
	Env []string
}

// Execute runs run r of the sweep in dir with the manifest's vlec binary
// (or simulator) and waits for it: it empties the run's directory, runs
// vlec ARGS -o RUNDIR -q, and writes RUNDIR/run.json, and on failure
// the end of the run's standard error into RUNDIR/stderr.txt. The error
// is about the sweep directory, not the run: a run that fails is an
// Exit with a non-zero code. A run whose context is cancelled before it
// starts is left without a directory, and the error is the context's.
func Execute(ctx context.Context, dir string, m *Manifest, r Run, opt ExecOptions) (Exit, error) {
	runDir := filepath.Join(dir, r.Dir)
	if err := os.RemoveAll(runDir); err != nil {
		return Exit{}, fmt.Errorf("run %d: cannot empty %s: %v", r.ID, runDir, err)
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return Exit{}, fmt.Errorf("run %d: %v", r.ID, err)
	}
	stderr := &tailBuffer{max: stderrTail}
	cmd := exec.CommandContext(ctx, m.Binary(), r.Command(dir)...)
	cmd.Stdout = nil // the last line names the files, which the summary lists too
	cmd.Stderr = stderr
	cmd.Dir = runDir
	if len(opt.Env) > 0 {
		cmd.Env = append(os.Environ(), opt.Env...)
	}
	if opt.Own {
		cmd.WaitDelay = waitDelay
		setProcess(cmd)
	}
	err := cmd.Start()
	if err == nil {
		markRunning(runDir, cmd.Process.Pid)
		err = cmd.Wait()
		os.Remove(filepath.Join(runDir, RunningFile))
	}
	if cmd.Process == nil && ctx.Err() != nil {
		// Cancelled before it started: the run stays missing.
		os.RemoveAll(runDir)
		return Exit{Code: -1}, ctx.Err()
	}
	ex := Exit{Code: 0}
	ex.Host, _ = os.Hostname()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ex.Code = exitCode(ee.ProcessState)
		if !ee.Exited() {
			ex.Error = filepath.Base(m.Binary()) + " was killed: " + ee.String()
		}
	default:
		ex.Code = -1
		ex.Error = "cannot run " + filepath.Base(m.Binary()) + ": " + err.Error()
	}
	if ex.Code != 0 {
		text := stderr.String()
		if ex.Error != "" {
			text += ex.Error + "\n"
		}
		if werr := atomicfile.WriteFile(filepath.Join(runDir, StderrFile), []byte(text)); werr != nil {
			return ex, fmt.Errorf("run %d: %v", r.ID, werr)
		}
	}
	data, _ := json.MarshalIndent(ex, "", "  ")
	if werr := atomicfile.WriteFile(filepath.Join(runDir, RunFile), append(data, '\n')); werr != nil {
		return ex, fmt.Errorf("run %d: %v", r.ID, werr)
	}
	return ex, nil
}

// markRunning writes RUNDIR/.running for a run whose process is pid.
func markRunning(runDir string, pid int) {
	host, _ := os.Hostname()
	atomicfile.WriteFile(filepath.Join(runDir, RunningFile), fmt.Appendf(nil, "%s %d\n", host, pid))
}

// InProgress reports whether run r of the sweep in dir is running on
// this machine: its directory is marked with the host and the pid of a
// live process, and it has not ended. (A run on another machine, a Slurm
// node, is Slurm's to report.)
func InProgress(dir string, r Run) bool {
	runDir := filepath.Join(dir, r.Dir)
	data, err := os.ReadFile(filepath.Join(runDir, RunningFile))
	if err != nil {
		return false
	}
	var host string
	var pid int
	if _, err := fmt.Sscan(string(data), &host, &pid); err != nil {
		return false
	}
	here, _ := os.Hostname()
	if _, err := os.Stat(filepath.Join(runDir, RunFile)); err == nil || host != here {
		return false
	}
	return alive(pid)
}

// tailBuffer keeps the last max bytes written to it, after whole lines
// where it can.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		t.cut = true
	}
	return len(p), nil
}

// String gives the tail, starting at a line when it was cut.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b, t.cut = b[len(b)-t.max:], true
	}
	if !t.cut {
		return string(b)
	}
	if i := strings.IndexByte(string(b), '\n'); i >= 0 {
		b = b[i+1:]
	}
	return "[...]\n" + string(b)
}

// Progress is told of every run that ends: done of total, the run and
// how it went.
type Progress func(done, total int, r Run, res Result)

// Local runs the runs of the sweep in dir on this machine, at most jobs
// at a time, and calls progress (if not nil) after each. Cancelling ctx
// starts no more runs and stops those running (see Execute); the runs
// not started are left as they were. The error is the first that was
// about the sweep directory rather than a run.
//
// Each run gets an equal share of the CPUs as GOMAXPROCS (unless the
// environment sets it), so that jobs runs do not each start a worker
// per CPU; vlec's numbers do not depend on it.
func Local(ctx context.Context, dir string, m *Manifest, runs []Run, jobs int, progress Progress) error {
	var opt ExecOptions
	opt.Own = true
	if os.Getenv("GOMAXPROCS") == "" {
		opt.Env = []string{"GOMAXPROCS=" + strconv.Itoa(max(1, runtime.NumCPU()/max(1, jobs)))}
	}
	jobs = max(1, min(jobs, len(runs)))
	todo := make(chan Run)
	var (
		mu    sync.Mutex
		first error
		done  int
		wg    sync.WaitGroup
	)
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range todo {
				if ctx.Err() != nil {
					continue // handed over as the sweep was cancelled: not started
				}
				_, err := Execute(ctx, dir, m, r, opt)
				if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					continue // cancelled before it started
				}
				res := Inspect(dir, r)
				mu.Lock()
				done++
				if err != nil && first == nil {
					first = err
				}
				if progress != nil {
					progress(done, len(runs), r, res)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, r := range runs {
		select {
		case todo <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(todo)
	wg.Wait()
	return first
}
