package spice

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec/internal/testtool"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// needNgspice returns the ngspice binary (see testtool.Need; CI sets
// VLEC_NGSPICE=1 after installing it).
func needNgspice(t *testing.T) string {
	t.Helper()
	return testtool.Need(t, "VLEC_NGSPICE", "install the Debian package ngspice", "ngspice")
}

// ngspiceRun is what one batch run of ngspice gave.
type ngspiceRun struct {
	names []string    // the data file's header: time, then the vectors
	rows  [][]float64 // one row per output time
	wall  time.Duration
	log   string
}

// runNgspice writes the netlist into a new directory, runs `ngspice -b`
// there and reads the data file. It fails the test on a non-zero exit, a
// line of the log with "Error", or a malformed data file.
func runNgspice(t *testing.T, bin string, res *Result, data string) *ngspiceRun {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "net.cir"), res.Netlist, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-b", "net.cir")
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	run := &ngspiceRun{wall: time.Since(start), log: string(out)}
	if err != nil {
		t.Fatalf("ngspice -b: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(strings.ToLower(line), "error") {
			t.Fatalf("ngspice reported an error: %q\n%s", line, out)
		}
	}
	if res.DataFiles[0] != data {
		t.Fatalf("data files %v, want %s first", res.DataFiles, data)
	}
	var names []string
	var rows [][]float64
	for f, file := range res.DataFiles {
		fn, fr, err := readWrdata(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("%v\nngspice log:\n%s", err, out)
		}
		if f == 0 {
			names, rows = fn[:1], make([][]float64, len(fr))
			for j := range rows {
				rows[j] = fr[j][:1]
			}
		}
		if len(fr) != len(rows) {
			t.Fatalf("%s has %d rows, %s %d", file, len(fr), data, len(rows))
		}
		names = append(names, fn[1:]...)
		for j := range rows {
			if fr[j][0] != rows[j][0] {
				t.Fatalf("%s row %d is at t = %g, %s's at %g", file, j, fr[j][0], data, rows[j][0])
			}
			rows[j] = append(rows[j], fr[j][1:]...)
		}
	}
	if len(names) != len(res.Columns)+1 {
		t.Fatalf("data files have %d columns, want time and %d", len(names), len(res.Columns))
	}
	for i, c := range res.Columns {
		if names[i+1] != c.Vector {
			t.Fatalf("data column %d is %s, want %s", i+2, names[i+1], c.Vector)
		}
	}
	run.names, run.rows = names, rows
	return run
}

// readWrdata reads a file of ngspice's wrdata with wr_singlescale and
// wr_vecnames set: a header of vector names, then one row of numbers per
// time point.
func readWrdata(path string) ([]string, [][]float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	var names []string
	var rows [][]float64
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		if len(f) != len(names) {
			return nil, nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(f), len(names))
		}
		row := make([]float64, len(f))
		for i, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%s:%d: field %d is %q, not a finite number", path, line, i+1, s)
			}
			row[i] = v
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: no data rows", path)
	}
	return names, rows, nil
}

// refine steps m (and its teachers' models) at dt instead, in place (the
// teachers' bindings point into the model): the same times (duration,
// learn_after) in more steps, and learning rates scaled by dt/m.Sim.Dt,
// since a rate is per step (so the continuous-time rate lr/dt stays the
// same). The tau floor is a time and stays.
func refine(m *check.Model, dt float64) {
	k := dt / m.Sim.Dt
	m.Sim.LearnAfter = int(math.Round(float64(m.Sim.LearnAfter) / k))
	m.Sim.Dt = dt
	m.Sim.Steps = int(math.Round(m.Sim.Duration / dt))
	m.Learn.LR *= k
	for g, r := range m.Learn.GroupLR {
		m.Learn.GroupLR[g] = r * k
	}
	for _, t := range m.Teachers {
		if t.Model != nil {
			refine(t.Model, dt)
		}
	}
}

// program derives and schedules m: the free dynamics, or the method's
// dynamics with learning from learnFrom (a step; past the end: off).
func program(t *testing.T, m *check.Model, free bool) (*derive.System, *schedule.Program) {
	t.Helper()
	sys, err := derive.Derive(m)
	if err != nil {
		t.Fatal(err)
	}
	var prog *schedule.Program
	if free {
		prog, err = schedule.Free(sys)
	} else {
		prog, err = schedule.Schedule(sys)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sys, prog
}

// trace runs prog in vlec's runtime and samples the columns every tstep
// up to tstop: row j holds the values after the step at time j*tstep.
func trace(t *testing.T, prog *schedule.Program, cols []Column, tstep, tstop float64) [][]float64 {
	t.Helper()
	sim, err := runtime.New(prog, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	every := int(math.Round(tstep / prog.Dt))
	if math.Abs(float64(every)*prog.Dt-tstep) > 1e-9*tstep {
		t.Fatalf("tstep %g is not a multiple of dt %g", tstep, prog.Dt)
	}
	n := int(math.Round(tstop/tstep)) + 1
	bufs := make([]*schedule.Buffer, len(cols))
	for i, c := range cols {
		bufs[i] = prog.Named[c.Name]
		if bufs[i] == nil {
			t.Fatalf("no buffer %s in the program", c.Name)
		}
	}
	var rows [][]float64
	for k := 0; len(rows) < n; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		if k%every != 0 {
			continue
		}
		row := make([]float64, len(cols))
		for i, c := range cols {
			v := sim.Values(bufs[i])
			at := c.Index
			switch {
			case c.Sample >= 0 && c.Index >= 0:
				at = c.Sample*bufs[i].Size() + c.Index
			case c.Index < 0:
				at = c.Sample
			}
			row[i] = v[at]
		}
		rows = append(rows, row)
	}
	return rows
}

// relErr is the largest difference between the circuit and vlec over
// the trajectory of each column, relative to the largest magnitude vlec's
// column reaches (floored at 1e-3 for quantities that stay near 0); it
// returns the worst column's and its name.
func relErr(got, want [][]float64, cols []Column, skip int) (float64, string) {
	worst, which := 0.0, ""
	for i, c := range cols {
		diff, scale := 0.0, 1e-3
		for j := skip; j < len(want) && j < len(got); j++ {
			diff = math.Max(diff, math.Abs(got[j][i+1]-want[j][i]))
			scale = math.Max(scale, math.Abs(want[j][i]))
		}
		if e := diff / scale; e > worst {
			worst, which = e, c.label()
		}
	}
	return worst, which
}
