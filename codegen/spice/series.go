package spice

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
)

// Recorded signals. A file input, and with --with-errors a file
// teacher's target, is what vlec reads step by step: Options.Series
// gives those values for the steps up to Tstop, and each entry becomes a
// PWL source through the points (k dt, value of step k). Between the
// points the source is linear where vlec holds the value of step k for
// the whole step: the two differ by at most one step's change of the
// signal. After the last point a PWL source holds its value.

// loadSeries asks Options.Series for the recorded signals the circuit
// needs.
func (x *exporter) loadSeries() error {
	s := x.top
	m := s.sys.Model
	var bufs []*schedule.Buffer
	for _, in := range m.Inputs {
		if in.File != "" && in.Data == nil && s.prog.Inputs[in] != nil {
			bufs = append(bufs, s.prog.Inputs[in])
		}
	}
	if x.opts.WithErrors {
		for _, tb := range s.prog.Targets {
			if tb.Teacher.Model == nil && tb.Teacher.Data == nil && tb.Teacher.File != "" {
				bufs = append(bufs, tb.Buffer)
			}
		}
	}
	if len(bufs) == 0 || x.opts.Series == nil {
		return nil
	}
	steps := int(math.Round(x.tstop/s.prog.Dt)) + 1
	if steps > s.prog.Steps {
		steps = s.prog.Steps
	}
	if x.tstop > m.Sim.Duration {
		x.notes = append(x.notes, fmt.Sprintf("the recorded inputs and targets end at the model's duration, %g s; after it their PWL sources hold the last value", m.Sim.Duration))
	}
	vals, err := x.opts.Series(bufs, steps)
	if err != nil {
		return err
	}
	x.series, x.seriesSteps = map[*schedule.Buffer][]float64{}, steps
	for i, b := range bufs {
		want := steps * b.Size() * s.prog.Batch
		if i >= len(vals) || len(vals[i]) != want {
			return fmt.Errorf("%s: the recorded values are not %d steps of %d", b.Name, steps, b.Size()*s.prog.Batch)
		}
		x.series[b] = vals[i]
	}
	return nil
}

// pwl writes one PWL voltage source per entry of a recorded buffer, on
// nodes base_b_i.
func (x *exporter) pwl(base string, buf *schedule.Buffer, size int, what string) error {
	vals, dt := x.series[buf], x.top.prog.Dt
	row := size * x.top.prog.Batch
	for b := range x.batch {
		for i := range size {
			node := fmt.Sprintf("%s_%d_%d", base, b, i)
			if err := x.add(node, "the node of "+what); err != nil {
				return err
			}
			var w strings.Builder
			w.WriteString("PWL(")
			for k := range x.seriesSteps {
				if k > 0 && k%8 == 0 {
					w.WriteString("\n+")
				}
				fmt.Fprintf(&w, " %s %s", strconv.FormatFloat(float64(k)*dt, 'g', 12, 64), num(vals[k*row+b*size+i]))
			}
			w.WriteString(" )")
			if err := x.element("V"+node, "the PWL source of "+what, node, "0", w.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFileTargets writes the PWL sources of the file teachers' targets
// the errors read.
func (s *scope) writeFileTargets() error {
	for _, tb := range s.prog.Targets {
		if s.x.series[tb.Buffer] == nil {
			continue
		}
		s.x.comment("target %s = file(%q): PWL through the targets of vlec's steps", tb.Buffer.Name, tb.Teacher.File)
		if err := s.x.pwl("tg_"+sanitize(tb.Buffer.Name), tb.Buffer, tb.Buffer.Size(), "target "+tb.Buffer.Name); err != nil {
			return err
		}
	}
	return nil
}
