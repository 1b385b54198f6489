package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vlec-dev/vlec/runtime"
)

// Calibration of a generated simulator's timed run: runs of calibStart
// steps, growing, until one takes calibWall (or a quarter of --time,
// whichever is shorter).
const (
	calibStart = 1000
	calibWall  = 100 * time.Millisecond
	calibGrow  = 100 // at most this factor between two runs
)

// goTimer times a generated simulator: runs of steps steps, quiet, into
// a temporary directory, reading the rate from the summary.
type goTimer struct {
	bin     string
	dt      float64
	planned int // the model's steps: the most a run can take
	steps   int // steps of a timed run (calibrate)
}

// goSummary is what vlec bench reads of a generated simulator's summary.
type goSummary struct {
	Steps          int     `json:"steps"`
	StepsPerSecond float64 `json:"steps_per_s"`
	WallSeconds    float64 `json:"wall_s"`
}

func (g *goTimer) time(ctx context.Context) (timing, error) {
	s, err := g.run(ctx, g.steps)
	return timing{s.StepsPerSecond, s.Steps}, err
}

// calibrate sets the steps of a timed run so that it takes about wall
// (at most the model's steps), from the rate of runs growing from
// calibStart steps until one takes calibWall or wall/4.
func (g *goTimer) calibrate(ctx context.Context, wall time.Duration) error {
	enough := min(calibWall, wall/4).Seconds()
	n := min(g.planned, calibStart)
	for {
		s, err := g.run(ctx, n)
		if err != nil {
			return err
		}
		if s.StepsPerSecond <= 0 {
			return fmt.Errorf("the Go simulator %s reported no rate after %d steps", g.bin, s.Steps)
		}
		if n >= g.planned || s.WallSeconds >= enough {
			g.steps = int(min(float64(g.planned), max(1, s.StepsPerSecond*wall.Seconds())))
			return nil
		}
		grow := float64(calibGrow)
		if s.WallSeconds > 0 {
			grow = min(grow, max(2, 1.5*enough/s.WallSeconds))
		}
		n = int(min(float64(g.planned), float64(n)*grow))
	}
}

// run runs the simulator for n steps, quiet, into a temporary directory
// (removed after), and returns its summary.
func (g *goTimer) run(ctx context.Context, n int) (goSummary, error) {
	dir, err := os.MkdirTemp("", "vlec-bench-*")
	if err != nil {
		return goSummary{}, err
	}
	defer os.RemoveAll(dir)
	c := exec.CommandContext(ctx, g.bin, "-q", "-o="+dir, "-duration="+runtime.FormatTime(n, g.dt)+"s")
	var output bytes.Buffer
	c.Stdout, c.Stderr = &output, &output
	c.SysProcAttr = childAttr()
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return goSummary{}, ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return goSummary{}, fmt.Errorf("the Go simulator stopped with status %d:\n%s", exitStatus(ee.ProcessState), strings.TrimSpace(output.String()))
		}
		return goSummary{}, fmt.Errorf("running the Go simulator %s: %v", g.bin, err)
	}
	return readGoSummary(dir)
}

// readGoSummary reads the summary a generated simulator wrote into dir.
func readGoSummary(dir string) (goSummary, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.summary.json"))
	if len(paths) != 1 {
		return goSummary{}, fmt.Errorf("the Go simulator wrote %d summaries, not one", len(paths))
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		return goSummary{}, err
	}
	var s goSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return goSummary{}, fmt.Errorf("the Go simulator's summary %s: %v", filepath.Base(paths[0]), err)
	}
	return s, nil
}
