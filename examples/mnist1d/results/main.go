// Command results tabulates the runs of examples/mnist1d/run_seeds.sh:
// for every run directory under DIR (one per seed) the final and the best
// test accuracy, the epochs and the wall time, then the mean and standard
// deviation over the seeds. It writes the table as Markdown to stdout and
// as CSV to DIR/results.csv.
//
//	go run ./examples/mnist1d/results runs/mnist1d
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// summary holds the fields of a run summary the table needs.
type summary struct {
	Seed  uint64   `json:"seed"`
	Wall  *float64 `json:"wall_s"`
	Steps int      `json:"steps"`
	Task  *struct {
		Epochs  int `json:"epochs"`
		Planned int `json:"planned"`
		Final   *struct {
			TestAccuracy *float64 `json:"test_accuracy"`
			TestLoss     *float64 `json:"test_loss"`
		} `json:"final"`
		Best *struct {
			Epoch        int      `json:"epoch"`
			TestAccuracy *float64 `json:"test_accuracy"`
		} `json:"best"`
	} `json:"task"`
	Stopped string `json:"stopped"`
}

type row struct {
	dir               string
	seed              uint64
	epochs, planned   int
	final, best, wall float64
	bestEpoch         int
	stopped           string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: results DIR (the output directory of run_seeds.sh)")
		os.Exit(2)
	}
	dir := os.Args[1]
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.summary.json"))
	if len(paths) == 0 {
		fmt.Fprintf(os.Stderr, "results: no run summaries under %s\n", dir)
		os.Exit(1)
	}
	var rows []row
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "results:", err)
			os.Exit(1)
		}
		var s summary
		if err := json.Unmarshal(data, &s); err != nil || s.Task == nil {
			fmt.Fprintf(os.Stderr, "results: %s is not the summary of a task's run\n", p)
			os.Exit(1)
		}
		r := row{dir: filepath.Base(filepath.Dir(p)), seed: s.Seed, epochs: s.Task.Epochs, planned: s.Task.Planned,
			final: math.NaN(), best: math.NaN(), wall: math.NaN(), stopped: s.Stopped}
		if f := s.Task.Final; f != nil && f.TestAccuracy != nil {
			r.final = *f.TestAccuracy
		}
		if b := s.Task.Best; b != nil && b.TestAccuracy != nil {
			r.best, r.bestEpoch = *b.TestAccuracy, b.Epoch
		}
		if s.Wall != nil {
			r.wall = *s.Wall
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].seed < rows[j].seed })
	var md, csv strings.Builder
	md.WriteString("| seed | epochs | final test accuracy | best test accuracy (epoch) | wall time | stopped |\n|---|---|---|---|---|---|\n")
	csv.WriteString("seed,epochs,final_test_accuracy,best_test_accuracy,best_epoch,wall_s,stopped\n")
	var finals, bests, walls []float64
	for _, r := range rows {
		fmt.Fprintf(&md, "| %d | %d/%d | %.2f %% | %.2f %% (%d) | %.0f min | %s |\n", r.seed, r.epochs, r.planned, 100*r.final, 100*r.best, r.bestEpoch, r.wall/60, r.stopped)
		fmt.Fprintf(&csv, "%d,%d,%g,%g,%d,%g,%s\n", r.seed, r.epochs, r.final, r.best, r.bestEpoch, r.wall, r.stopped)
		finals, bests, walls = append(finals, r.final), append(bests, r.best), append(walls, r.wall)
	}
	mf, sf := meanStd(finals)
	mb, sb := meanStd(bests)
	mw, _ := meanStd(walls)
	fmt.Fprintf(&md, "| mean ± std (%d seeds) | | %.2f ± %.2f %% | %.2f ± %.2f %% | %.0f min | |\n", len(rows), 100*mf, 100*sf, 100*mb, 100*sb, mw/60)
	fmt.Print(md.String())
	if err := os.WriteFile(filepath.Join(dir, "results.csv"), []byte(csv.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(1)
	}
}

// meanStd is the mean and the sample standard deviation (0 for one
// value).
func meanStd(x []float64) (float64, float64) {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	if len(x) < 2 {
		return m, 0
	}
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return m, math.Sqrt(s / float64(len(x)-1))
}
