package runtime

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/atomicfile"
	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// A recording writes the values of its items every Every steps, after the
// step: population variables and parameters as they are after the step,
// teacher targets and the cost as they were at its start. Columns (CSV
// header, after step and t): <pop>.<var>[<batch>][<i>], <conn>[<i>][<j>],
// <pop>.b[<i>], <pop>.tau_m[<i>], <input>[<batch>][<i>],
// <teacher>.<pop>.<var>[<batch>][<i>], cost[<batch>]. lang/SPEC.md
// (Outputs) documents the layouts.
//
// A record with a reduced item (mean(y.r), sum(cost)) writes its rows at
// the end of each interval instead, after steps Every-1, 2*Every-1, ...:
// a reduced item, named mean(y.r) (columns mean(y.r)[<batch>][<i>]), holds
// the mean or the sum of its values over the Every steps of the interval,
// each taken as a plain record takes it at that step; the plain items are
// taken at the row's step. An interval the run did not step through
// whole (stopped early, or resumed within it) writes no row.
//
// .npy files hold one float64 matrix [rows][2 + columns] in the CSV's
// column order (step, t, then the columns); .npz archives hold one array
// per item shaped [rows][batch][n] (batched) or [rows][n] / [rows][n][m]
// (shared), plus "step" and "t".

// item is one recorded quantity.
type item struct {
	name    string
	sim     *Sim
	buf     *schedule.Buffer
	prev    bool // read a state's previous half (a teacher target)
	derived func() []float64
	rows    int // batch rows (1 for shared)
	shape   []int
	cols    []string
	// a reduced item: "mean" or "sum" ("" for a plain one), and the
	// values accumulated over the interval so far
	op  string
	acc []float64
}

func (it *item) values() []float64 {
	if it.derived != nil {
		return it.derived()
	}
	if it.prev && it.buf.Next != nil {
		return it.sim.vals[it.buf.Next.ID]
	}
	return it.sim.vals[it.buf.ID]
}

// reduceBy makes the item a reduction over the record's interval: named
// op(name), with its accumulator.
func (it *item) reduceBy(op string) {
	it.op = op
	it.name = op + "(" + it.name + ")"
	it.cols = nil
	it.layout(it.rows, it.buf.Shape.Rank, it.buf.Shape.Rows(), it.buf.Shape.Cols())
	it.acc = make([]float64, len(it.cols))
}

// row is what the item writes in a row: its value, or its reduction
// over the interval.
func (it *item) row() []float64 {
	if it.op != "" {
		return it.acc
	}
	return it.values()
}

// recorder writes one record declaration's file.
type recorder struct {
	pos   lang.Pos // the record declaration
	name  string   // the file, relative to the output directory
	path  string
	every int
	items []*item
	// reduced: the record has a reduced item; count is the number of
	// steps accumulated in the current interval
	reduced bool
	count   int
	kind    string // csv, npy, npz
	nrows   int
	ncols   int
	// csv / npy
	f   *atomicfile.File
	w   *bufio.Writer
	buf []byte
	hdr int // reserved npy header length
	// npz: one raw data file per array
	raws  []*os.File
	rawWs []*bufio.Writer
}

// resolve finds the buffer of a recorded reference. The cost is recorded
// times costScale (the nudging strength for the objective of a free
// program, so that it is the cost of le and gle).
func (s *Sim) resolve(r *check.Ref, costScale float64) (*item, error) {
	name := r.String()
	it := &item{name: name, sim: s}
	p := s.prog
	switch r.Kind {
	case check.RefState, check.RefParam:
		key := r.Pop.Name + "." + r.Var
		it.buf = p.Named[key]
		if it.buf == nil {
			return nil, fmt.Errorf("%s is not computed by this model's step program", key)
		}
	case check.RefWeight:
		it.buf = p.Named[r.Conn.Name]
	case check.RefInput:
		it.buf = p.Named[r.Input.Name]
	case check.RefScalar:
		it.buf = p.Named[r.Param.Name]
	case check.RefCost:
		it.buf = p.Cost
		if it.buf == nil {
			return nil, fmt.Errorf("the energy has no cost, only mismatch terms")
		}
		if costScale != 1 {
			it.derived = scaled(s.vals[p.Cost.ID], costScale)
		}
	case check.RefTeacher:
		if b := p.Named[name]; b != nil && b.Kind == schedule.Target {
			it.buf = b
			break
		}
		if r.Pop == nil {
			return nil, fmt.Errorf("file teacher %s is not read by the energy, so there is nothing to record", r.Teacher.Name)
		}
		ts := s.Teacher(r.Teacher)
		if ts == nil {
			return nil, fmt.Errorf("teacher %s has no program", r.Teacher.Name)
		}
		it.sim, it.prev = ts, true
		it.buf = ts.prog.Named[r.Pop.Name+"."+r.Var]
		if it.buf == nil {
			return nil, fmt.Errorf("teacher %s does not compute %s.%s", r.Teacher.Name, r.Pop.Name, r.Var)
		}
	}
	if it.buf == nil {
		return nil, fmt.Errorf("%s names no buffer of the step program", name)
	}
	it.layout(it.sim.rows(it.buf), it.buf.Shape.Rank, it.buf.Shape.Rows(), it.buf.Shape.Cols())
	return it, nil
}

// energyItems are the recorded energy, energy[b], and its terms,
// energy.1[b], energy.2[b], ... in vlec derive's numbering.
func (s *Sim) energyItems() ([]*item, error) {
	p := s.prog
	if p.Energy == nil {
		return nil, fmt.Errorf("the step program does not compute the energy")
	}
	var items []*item
	for _, b := range append([]*schedule.Buffer{p.Energy}, p.EnergyTerms...) {
		it := &item{name: b.Name, sim: s, buf: b}
		it.layout(s.rows(b), b.Shape.Rank, b.Shape.Rows(), b.Shape.Cols())
		items = append(items, it)
	}
	return items, nil
}

// scaled returns a function that gives the values of v times c.
func scaled(v []float64, c float64) func() []float64 {
	out := make([]float64, len(v))
	return func() []float64 {
		for i, x := range v {
			out[i] = c * x
		}
		return out
	}
}

func (it *item) layout(rows, rank, n, m int) {
	it.rows = rows
	batched := rows > 1 || (it.buf != nil && it.buf.Batched)
	if it.buf == nil {
		batched = true
	}
	var idx []string
	switch rank {
	case 0:
		idx = []string{""}
		it.shape = nil
	case 1:
		for i := 0; i < n; i++ {
			idx = append(idx, fmt.Sprintf("[%d]", i))
		}
		it.shape = []int{n}
	default:
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				idx = append(idx, fmt.Sprintf("[%d][%d]", i, j))
			}
		}
		it.shape = []int{n, m}
	}
	if batched {
		for b := 0; b < rows; b++ {
			for _, x := range idx {
				it.cols = append(it.cols, fmt.Sprintf("%s[%d]%s", it.name, b, x))
			}
		}
		it.shape = append([]int{rows}, it.shape...)
	} else {
		for _, x := range idx {
			it.cols = append(it.cols, it.name+x)
		}
	}
}

// newRecorders resolves every record declaration (the checker has named
// the file of each, <model>.csv by default, and refused names outside the
// output directory); their paths are set when the output directory is
// made (see openOutputs).
func (s *Sim) newRecorders(costScale float64) ([]*recorder, error) {
	m := s.prog.Model
	var out []*recorder
	seen := map[string]bool{}
	for _, r := range m.Records {
		to := r.To
		if !filepath.IsLocal(to) {
			return nil, lang.ErrorList{lang.Errorf(r.Pos, "record file %q is outside the output directory", to)}
		}
		if seen[filepath.Clean(to)] {
			return nil, lang.ErrorList{lang.Errorf(r.Pos, "two records write %s", to)}
		}
		seen[filepath.Clean(to)] = true
		if len(r.Items) == 0 {
			return nil, lang.ErrorList{lang.Errorf(r.Pos, "the record names nothing")}
		}
		rec := &recorder{pos: r.Pos, name: to, every: max(r.Every, 1), kind: strings.TrimPrefix(filepath.Ext(to), "."), reduced: r.Reduced()}
		for i, ref := range r.Items {
			var items []*item
			var err error
			if ref.Kind == check.RefEnergy {
				items, err = s.energyItems()
			} else {
				var it *item
				it, err = s.resolve(ref, costScale)
				items = []*item{it}
			}
			if err != nil {
				return nil, lang.ErrorList{lang.Errorf(ref.At, "record %s: %v", ref, err)}
			}
			for _, it := range items {
				if i < len(r.Reduce) && r.Reduce[i] != "" {
					it.reduceBy(r.Reduce[i])
				}
				rec.items = append(rec.items, it)
				rec.ncols += len(it.cols)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// open creates the temporary files and writes the CSV header; the
// record's directory exists.
func (r *recorder) open() error {
	if err := checkTarget(r.path); err != nil {
		return err
	}
	switch r.kind {
	case "npz":
		for range len(r.items) + 2 {
			f, err := os.CreateTemp(filepath.Dir(r.path), "."+filepath.Base(r.path)+".part*")
			if err != nil {
				r.abort()
				return err
			}
			r.raws = append(r.raws, f)
			r.rawWs = append(r.rawWs, bufio.NewWriterSize(f, 1<<16))
		}
		return nil
	}
	f, err := createAtomic(r.path)
	if err != nil {
		return err
	}
	r.f, r.w = f, bufio.NewWriterSize(f, 1<<16)
	if r.kind == "npy" {
		r.hdr = 128
		_, err = r.w.Write(make([]byte, r.hdr))
		return err
	}
	r.w.WriteString("step,t")
	for _, it := range r.items {
		for _, c := range it.cols {
			r.w.WriteByte(',')
			r.w.WriteString(c)
		}
	}
	return r.w.WriteByte('\n')
}

// record writes the row of step k (time t) if it is due.
func (r *recorder) record(k int, t float64) error {
	if r.reduced {
		if !r.accumulate(k) {
			return nil
		}
	} else if k%r.every != 0 {
		return nil
	}
	r.nrows++
	switch r.kind {
	case "csv":
		b := r.buf[:0]
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, t, 'g', -1, 64)
		for _, it := range r.items {
			for _, v := range it.row() {
				b = append(b, ',')
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		}
		b = append(b, '\n')
		r.buf = b
		_, err := r.w.Write(b)
		return err
	case "npy":
		b := npy.AppendFloats(r.buf[:0], []float64{float64(k), t})
		for _, it := range r.items {
			b = npy.AppendFloats(b, it.row())
		}
		r.buf = b
		_, err := r.w.Write(b)
		return err
	}
	if _, err := r.rawWs[0].Write(npy.AppendFloats(r.buf[:0], []float64{float64(k)})); err != nil {
		return err
	}
	if _, err := r.rawWs[1].Write(npy.AppendFloats(r.buf[:0], []float64{t})); err != nil {
		return err
	}
	for i, it := range r.items {
		r.buf = npy.AppendFloats(r.buf[:0], it.row())
		if _, err := r.rawWs[i+2].Write(r.buf); err != nil {
			return err
		}
	}
	return nil
}

// accumulate adds step k's values to the reduced items' accumulators and
// reports whether k ends an interval (k+1 a multiple of every) that the
// run stepped through whole; the accumulators then hold the reductions.
func (r *recorder) accumulate(k int) bool {
	first := r.count == 0
	for _, it := range r.items {
		if it.op == "" {
			continue
		}
		if first {
			copy(it.acc, it.values())
			continue
		}
		for i, v := range it.values() {
			it.acc[i] += v
		}
	}
	r.count++
	if (k+1)%r.every != 0 {
		return false
	}
	whole := r.count == r.every
	r.count = 0
	if !whole {
		return false // resumed within the interval
	}
	n := float64(r.every)
	for _, it := range r.items {
		if it.op == "mean" {
			for i := range it.acc {
				it.acc[i] /= n
			}
		}
	}
	return true
}

// close completes the file and renames it into place.
func (r *recorder) close() error {
	switch r.kind {
	case "csv", "npy":
		if err := r.w.Flush(); err != nil {
			r.f.Abort()
			return err
		}
		if r.kind == "npy" {
			h := npy.EncodeHeader([]int{r.nrows, r.ncols + 2}, r.hdr)
			if _, err := r.f.WriteAt(h, 0); err != nil {
				r.f.Abort()
				return err
			}
		}
		return r.f.Commit()
	}
	defer r.abort()
	names := []string{"step", "t"}
	shapes := [][]int{{r.nrows}, {r.nrows}}
	var paths []string
	for i, w := range r.rawWs {
		if err := w.Flush(); err != nil {
			return err
		}
		paths = append(paths, r.raws[i].Name())
	}
	for _, it := range r.items {
		names = append(names, it.name)
		shapes = append(shapes, append([]int{r.nrows}, it.shape...))
	}
	f, err := createAtomic(r.path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := zipNPY(w, names, shapes, paths); err != nil {
		f.Abort()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// abort removes the temporary files.
func (r *recorder) abort() {
	if r.f != nil {
		r.f.Abort()
	}
	for _, f := range r.raws {
		f.Close()
		os.Remove(f.Name())
	}
}
