package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/atomicfile"
)

// The statuses of a run.
const (
	StatusOK      = "ok"      // completed: a summary with stopped = completed, exit status 0
	StatusFailed  = "failed"  // ended otherwise: an exit status other than 0, or a summary that says why it stopped early
	StatusMissing = "missing" // not run (yet): neither a summary nor an exit status
)

// ResultsFile and SummaryFile are the tables a sweep writes.
const (
	ResultsFile = "results.csv"
	SummaryFile = "summary.csv"
)

// Result is what a run's directory says about it.
type Result struct {
	Status string
	// Exit is the run's process exit, nil when it has not ended (or the
	// run was killed before it could be recorded).
	Exit *Exit
	// Summary is the run's summary, nil without one.
	Summary *Summary
	// Message says why a run failed.
	Message string
}

// Summary holds the fields of a run's <model>.summary.json that a sweep
// reports (lang/SPEC.md, Summary). Numbers keep their text, so that the
// tables hold exactly what the runs wrote.
type Summary struct {
	Model     string            `json:"model"`
	Steps     json.Number       `json:"steps"`
	WallS     json.Number       `json:"wall_s"`
	CostStart json.Number       `json:"cost_start"`
	CostEnd   json.Number       `json:"cost_end"`
	Stopped   string            `json:"stopped"`
	Error     string            `json:"error"`
	Nonfinite map[string]string `json:"nonfinite"`
	Task      *struct {
		Final map[string]json.Number `json:"final"`
	} `json:"task"`
}

// number gives a summary number as text: the number, the non-finite
// value named in nonfinite for a null, or "" when absent.
func (s *Summary) number(path string, n json.Number) string {
	if n != "" {
		return string(n)
	}
	return s.Nonfinite[path]
}

// Inspect reads the directory of run r of the sweep in dir: its
// run.json, its summary and its stderr.txt.
func Inspect(dir string, r Run) Result {
	runDir := filepath.Join(dir, r.Dir)
	var res Result
	if data, err := os.ReadFile(filepath.Join(runDir, RunFile)); err == nil {
		var ex Exit
		if json.Unmarshal(data, &ex) == nil {
			res.Exit = &ex
		}
	}
	sum, serr := ReadSummary(runDir)
	res.Summary = sum
	completed := sum != nil && sum.Stopped == "completed" && sum.Error == ""
	switch {
	case res.Exit != nil && res.Exit.Code != 0, res.Exit == nil && sum != nil && !completed:
		res.Status = StatusFailed
		res.Message = failure(runDir, res.Exit, sum)
	case completed:
		res.Status = StatusOK
	case res.Exit != nil:
		res.Status = StatusFailed
		res.Message = "exit status 0 but no summary"
		if serr != nil {
			res.Message = serr.Error()
		}
	default:
		res.Status = StatusMissing
	}
	return res
}

// ReadSummary reads the one *.summary.json of a run directory; nil
// without one.
func ReadSummary(runDir string) (*Summary, error) {
	paths, _ := filepath.Glob(filepath.Join(runDir, "*.summary.json"))
	if len(paths) == 0 {
		return nil, nil
	}
	if len(paths) > 1 {
		return nil, fmt.Errorf("%d summaries in %s", len(paths), runDir)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Summary
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %v", paths[0], err)
	}
	return &s, nil
}

// failure says why a run failed: "interrupted", or the summary's error or
// reason to stop, else the first line of its standard error, else how
// its process ended.
func failure(runDir string, ex *Exit, sum *Summary) string {
	if sum != nil && sum.Stopped == "interrupted" {
		return sum.Stopped // its error says only "context canceled"
	}
	if sum != nil && sum.Error != "" {
		return sum.Error
	}
	if sum != nil && sum.Stopped != "completed" && sum.Stopped != "" {
		return sum.Stopped
	}
	if data, err := os.ReadFile(filepath.Join(runDir, StderrFile)); err == nil {
		// The first line is the error (a positioned one is followed by
		// its source line and caret); a cut tail starts with [...].
		for line := range strings.SplitSeq(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && line != "[...]" {
				return strings.TrimPrefix(line, "vlec: ")
			}
		}
	}
	if ex != nil && ex.Error != "" {
		return ex.Error
	}
	if ex != nil {
		return fmt.Sprintf("exit status %d", ex.Code)
	}
	return "stopped early"
}

// metricColumns are the final metrics of a task (lang/SPEC.md, Tasks)
// that the tables report when a run has them.
var metricColumns = []string{"train_loss", "train_accuracy", "test_loss", "test_accuracy"}

// Table is the results of a sweep: a row per run.
type Table struct {
	Grid    []Axis
	Runs    []Run
	Results []Result
	// Metrics are the task metrics some run has, in metricColumns order.
	Metrics []string
}

// Collect inspects every run of the manifest.
func Collect(dir string, m *Manifest) *Table {
	t := &Table{Grid: m.Grid, Runs: m.Runs}
	have := map[string]bool{}
	for _, r := range m.Runs {
		res := Inspect(dir, r)
		t.Results = append(t.Results, res)
		if res.Summary != nil && res.Summary.Task != nil {
			for k := range res.Summary.Task.Final {
				have[k] = true
			}
		}
	}
	for _, k := range metricColumns {
		if have[k] {
			t.Metrics = append(t.Metrics, k)
		}
	}
	return t
}

// Count returns the number of runs with each status.
func (t *Table) Count() map[string]int {
	n := map[string]int{}
	for _, r := range t.Results {
		n[r.Status]++
	}
	return n
}

// numbers are the numeric columns of a results row, in order: steps,
// wall_s, cost_start, cost_end and the task's metrics.
func (t *Table) numbers(i int) []string {
	s := t.Results[i].Summary
	out := make([]string, 4+len(t.Metrics))
	if s == nil {
		return out
	}
	out[0] = s.number("steps", s.Steps)
	out[1] = s.number("wall_s", s.WallS)
	out[2] = s.number("cost_start", s.CostStart)
	out[3] = s.number("cost_end", s.CostEnd)
	for j, k := range t.Metrics {
		if s.Task != nil {
			out[4+j] = s.number("task.final."+k, s.Task.Final[k])
		}
	}
	return out
}

func (t *Table) numberNames() []string {
	return append([]string{"steps", "wall_s", "cost_start", "cost_end"}, t.Metrics...)
}

// WriteResults writes results.csv: a row per run with its id, its
// settings, status, exit code, the summary's steps, wall_s, cost_start
// and cost_end, the task's final metrics, the error and the run's
// directory. Numbers are as the summary holds them; a non-finite one is
// NaN, +Inf or -Inf; an absent one is empty.
func (t *Table) WriteResults(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := append([]string{"id"}, axisNames(t.Grid)...)
	head = append(head, "status", "exit_code")
	head = append(head, t.numberNames()...)
	cw.Write(append(head, "error", "dir"))
	for i, r := range t.Runs {
		res := t.Results[i]
		row := []string{strconv.Itoa(r.ID)}
		for _, s := range r.Settings {
			row = append(row, s.Value)
		}
		code := ""
		if res.Exit != nil {
			code = strconv.Itoa(res.Exit.Code)
		}
		row = append(row, res.Status, code)
		row = append(row, t.numbers(i)...)
		cw.Write(append(row, oneLine(res.Message), filepath.ToSlash(r.Dir)))
	}
	cw.Flush()
	return cw.Error()
}

// oneLine joins the lines of s with " / ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " / ")), " ")
}

// WriteFiles writes results.csv and summary.csv into dir, each
// atomically.
func (t *Table) WriteFiles(dir string) error {
	var b bytes.Buffer
	if err := t.WriteResults(&b); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ResultsFile), b.Bytes()); err != nil {
		return err
	}
	b.Reset()
	if err := t.Aggregate().WriteCSV(&b); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, SummaryFile), b.Bytes())
}
