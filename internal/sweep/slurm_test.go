package sweep

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeTools puts shell scripts named by tools first on the PATH.
func fakeTools(t *testing.T, tools map[string]string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake Slurm tools are shell scripts")
	}
	bin := t.TempDir()
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestScript(t *testing.T) {
	m := &Manifest{Model: "/models/chain 2.vle", Vlec: "/opt/it's/vlec"}
	got := Script("/shared/sw", m, []int{3, 7, 8, 9}, 0, SlurmOptions{Partition: "short", Time: "10", Mem: "1G", CPUs: 2})
	want := `#!/bin/sh
# Written by vlec sweep --slurm: a job array with a task per run of the
# sweep in this directory; a task's id is its run's id in sweep.json.
#SBATCH --job-name=vlec-sweep-chain_2
#SBATCH --array=3,7-9
#SBATCH --output=/shared/sw/slurm/%A_%a.out
#SBATCH --error=/shared/sw/slurm/%A_%a.err
#SBATCH --cpus-per-task=2
#SBATCH --partition=short
#SBATCH --time=10
#SBATCH --mem=1G
export GOMAXPROCS="${GOMAXPROCS:-2}"
exec '/opt/it'\''s/vlec' sweep run-task '/shared/sw' "$SLURM_ARRAY_TASK_ID"
`
	if got != want {
		t.Errorf("script:\n%s\nwant\n%s", got, want)
	}
	// Without resources, the cluster's defaults and one CPU.
	got = Script("/s", m, []int{0}, 0, SlurmOptions{})
	if strings.Contains(got, "--partition") || strings.Contains(got, "--time") || strings.Contains(got, "--mem") || !strings.Contains(got, "--cpus-per-task=1\n") {
		t.Errorf("script without resources:\n%s", got)
	}
	// A throttle: at most 3 tasks at a time.
	got = Script("/s", m, []int{0, 1, 2, 3, 4}, 0, SlurmOptions{Throttle: 3})
	if !strings.Contains(got, "#SBATCH --array=0-4%3\n") {
		t.Errorf("script with a throttle:\n%s", got)
	}
	// With an offset, the indices start at 0 and the task adds it back.
	got = Script("/s", m, []int{1200, 1201, 1205}, 1200, SlurmOptions{})
	if !strings.Contains(got, "#SBATCH --array=0-1,5\n") || !strings.Contains(got, ` sweep run-task '/s' "$((SLURM_ARRAY_TASK_ID + 1200))"`) {
		t.Errorf("script with an offset:\n%s", got)
	}
}

func TestSubmit(t *testing.T) {
	dir := t.TempDir()
	m, err := New("/m/a.vle", "/bin/vlec", "", nil, []Axis{{"seed", []string{"0", "1", "2", "3"}}})
	if err != nil {
		t.Fatal(err)
	}

	// Refused: sbatch's message, and nothing recorded.
	fakeTools(t, map[string]string{"sbatch": "echo 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n"})
	_, err = Submit(context.Background(), dir, m, []int{0, 1}, SlurmOptions{Partition: "nope"})
	if err == nil || !strings.Contains(err.Error(), "sbatch: error: invalid partition specified: nope") || !strings.Contains(err.Error(), "runs 0-1, which was not submitted") {
		t.Errorf("refused submission: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SlurmFile)); !os.IsNotExist(err) {
		t.Errorf("a refused submission left %s (%v)", SlurmFile, err)
	}

	// sbatch missing.
	t.Setenv("PATH", t.TempDir())
	if _, err = Submit(context.Background(), dir, m, []int{0}, SlurmOptions{}); err == nil || !strings.Contains(err.Error(), "sbatch not found") {
		t.Errorf("without sbatch: %v", err)
	}

	// Accepted twice: both recorded, with their tasks; sbatch got the
	// script, run in the sweep directory.
	fakeTools(t, map[string]string{"sbatch": "echo \"$PWD $*\" > sbatch.args\necho '42;cluster'\n"})
	subs, err := Submit(context.Background(), dir, m, []int{2, 0, 1}, SlurmOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].JobID != "42" || subs[0].Array != "0-2" || subs[0].Offset != 0 || !slices.Equal(subs[0].Tasks, []int{0, 1, 2}) {
		t.Errorf("submissions %+v", subs)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "sbatch.args"))
	if want := dir + " --parsable " + filepath.Join(dir, ScriptFile) + "\n"; string(args) != want {
		t.Errorf("sbatch ran as %q, want %q", args, want)
	}
	if _, err := Submit(context.Background(), dir, m, []int{2}, SlurmOptions{}); err != nil {
		t.Fatal(err)
	}
	rec, err := LoadSlurm(dir)
	if err != nil || len(rec.Submissions) != 2 {
		t.Fatalf("slurm.json: %+v, %v", rec, err)
	}
	if latest := rec.Latest(); latest[2].Array != "2" || latest[0].Array != "0-2" {
		t.Errorf("latest submissions: %+v", latest)
	}

	// Output that is not a job id.
	fakeTools(t, map[string]string{"sbatch": "echo 'Submitted batch job 7'\n"})
	if _, err := Submit(context.Background(), dir, m, []int{3}, SlurmOptions{}); err == nil || !strings.Contains(err.Error(), "not a job id") {
		t.Errorf("sbatch printing no job id: %v", err)
	}

	if _, err := Submit(context.Background(), filepath.Join(dir, "a b"), m, []int{3}, SlurmOptions{}); err == nil || !strings.Contains(err.Error(), "cannot hold") {
		t.Errorf("a directory with a space: %v", err)
	}
	if _, err := Submit(context.Background(), dir, m, []int{3}, SlurmOptions{Partition: "a\n#SBATCH --x"}); err == nil || !strings.Contains(err.Error(), `--partition "a\n#SBATCH --x": a value without spaces`) {
		t.Errorf("a partition with a newline: %v", err)
	}
}

// TestStates combines run directories, squeue and sacct.
func TestStates(t *testing.T) {
	dir, m, _ := fakeSweep(t, []string{"1", "fail"}, 3)
	// Runs 0 and 3 ran here: 0 ok, 3 failed.
	if err := Local(context.Background(), dir, m, []Run{m.Runs[0], m.Runs[3]}, 2, nil); err != nil {
		t.Fatal(err)
	}
	rec := `{"submissions":[{"job_id":"42","array":"1-5","tasks":[1,2,3,4,5]}]}`
	if err := os.WriteFile(filepath.Join(dir, SlurmFile), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	// Slurm still holds tasks 1 (running) and 2 (pending); 4 timed out;
	// 5 left no trace.
	fakeTools(t, map[string]string{
		"squeue": "case \"$*\" in *--name=vlec-sweep-model\\ *) printf '42|1|RUNNING\\n42|2|PENDING\\n' ;; esac\n",
		"sacct":  "case \"$*\" in *--name=vlec-sweep-model\\ *) printf '42_4|TIMEOUT\\n42_5|COMPLETED\\n' ;; esac\n",
	})
	states, note, err := States(context.Background(), dir, m)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	var got []string
	for _, s := range states {
		got = append(got, s.State+" "+s.Job)
	}
	want := []string{"done ", "running 42_1", "pending 42_2", "failed 42_3", "failed 42_4", "missing 42_5"}
	if !slices.Equal(got, want) {
		t.Errorf("states %q, want %q", got, want)
	}
	if !strings.Contains(states[4].Message, "TIMEOUT") || !strings.Contains(states[5].Message, "slurm/42_5.err") {
		t.Errorf("messages %q, %q", states[4].Message, states[5].Message)
	}

	// All jobs gone from the queue: squeue refuses their ids.
	fakeTools(t, map[string]string{"squeue": "echo 'slurm_load_jobs error: Invalid job id specified' >&2\nexit 1\n"})
	states, note, err = States(context.Background(), dir, m)
	if err != nil || note != "" || states[1].State != Missing {
		t.Errorf("jobs gone: %v %q %+v", err, note, states[1])
	}
	// squeue failing otherwise: a note, and the run directories.
	fakeTools(t, map[string]string{"squeue": "echo 'squeue: error: Unable to contact slurm controller' >&2\nexit 1\n"})
	_, note, err = States(context.Background(), dir, m)
	if err != nil || !strings.Contains(note, "Unable to contact slurm controller") {
		t.Errorf("squeue failing: %v %q", err, note)
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		ids   []int
		limit int
		want  string
	}{
		{[]int{0, 1, 2}, 1001, "[[0 1 2]]"},
		{[]int{5, 1000}, 1001, "[[5 1000]]"},
		{[]int{9, 0, 1, 4, 3, 5, 8}, 4, "[[0 1 3] [4 5] [8 9]]"},
		{[]int{1001, 1002, 2500}, 1001, "[[1001 1002] [2500]]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(chunks(tt.ids, tt.limit)); got != tt.want {
			t.Errorf("chunks(%v, %d) = %s, want %s", tt.ids, tt.limit, got, tt.want)
		}
	}
}

// TestSubmitChunks submits more runs than the cluster's MaxArraySize
// allows in one array: several arrays, each with its offset, and the
// states of their tasks found by index. The second array refused leaves
// the first recorded.
func TestSubmitChunks(t *testing.T) {
	dir, m, _ := fakeSweep(t, []string{"1", "2", "3", "4", "5"}, 2) // runs 0-9
	fakeTools(t, map[string]string{
		"scontrol": "printf 'MaxArraySize            = 4\\nMaxJobCount = 10\\n'\n",
		"sbatch":   "n=$(cat n 2>/dev/null || echo 40); n=$((n+1)); echo $n > n; grep -- --array \"$2\" >> arrays; grep run-task \"$2\" >> tasks; echo $n\n",
		"squeue":   "printf '42|1|RUNNING\\n43|0|PENDING\\n'\n",
	})
	subs, err := Submit(context.Background(), dir, m, []int{0, 1, 2, 3, 4, 5, 6, 9}, SlurmOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, fmt.Sprintf("%s %s +%d %v", s.JobID, s.Array, s.Offset, s.Tasks))
	}
	want := []string{"41 0-3 +0 [0 1 2 3]", "42 0-2 +4 [4 5 6]", "43 0 +9 [9]"}
	if !slices.Equal(got, want) {
		t.Errorf("submissions %q, want %q", got, want)
	}
	tasks, _ := os.ReadFile(filepath.Join(dir, "tasks"))
	if !strings.Contains(string(tasks), `"$((SLURM_ARRAY_TASK_ID + 4))"`) || !strings.Contains(string(tasks), `"$((SLURM_ARRAY_TASK_ID + 9))"`) {
		t.Errorf("the scripts' run-task lines:\n%s", tasks)
	}
	states, _, err := States(context.Background(), dir, m)
	if err != nil {
		t.Fatal(err)
	}
	if s := states[5]; s.Job != "42_1" || s.State != Running {
		t.Errorf("run 5: %s %s, want running as 42_1", s.State, s.Job)
	}
	if s := states[9]; s.Job != "43_0" || s.State != Pending {
		t.Errorf("run 9: %s %s, want pending as 43_0", s.State, s.Job)
	}

	// The second array refused: the first is recorded and said so.
	dir2, m2, _ := fakeSweep(t, []string{"1", "2", "3", "4", "5"}, 2)
	fakeTools(t, map[string]string{
		"scontrol": "printf 'MaxArraySize = 4\\n'\n",
		"sbatch":   "if [ -e once ]; then echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; exit 1; fi; touch once; echo 77\n",
	})
	subs, err = Submit(context.Background(), dir2, m2, []int{0, 1, 2, 3, 4, 5}, SlurmOptions{})
	if err == nil || !strings.Contains(err.Error(), "QOSMaxSubmitJobPerUserLimit") || !strings.Contains(err.Error(), "arrays accepted before: 77") || len(subs) != 1 {
		t.Errorf("second array refused: %v, %+v", err, subs)
	}
	rec, _ := LoadSlurm(dir2)
	if len(rec.Submissions) != 1 || rec.Submissions[0].JobID != "77" {
		t.Errorf("slurm.json after a refusal: %+v", rec)
	}
}

// TestSimTask runs the batch script of a simulator's sweep as Slurm
// would, task by task, and checks the run directories say what those of
// a local sweep of the same simulator say: the same command, run.json
// and stderr.txt.
func TestSimTask(t *testing.T) {
	xs := []string{"1", "fail", "nan"}
	local, m, _ := fakeSweepOf(t, xs, 2, true)
	if err := Local(context.Background(), local, m, m.Runs, 2, nil); err != nil {
		t.Fatal(err)
	}
	slurm, m2, _ := fakeSweepOf(t, xs, 2, true)
	ids := []int{0, 1, 2, 3, 4, 5}
	script := filepath.Join(slurm, ScriptFile)
	if err := os.WriteFile(script, []byte(Script(slurm, m2, ids, 0, SlurmOptions{})), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(id))
		out, err := cmd.CombinedOutput()
		r, _ := m2.Run(id)
		want := Inspect(local, r)
		if code := cmd.ProcessState.ExitCode(); code != want.Exit.Code {
			t.Errorf("task %d: exit status %d (%v, %s), want %d", id, code, err, out, want.Exit.Code)
		}
	}
	var a, b strings.Builder
	Collect(local, m).WriteResults(&a)
	Collect(slurm, m2).WriteResults(&b)
	if a.String() != b.String() {
		t.Errorf("results of the script's tasks:\n%s\nwant (local)\n%s", b.String(), a.String())
	}
	if !strings.Contains(a.String(), ",failed,1,") || !strings.Contains(a.String(), ",failed,3,") {
		t.Errorf("the sweep lacks its failures:\n%s", a.String())
	}
	for _, dir := range []string{"runs/x=fail_seed=0", "runs/x=1_seed=1"} {
		l, lerr := os.ReadFile(filepath.Join(local, dir, StderrFile))
		s, serr := os.ReadFile(filepath.Join(slurm, dir, StderrFile))
		if string(l) != string(s) || (lerr == nil) != (serr == nil) {
			t.Errorf("%s/stderr.txt: task %q (%v), local %q (%v)", dir, s, serr, l, lerr)
		}
	}
	// An id the array does not hold.
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=9")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no run 9") {
		t.Errorf("task 9: %v %s", err, out)
	}
}
