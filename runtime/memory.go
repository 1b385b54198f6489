package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Memory. New estimates what a simulator will hold before it allocates
// anything and refuses a model that needs more than the machine has
// available (MemAvailable in /proc/meminfo, or the room left under a
// cgroup v2 memory limit when that is less) or more than
// Options.MaxMemory. The estimate counts what New and Run allocate: every
// buffer of the step program (Batch x Size float64 values for a batched
// buffer, Size for a shared one; a state's two halves are two buffers),
// the connectivity masks, the scratch of map_acc kernels and the
// registers of entrywise kernels, the packing space of the batched matrix
// products, the state of noise stimuli, the data files, the teachers'
// simulators and, for method adjoint, the reverse sweep and the states of
// a window. Nothing is allocated per step in advance.

// MemoryEstimate is the memory a simulator of a program needs.
type MemoryEstimate struct {
	// Bytes is the total, saturated at math.MaxInt64 (sizes written in a
	// model can multiply past what any machine holds).
	Bytes int64
	// Parts are what the total is made of, largest first.
	Parts []MemoryPart
}

// MemoryPart is one item of a MemoryEstimate.
type MemoryPart struct {
	What  string   // e.g. "h.u (2 halves)", "W1", "mask of W", "teacher T", "file x.csv"
	Pos   lang.Pos // the declaration it comes from, when known
	Bytes int64
}

// EstimateMemory estimates the memory a simulator of prog needs for a run
// (see New).
func EstimateMemory(prog *schedule.Program) MemoryEstimate {
	e := &estimator{prog: prog, workers: goruntime.GOMAXPROCS(0)}
	e.buffers()
	e.masks()
	e.kernels(prog.Kernels, "")
	e.kernels(prog.Init, " run once")
	e.stimuli()
	e.files()
	e.teachers()
	e.adjoint()
	return e.result()
}

type estimator struct {
	prog    *schedule.Program
	workers int
	parts   []MemoryPart
	packing [4]int64 // the largest pa, pb, ea, eb of any product (values)
}

// mul and add are saturating: the estimate of an impossible model is
// math.MaxInt64, not a wrapped-around small number.
func mul(xs ...int64) int64 {
	p := int64(1)
	for _, x := range xs {
		if x <= 0 {
			return 0
		}
		if p > math.MaxInt64/x {
			return math.MaxInt64
		}
		p *= x
	}
	return p
}

func add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func (e *estimator) add(what string, pos lang.Pos, bytes int64) {
	if bytes > 0 {
		e.parts = append(e.parts, MemoryPart{What: what, Pos: pos, Bytes: bytes})
	}
}

// rows is the number of rows of a buffer in the program's batch.
func (e *estimator) rows(b *schedule.Buffer) int64 {
	if b.Batched {
		return int64(e.prog.Batch)
	}
	return 1
}

// buffers counts the program's buffers, a state with its next half.
func (e *estimator) buffers() {
	for _, b := range e.prog.Buffers {
		n := mul(e.rows(b), int64(b.Size()), 8)
		switch b.Kind {
		case schedule.Next:
			continue // with its state
		case schedule.State:
			e.add(b.Name+" (2 halves)", e.declaration(b), mul(n, 2))
		default:
			e.add(b.Name, e.declaration(b), n)
		}
	}
}

// declaration is the position of the declaration a buffer comes from:
// the connection of a weight matrix, the population of "h.u", the input.
func (e *estimator) declaration(b *schedule.Buffer) lang.Pos {
	if b.Conn != nil {
		return b.Conn.Pos
	}
	m := e.prog.Model
	for in, ib := range e.prog.Inputs {
		if ib == b {
			return in.Pos
		}
	}
	name, _, _ := strings.Cut(b.Name, ".")
	for _, p := range m.Populations {
		if p.Name == name {
			return p.Pos
		}
	}
	for _, t := range m.Teachers {
		if t.Name == name {
			return t.Pos
		}
	}
	return lang.Pos{}
}

// masks counts the connectivity masks of one_to_one and sparse weights,
// a byte per entry.
func (e *estimator) masks() {
	for _, b := range e.prog.Buffers {
		if c := b.Conn; c != nil && (c.Topology == check.OneToOne || c.Topology == check.Sparse) {
			e.add("mask of "+b.Name, c.Pos, int64(b.Size()))
		}
	}
}

// kernels counts the scratch of map_acc kernels, the registers of
// entrywise kernels and the packing space of batched products.
func (e *estimator) kernels(ks []*schedule.Kernel, of string) {
	batch := e.prog.Batch
	var regs int64
	for _, k := range ks {
		switch k.Op {
		case schedule.OpMap:
			regs = add(regs, mul(codeRegs(k.Code), int64(k.Dst.Size()), 8))
		case schedule.OpMapAcc:
			if sp := k.Space; sp != nil {
				e.add("scratch of "+k.Dst.Name, lang.Pos{}, mul(e.rows(sp), int64(sp.Size()), 8))
				regs = add(regs, mul(codeRegs(k.Code), int64(sp.Size()), 8))
			}
		case schedule.OpMatVec, schedule.OpMatTVec:
			e.matVec(k, batch)
		case schedule.OpOuterAcc:
			if len(k.Args) == 2 && k.Args[0].Batched && k.Args[1].Batched && batch > 1 {
				e.reserve(k.Args[0].Size(), k.Args[1].Size(), batch)
			}
		}
	}
	e.add("registers of entrywise kernels"+of, lang.Pos{}, regs)
}

// codeRegs is the number of registers the tape of an entrywise
// expression allocates: one per operation (see tape.emit).
func codeRegs(c *schedule.Code) int64 {
	if c == nil {
		return 0
	}
	n := int64(0)
	switch c.Op {
	case schedule.CodeAdd, schedule.CodeMul:
		n = int64(max(len(c.Args)-1, 0))
	case schedule.CodePow, schedule.CodeFunc, schedule.CodeDeriv:
		n = 1
	}
	for _, a := range c.Args {
		n += codeRegs(a)
	}
	return n
}

// matVec reserves the packing of a batched W @ x or W^T @ x (see
// Sim.compileMatVec).
func (e *estimator) matVec(k *schedule.Kernel, batch int) {
	if len(k.Args) != 2 || k.Args[0].Shape.Rank != 2 || !k.Args[1].Batched || !k.Dst.Batched || batch == 1 {
		return
	}
	rows, cols := k.Args[0].Shape.Rows(), k.Args[0].Shape.Cols()
	in, out := cols, rows
	if k.Op == schedule.OpMatTVec {
		in, out = rows, cols
	}
	e.reserve(batch, out, in)
}

// reserve follows kern.Workers.Reserve: every worker grows its packing
// space to the largest product it may run.
func (e *estimator) reserve(m, n, k int) {
	for i, x := range kern.ScratchLen(m, n, k) {
		e.packing[i] = max(e.packing[i], int64(x))
	}
}

// stimuli counts the state of noise generators: a value, a pointer and a
// random stream (about 80 bytes) per entry (see stimCompiler.ou).
func (e *estimator) stimuli() {
	for _, in := range e.prog.Model.Inputs {
		if n := countOU(in.Stimulus); n > 0 {
			e.add("noise of "+in.Name, in.Pos, mul(int64(n), int64(in.Size), int64(e.prog.Batch), 96))
		}
	}
}

func countOU(x check.Expr) int {
	switch x := x.(type) {
	case *check.Call:
		n := 0
		if x.Func == "ou" {
			n = 1
		}
		for _, a := range x.Args {
			n += countOU(a)
		}
		return n
	case *check.Binary:
		return countOU(x.X) + countOU(x.Y)
	case *check.Unary:
		return countOU(x.X)
	}
	return 0
}

// files counts the data files as read into memory: a .npy file's size,
// twice a CSV file's (its values as float64 and the slack of reading an
// unknown number of them).
func (e *estimator) files() {
	m := e.prog.Model
	for _, in := range m.Inputs {
		if in.File != "" && e.prog.Inputs[in] != nil {
			e.file(in.File, in.Pos)
		}
	}
	for _, t := range m.Teachers {
		if t.File != "" {
			e.file(t.File, t.Pos)
		}
	}
	for _, c := range m.Connections {
		if c.Init.Kind == check.InitFile && c.Init.Array == "" {
			e.file(c.Init.File, c.Pos)
		}
	}
	if t := m.Task; t != nil && t.Data != nil {
		e.dataset(t.Data)
	}
}

// dataset counts a data set's arrays as float64 values (the samples used,
// in the shapes the checker read), twice: the values read and the
// decoding's growing slice.
func (e *estimator) dataset(ds *check.Dataset) {
	for _, sp := range []*check.Split{&ds.Train, ds.Test} {
		if sp == nil {
			continue
		}
		for _, a := range []check.Array{sp.X, sp.Y} {
			n := int64(1)
			for _, d := range a.Shape {
				n = mul(n, int64(d))
			}
			e.add("dataset "+ds.Name+" "+a.Describe(), a.Pos, mul(n, 16))
		}
	}
}

func (e *estimator) file(path string, pos lang.Pos) {
	st, err := os.Stat(path)
	if err != nil {
		return // New reports it
	}
	n := st.Size()
	if !strings.HasSuffix(strings.ToLower(path), ".npy") {
		n = mul(n, 2)
	}
	e.add("file "+path, pos, n)
}

// teachers counts the teachers' simulators.
func (e *estimator) teachers() {
	for _, t := range e.prog.Model.Teachers {
		if tp := e.prog.Teachers[t]; tp != nil {
			e.add("teacher "+t.Name, t.Pos, EstimateMemory(tp).Bytes)
		}
	}
}

// adjoint counts, for method adjoint, the reverse sweep's buffers, the
// starting points and inputs of a window's steps, and the parameter
// updates (see NewSweep).
func (e *estimator) adjoint() {
	m := e.prog.Model
	w := int64(min(m.Learn.Window, max(e.prog.Steps, 1)))
	if m.Sim.Method != check.Adjoint || w < 1 || e.prog.Cost == nil {
		return
	}
	rev, err := adjoint.Reverse(e.prog)
	if err != nil {
		return // the run reports it
	}
	var bufs, saved int64
	for _, b := range rev.Buffers {
		bufs = add(bufs, mul(e.rows(b), int64(b.Size()), 8))
	}
	e.kernels(rev.Reverse, " of the reverse sweep")
	for _, b := range rev.Saved {
		saved = add(saved, mul(e.rows(b), int64(b.Size()), 8))
	}
	perParam := int64(2) // the change and the register of its kernel
	if m.Learn.Optimizer == "adam" {
		perParam = 4 // and the moments
	}
	for _, p := range e.prog.Buffers {
		if p.Kind == schedule.Param && p.Rate > 0 && rev.Grads[p.Name] != nil {
			bufs = add(bufs, mul(perParam, int64(p.Size()), 8))
		}
	}
	e.add("reverse sweep", m.Sim.Pos, bufs)
	e.add(fmt.Sprintf("a window of %d steps", w), m.Sim.Pos, mul(add(w, 1), saved))
}

// result sums the parts, with the packing space of every worker.
func (e *estimator) result() MemoryEstimate {
	var pack int64
	for _, x := range e.packing {
		pack = add(pack, x)
	}
	e.add(fmt.Sprintf("packing of matrix products (%d workers)", e.workers), lang.Pos{}, mul(pack, int64(e.workers), 8))
	sort.SliceStable(e.parts, func(i, j int) bool { return e.parts[i].Bytes > e.parts[j].Bytes })
	out := MemoryEstimate{Parts: e.parts}
	for _, p := range e.parts {
		out.Bytes = add(out.Bytes, p.Bytes)
	}
	return out
}

// checkMemory refuses a program whose estimate exceeds the limit:
// opts.MaxMemory when set, else the memory the machine has available
// (no check when that is unknown, except for an estimate past any
// machine's). The error is at the declaration of the largest part.
func checkMemory(prog *schedule.Program, opts Options) error {
	est := EstimateMemory(prog)
	limit, have := opts.MaxMemory, ""
	switch avail, source, ok := availableMemory(); {
	case limit > 0:
		have = "more than --max-memory " + FormatBytes(limit)
	case ok:
		limit, have = avail, fmt.Sprintf("but %s %s available (%s)", source[0], FormatBytes(avail), source[1])
	default:
		limit, have = math.MaxInt64-1, "more than any machine has"
	}
	if est.Bytes <= limit {
		return nil
	}
	var largest []string
	for _, p := range est.Parts[:min(3, len(est.Parts))] {
		largest = append(largest, p.What+" "+FormatBytes(p.Bytes))
	}
	msg := fmt.Sprintf("model %s needs about %s of memory, %s; the largest parts: %s; reduce the sizes or the batch",
		prog.Model.Name, FormatBytes(est.Bytes), have, strings.Join(largest, ", "))
	if opts.MaxMemory <= 0 {
		msg += ", or pass --max-memory to allow more"
	}
	pos := prog.Model.Sim.Pos
	if len(est.Parts) > 0 && est.Parts[0].Pos.IsValid() {
		pos = est.Parts[0].Pos
	}
	if !pos.IsValid() {
		return errors.New(msg)
	}
	return lang.ErrorList{lang.Errorf(pos, "%s", msg)}
}

// availableMemory is the memory this process can still take: MemAvailable
// in /proc/meminfo, lowered to the room left under a cgroup v2 limit
// (memory.max - memory.current); ok is false when neither is known.
// source says who has it and where the number comes from.
func availableMemory() (bytes int64, source [2]string, ok bool) {
	if kb, found := meminfo("/proc/meminfo", "MemAvailable"); found {
		bytes, source, ok = kb*1024, [2]string{"this machine has", "MemAvailable in /proc/meminfo"}, true
	}
	limit, lerr := readInt("/sys/fs/cgroup/memory.max")
	used, uerr := readInt("/sys/fs/cgroup/memory.current")
	if lerr == nil && uerr == nil && limit > 0 {
		if room := max(limit-used, 0); !ok || room < bytes {
			bytes, source, ok = room, [2]string{"this process's cgroup has", "memory.max - memory.current in /sys/fs/cgroup"}, true
		}
	}
	return bytes, source, ok
}

// meminfo reads a field of /proc/meminfo, in kB.
func meminfo(path, field string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		return v, err == nil
	}
	return 0, false
}

// readInt reads a file holding one integer ("max" is an error).
func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// FormatBytes prints a size in bytes with a binary unit: 512 B, 1.5 KiB,
// 74.5 GiB.
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u]
}

// ParseBytes reads a memory size: a number of bytes, or a number with a
// unit, binary (KiB, MiB, GiB, TiB; K, M, G, T mean the same) or decimal
// (kB, MB, GB, TB): 512MiB, 8G, 1.5GiB, 16GB.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != 'e' && r != '+' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	scale, ok := byteUnits[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || v <= 0 || math.IsInf(v, 0) || v*scale >= math.MaxInt64 {
		return 0, fmt.Errorf("memory size %q: give a positive size such as 8GiB, 512MiB or 16GB", s)
	}
	return int64(v * scale), nil
}

var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
}
