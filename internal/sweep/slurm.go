package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vlec-dev/vlec/internal/atomicfile"
)

// The files of a sweep submitted to Slurm, in the sweep directory.
const (
	ScriptFile = "sweep.sbatch" // the batch script of the last submission
	SlurmFile  = "slurm.json"   // the submissions Slurm accepted
	SlurmDir   = "slurm"        // the tasks' standard output and error, JOB_TASK.out and .err
)

// SlurmOptions are the resources of each task of a sweep's job array.
type SlurmOptions struct {
	Partition string // --partition; "" for the cluster's default
	Time      string // --time, Slurm's format (30, 1:00:00, 2-00:00:00); "" for the partition's default
	Mem       string // --mem (4G, 500M); "" for the cluster's default
	CPUs      int    // --cpus-per-task; 0 for 1
	// Throttle, when positive, is the most tasks of an array that run at
	// a time (--array=...%N).
	Throttle int
}

// Submission is a job array Slurm accepted.
type Submission struct {
	JobID string `json:"job_id"`
	// Array is the --array value; Tasks the run ids it holds.
	Array string `json:"array"`
	Tasks []int  `json:"tasks"`
	// Offset is added to a task's array index to give its run id: 0,
	// unless the ids exceed the cluster's MaxArraySize.
	Offset    int    `json:"offset,omitempty"`
	Submitted string `json:"submitted"` // RFC 3339
}

// Task names the Slurm task of run id in the submission: JOB_INDEX.
func (s Submission) Task(id int) string {
	return s.JobID + "_" + strconv.Itoa(id-s.Offset)
}

// SlurmRecord lists the submissions of a sweep, oldest first.
type SlurmRecord struct {
	Submissions []Submission `json:"submissions"`
}

// LoadSlurm reads DIR/slurm.json; an empty record when the sweep was
// never submitted.
func LoadSlurm(dir string) (*SlurmRecord, error) {
	path := filepath.Join(dir, SlurmFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &SlurmRecord{}, nil
	}
	if err != nil {
		return nil, err
	}
	var rec SlurmRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &rec, nil
}

// Latest maps every run id to the last submission that holds it.
func (rec *SlurmRecord) Latest() map[int]Submission {
	out := map[int]Submission{}
	for _, s := range rec.Submissions {
		for _, id := range s.Tasks {
			out[id] = s
		}
	}
	return out
}

// ArraySpec writes run ids as an --array value: sorted, runs of
// consecutive ids as ranges (0-5,7,9-11).
func ArraySpec(ids []int) string {
	ids = slices.Sorted(slices.Values(ids))
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ids[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Script gives the batch script of a job array running the given runs
// of the sweep in dir: one task per run, its array index the run's id
// less offset, each task executing vlec sweep run-task DIR ID with the
// manifest's vlec, or, for a sweep of a simulator, the run's command
// itself (simTask).
func Script(dir string, m *Manifest, ids []int, offset int, opt SlurmOptions) string {
	index := make([]int, len(ids))
	for i, id := range ids {
		index[i] = id - offset
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# Written by vlec sweep --slurm: a job array with a task per run of the\n")
	b.WriteString("# sweep in this directory; a task's id is its run's id in sweep.json.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=vlec-sweep-%s\n", jobName(m.Model))
	throttle := ""
	if opt.Throttle > 0 {
		throttle = "%" + strconv.Itoa(opt.Throttle)
	}
	fmt.Fprintf(&b, "#SBATCH --array=%s%s\n", ArraySpec(index), throttle)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(dir, SlurmDir, "%A_%a.out"))
	fmt.Fprintf(&b, "#SBATCH --error=%s\n", filepath.Join(dir, SlurmDir, "%A_%a.err"))
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", max(1, opt.CPUs))
	if opt.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", opt.Partition)
	}
	if opt.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", opt.Time)
	}
	if opt.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", opt.Mem)
	}
	// A worker per CPU the task was given (vlec's numbers do not depend
	// on it), unless the environment says otherwise.
	fmt.Fprintf(&b, "export GOMAXPROCS=\"${GOMAXPROCS:-%d}\"\n", max(1, opt.CPUs))
	id := `"$SLURM_ARRAY_TASK_ID"`
	if offset != 0 {
		id = fmt.Sprintf(`"$((SLURM_ARRAY_TASK_ID + %d))"`, offset)
	}
	if m.Sim != "" {
		simTask(&b, dir, m, ids, id)
		return b.String()
	}
	fmt.Fprintf(&b, "exec %s sweep run-task %s %s\n", shellQuote(m.Vlec), shellQuote(dir), id)
	return b.String()
}

// simTask writes the body of a task of a simulator's sweep: what vlec
// sweep run-task does, in sh, so that the nodes need only the
// simulator. It picks the run's directory and arguments by id, empties
// the directory, runs the simulator in it with -o RUNDIR -q, and
// records the exit status in run.json, keeping the standard error in
// stderr.txt when the run fails.
func simTask(b *strings.Builder, dir string, m *Manifest, ids []int, id string) {
	fmt.Fprintf(b, "dir=%s\n", shellQuote(dir))
	fmt.Fprintf(b, "case %s in\n", id)
	for _, want := range ids {
		r, ok := m.Run(want)
		if !ok {
			continue
		}
		args := make([]string, len(r.Args))
		for i, a := range r.Args {
			args[i] = shellQuote(a)
		}
		fmt.Fprintf(b, "%d) run=%s; set -- %s ;;\n", r.ID, shellQuote(r.Dir), strings.Join(args, " "))
	}
	fmt.Fprintf(b, "*) echo \"vlec sweep: no run $SLURM_ARRAY_TASK_ID in this array\" >&2; exit 1 ;;\n")
	b.WriteString("esac\n")
	b.WriteString(`out="$dir/$run"
rm -rf "$out" && mkdir -p "$out" && cd "$out" || exit 1
# Slurm signals every process of a task: the simulator stops after its
# step and keeps its summary; this shell outlives it to record how.
trap 'true' INT TERM
`)
	fmt.Fprintf(b, "%s \"$@\" -o \"$out\" -q 2>\"$out/%s\"\n", shellQuote(m.Sim), StderrFile)
	fmt.Fprintf(b, `code=$?
[ "$code" -eq 0 ] && rm -f "$out/%s"
printf '{"exit_code": %%d, "host": "%%s"}\n' "$code" "$(uname -n)" >"$out/.%s.tmp" &&
  mv "$out/.%s.tmp" "$out/%s"
exit "$code"
`, StderrFile, RunFile, RunFile, RunFile)
}

// jobName is the model file's base name without .vle, reduced to
// characters every Slurm tool prints as they are.
func jobName(model string) string {
	name := strings.TrimSuffix(filepath.Base(model), ".vle")
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' {
			return c
		}
		return '_'
	}, name)
}

// shellQuote quotes s for sh: in single quotes, each quote in s
// closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkSlurmPath refuses paths that #SBATCH lines cannot hold: Slurm
// reads them without quotes and expands % in file names.
func checkSlurmPath(what, path string) error {
	if i := strings.IndexAny(path, " \t\n\"'%\\"); i >= 0 {
		return fmt.Errorf("%s %s holds %q, which a Slurm batch script cannot hold: use a path without spaces, quotes, %% or \\", what, path, path[i])
	}
	return nil
}

// Submit submits the given runs of the sweep in dir as Slurm job
// arrays, a task per run: one array, or several when the run ids reach
// the cluster's MaxArraySize (each then with an offset from its array
// indices to the run ids). For each it writes DIR/sweep.sbatch and runs
// sbatch --parsable; every array Slurm accepts is added to
// DIR/slurm.json at once, and the accepted ones are returned. When
// sbatch is missing or refuses, the error holds its message and says
// which arrays, if any, were accepted before: nothing else is recorded,
// so nothing claims runs were submitted that were not.
func Submit(ctx context.Context, dir string, m *Manifest, ids []int, opt SlurmOptions) ([]Submission, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("no runs to submit")
	}
	if err := checkSlurmPath("the sweep directory", dir); err != nil {
		return nil, err
	}
	for _, o := range [][2]string{{"--partition", opt.Partition}, {"--time", opt.Time}, {"--mem", opt.Mem}} {
		if strings.ContainsAny(o[1], " \t\r\n") {
			return nil, fmt.Errorf("%s %q: a value without spaces, as sbatch takes it", o[0], o[1])
		}
	}
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return nil, fmt.Errorf("sbatch not found: --slurm needs Slurm's sbatch on the PATH (run it on a login node of the cluster): %v", err)
	}
	rec, err := LoadSlurm(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, SlurmDir), 0o755); err != nil {
		return nil, err
	}
	var done []Submission
	limit := maxArraySize(ctx)
	for _, chunk := range chunks(ids, limit) {
		offset := 0
		if chunk[len(chunk)-1] >= limit {
			offset = chunk[0]
		}
		sub, err := submitArray(ctx, sbatch, dir, m, chunk, offset, opt)
		if err == nil {
			rec.Submissions = append(rec.Submissions, sub)
			data, _ := json.MarshalIndent(rec, "", "  ")
			if werr := atomicfile.WriteFile(filepath.Join(dir, SlurmFile), append(data, '\n')); werr != nil {
				err = fmt.Errorf("job %s was submitted, but recording it in %s failed: %v", sub.JobID, SlurmFile, werr)
			}
			done = append(done, sub)
		}
		if err != nil {
			if len(done) > 0 {
				err = fmt.Errorf("%v\n(%s records the arrays accepted before: %s)", err, SlurmFile, jobList(done))
			}
			return done, err
		}
	}
	return done, nil
}

// submitArray writes the script of one job array, its indices the run
// ids less offset, and submits it.
func submitArray(ctx context.Context, sbatch, dir string, m *Manifest, ids []int, offset int, opt SlurmOptions) (Submission, error) {
	script := filepath.Join(dir, ScriptFile)
	if err := atomicfile.WriteFile(script, []byte(Script(dir, m, ids, offset, opt))); err != nil {
		return Submission{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sbatch, "--parsable", script)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return Submission{}, fmt.Errorf("sbatch refused the job array of runs %s, which was not submitted:\n%s", ArraySpec(ids), msg)
	}
	// --parsable prints "JOBID" or "JOBID;CLUSTER".
	line, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), "\n")
	job, _, _ := strings.Cut(line, ";")
	if _, err := strconv.ParseUint(job, 10, 64); err != nil {
		return Submission{}, fmt.Errorf("sbatch printed %q, not a job id: check squeue for a job named vlec-sweep-%s before submitting again", stdout.String(), jobName(m.Model))
	}
	index := make([]int, len(ids))
	for i, id := range ids {
		index[i] = id - offset
	}
	return Submission{JobID: job, Array: ArraySpec(index), Tasks: ids, Offset: offset, Submitted: time.Now().Format(time.RFC3339)}, nil
}

// defaultMaxArraySize is Slurm's default MaxArraySize: array indices
// run from 0 to 1000.
const defaultMaxArraySize = 1001

// maxArraySize asks scontrol for the cluster's MaxArraySize, the bound
// on array indices; Slurm's default when it cannot be asked.
func maxArraySize(ctx context.Context) int {
	out, err := exec.CommandContext(ctx, "scontrol", "show", "config").Output()
	if err != nil {
		return defaultMaxArraySize
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		name, value, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(name) == "MaxArraySize" {
			if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n > 0 {
				return n
			}
		}
	}
	return defaultMaxArraySize
}

// chunks splits the sorted ids into groups whose ids span less than
// limit, so that each is one array with indices id - first id.
func chunks(ids []int, limit int) [][]int {
	ids = slices.Sorted(slices.Values(ids))
	if ids[len(ids)-1] < limit {
		return [][]int{ids}
	}
	var out [][]int
	for len(ids) > 0 {
		n := 1
		for n < len(ids) && ids[n]-ids[0] < limit {
			n++
		}
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	return out
}

// jobList names the job ids of the submissions.
func jobList(subs []Submission) string {
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.JobID
	}
	return strings.Join(ids, ", ")
}

// Queue asks squeue for the tasks of the given job arrays of the sweep
// of model that Slurm still holds, and returns their states (PENDING,
// RUNNING, ...) by job id and task id ("5_3"). Jobs that have left the
// queue are absent, and so are jobs of another name (a job id a
// restarted cluster gave again). The error says squeue could not be
// asked.
func Queue(ctx context.Context, jobs []string, model string) (map[string]string, error) {
	out := map[string]string{}
	if len(jobs) == 0 {
		return out, nil
	}
	squeue, err := exec.LookPath("squeue")
	if err != nil {
		return nil, fmt.Errorf("squeue not found")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, squeue, "--noheader", "--array", "--jobs="+strings.Join(jobs, ","), "--name=vlec-sweep-"+jobName(model), "--format=%F|%K|%T")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// squeue refuses a list of jobs that have all left the queue.
		if strings.Contains(stderr.String(), "Invalid job id") {
			return out, nil
		}
		msg := strings.Join(strings.Fields(stderr.String()), " ") // squeue: error: ...
		if msg == "" {
			msg = "squeue: " + err.Error()
		}
		return nil, errors.New(msg)
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) == 3 {
			out[f[0]+"_"+f[1]] = f[2]
		}
	}
	return out, nil
}

// Accounting asks sacct for the final states of the tasks of the given
// job arrays of the sweep of model (COMPLETED, FAILED, TIMEOUT,
// OUT_OF_MEMORY, CANCELLED ...), by "job_task". The error says sacct is
// missing or accounting is off.
func Accounting(ctx context.Context, jobs []string, model string) (map[string]string, error) {
	out := map[string]string{}
	if len(jobs) == 0 {
		return out, nil
	}
	sacct, err := exec.LookPath("sacct")
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sacct, "--noheader", "--allocations", "--parsable2", "--jobs="+strings.Join(jobs, ","), "--name=vlec-sweep-"+jobName(model), "--format=JobID,State")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sacct: %s", strings.TrimSpace(stderr.String()))
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		if ok && strings.Contains(id, "_") && !strings.Contains(id, "[") {
			state, _, _ = strings.Cut(state, " ") // "CANCELLED by 0"
			out[id] = state
		}
	}
	return out, nil
}

// Active reports whether a squeue state is a task waiting or running:
// one that must not be submitted again.
func Active(state string) bool {
	switch state {
	case "", "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT", "REVOKED":
		return false
	}
	return true
}
