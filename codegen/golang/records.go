package golang

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// The record declarations become a table of output files (records in
// record.go), one entry per declaration with its kind (csv, npy or npz,
// from the file's extension) and its items: the name, the shape of one
// row (runtime's item.layout: [batch, n] or [batch, n, m] for a batched
// buffer, [n], [n, m] or [] for a shared one) and a function returning
// the values. The CSV header carries runtime/record.go's columns:
// <item>[<batch>]<index> for a batched buffer, <item><index> for a
// shared one. An item is read after the step: the current half of a
// state, or for a teacher's quantity (T.y.r) its value at the start of
// the step, which after the swap is the next half.

// recordItem is one recorded quantity: the source of its values and the
// buffer that gives its columns.
type recordItem struct {
	name string
	src  string
	buf  *schedule.Buffer
	rows int
	f32  bool   // src holds float32 values
	op   string // "mean" or "sum" over the record's interval; "" for the value at the row's step
}

// recordKinds are the generated constants of the record file formats,
// by extension.
var recordKinds = map[string]string{".csv": "csvRecord", ".npy": "npyRecord", ".npz": "npzRecord"}

// emitRecords writes the entries of the records table.
func (p *progGen) emitRecords() (string, error) {
	var w strings.Builder
	seen := map[string]bool{}
	for _, r := range p.prog.Model.Records {
		ext := filepath.Ext(r.To)
		kind, ok := recordKinds[ext]
		if !ok {
			return "", lang.Errorf(r.Pos, "record writes .csv, .npy or .npz files, got %q", r.To)
		}
		if !filepath.IsLocal(r.To) {
			return "", lang.Errorf(r.Pos, "record file %q is outside the output directory", r.To)
		}
		if seen[filepath.Clean(r.To)] {
			return "", lang.Errorf(r.Pos, "two records write %s", r.To)
		}
		seen[filepath.Clean(r.To)] = true
		if len(r.Items) == 0 {
			return "", lang.Errorf(r.Pos, "the record names nothing")
		}
		var items []recordItem
		for i, ref := range r.Items {
			its, err := p.resolve(ref)
			if err != nil {
				return "", err
			}
			if i < len(r.Reduce) && r.Reduce[i] != "" {
				op := r.Reduce[i]
				if op != "mean" && op != "sum" {
					return "", lang.Errorf(ref.At, "record %s(%s): vlec gen go reduces by mean or sum", op, ref)
				}
				for j := range its {
					its[j].op = op
					its[j].name = op + "(" + its[j].name + ")"
				}
			}
			items = append(items, its...)
		}
		header := ""
		if kind == "csvRecord" {
			header = "step,t"
			for _, it := range items {
				header += "," + strings.Join(columns(it), ",")
			}
		}
		reduced := ""
		if r.Reduced() {
			reduced = "reduced: true, "
		}
		fmt.Fprintf(&w, "{name: %q, every: %d, kind: %s, %sheader: %q, items: []recordItem{\n", r.To, max(r.Every, 1), kind, reduced, header)
		for _, it := range items {
			dims := make([]string, 0, 3)
			for _, d := range shape(it) {
				dims = append(dims, strconv.Itoa(d))
			}
			field, typ := "values", "float64"
			if it.f32 {
				field, typ = "values32", "float32"
			}
			op := ""
			if it.op != "" {
				op = fmt.Sprintf("op: %q, ", it.op)
			}
			fmt.Fprintf(&w, "{name: %q, shape: []int{%s}, %s%s: func(m *Model) []%s { return %s }},\n",
				it.name, strings.Join(dims, ", "), op, field, typ, it.src)
		}
		w.WriteString("}},\n")
	}
	return w.String(), nil
}

// resolve finds the buffers of a recorded reference (as runtime's
// Sim.resolve does).
func (p *progGen) resolve(r *check.Ref) ([]recordItem, error) {
	prog := p.prog
	item := func(name string, b *schedule.Buffer) []recordItem {
		return []recordItem{{name: name, src: p.f(b), buf: b, rows: p.rows(b), f32: p.prog.Float32}}
	}
	name := r.String()
	var b *schedule.Buffer
	switch r.Kind {
	case check.RefState, check.RefParam:
		b = prog.Named[r.Pop.Name+"."+r.Var]
	case check.RefWeight:
		b = prog.Named[r.Conn.Name]
	case check.RefInput:
		b = prog.Named[r.Input.Name]
	case check.RefScalar:
		b = prog.Named[r.Param.Name]
	case check.RefCost:
		if prog.Cost == nil {
			return nil, lang.Errorf(r.At, "record %s: the energy has no cost, only mismatch terms", r)
		}
		its := item("cost", prog.Cost)
		if p.costScaled() {
			its[0].src = "m.scaledCost()"
		}
		return its, nil
	case check.RefEnergy:
		if prog.Energy == nil {
			return nil, lang.Errorf(r.At, "record %s: the step program does not compute the energy", r)
		}
		var out []recordItem
		for _, e := range append([]*schedule.Buffer{prog.Energy}, prog.EnergyTerms...) {
			out = append(out, item(e.Name, e)...)
		}
		return out, nil
	case check.RefTeacher:
		if t := prog.Named[name]; t != nil && t.Kind == schedule.Target {
			return item(name, t), nil
		}
		return p.teacherItem(r)
	}
	if b == nil {
		return nil, lang.Errorf(r.At, "record %s: %s names no buffer of the step program", r, name)
	}
	return item(name, b), nil
}

// teacherItem is a teacher's quantity as it was at the start of the step.
func (p *progGen) teacherItem(r *check.Ref) ([]recordItem, error) {
	if r.Pop == nil {
		// a file teacher the energy reads is a target (above)
		return nil, lang.Errorf(r.At, "record %s: file teacher %s is not read by the energy, so there is nothing to record", r, r.Teacher.Name)
	}
	for _, tg := range p.teachers {
		if tg.t != r.Teacher {
			continue
		}
		b := tg.gen.prog.Named[r.Pop.Name+"."+r.Var]
		if b == nil {
			return nil, lang.Errorf(r.At, "record %s: teacher %s does not compute %s.%s", r, r.Teacher.Name, r.Pop.Name, r.Var)
		}
		src := tg.gen.storage("m."+tg.field+".", b)
		if b.Next != nil {
			src = tg.gen.storage("m."+tg.field+".", b.Next)
		}
		return []recordItem{{name: r.String(), src: src, buf: b, rows: tg.gen.rows(b), f32: tg.gen.prog.Float32}}, nil
	}
	return nil, lang.Errorf(r.At, "record %s: teacher %s has no program", r, r.Teacher.Name)
}

// shape is the shape of one row of an item in an .npz archive
// (runtime's item.layout): the batch first for a batched buffer, then
// the buffer's own shape ([] for a shared scalar).
func shape(it recordItem) []int {
	b := it.buf
	var out []int
	if it.rows > 1 || b.Batched {
		out = append(out, it.rows)
	}
	switch b.Shape.Rank {
	case 0:
	case 1:
		out = append(out, b.Shape.Rows())
	default:
		out = append(out, b.Shape.Rows(), b.Shape.Cols())
	}
	return out
}

// columns are the CSV columns of an item (runtime's item.layout).
func columns(it recordItem) []string {
	b := it.buf
	var idx []string
	switch b.Shape.Rank {
	case 0:
		idx = []string{""}
	case 1:
		for i := 0; i < b.Shape.Rows(); i++ {
			idx = append(idx, fmt.Sprintf("[%d]", i))
		}
	default:
		for i := 0; i < b.Shape.Rows(); i++ {
			for j := 0; j < b.Shape.Cols(); j++ {
				idx = append(idx, fmt.Sprintf("[%d][%d]", i, j))
			}
		}
	}
	var cols []string
	if it.rows > 1 || b.Batched {
		for r := 0; r < it.rows; r++ {
			for _, x := range idx {
				cols = append(cols, fmt.Sprintf("%s[%d]%s", it.name, r, x))
			}
		}
		return cols
	}
	for _, x := range idx {
		cols = append(cols, it.name+x)
	}
	return cols
}

// recordedBuffer is the student's buffer a recorded reference reads
// directly (nil for the cost, the energy and teachers' quantities, which
// are stored anyway).
func recordedBuffer(prog *schedule.Program, r *check.Ref) *schedule.Buffer {
	switch r.Kind {
	case check.RefState, check.RefParam:
		return prog.Named[r.Pop.Name+"."+r.Var]
	case check.RefWeight:
		return prog.Named[r.Conn.Name]
	case check.RefInput:
		return prog.Named[r.Input.Name]
	case check.RefScalar:
		return prog.Named[r.Param.Name]
	}
	return nil
}
