package golang

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// progGen emits the Go type of one step program: the student's Model,
// or a teacher's unexported type, stepped by its parent.
type progGen struct {
	prog       *schedule.Program
	typ        string // the Go type
	top        bool   // the student: the exported API
	parent     *progGen
	fields     map[*schedule.Buffer]string
	names      *namer
	teachers   []*teacherGen
	masks      map[*schedule.Buffer]string // mask field of a one_to_one or sparse weight
	adam       map[*schedule.Kernel]string // step counter field of an Adam kernel
	kernels    []*schedule.Kernel          // the step's kernels, fused (schedule.Fuse)
	arrays     bool                        // buffers are arrays in the type (tiny programs), not slices
	pinned     map[*schedule.Buffer]bool   // buffers read outside the step (records, cost, teachers' parents)
	gemms      [][3]int                    // sizes of the GEMMs, reserved in setup
	passSums   map[*schedule.Buffer]string // field of the sum a synapse pass returns, by weight matrix
	data       []string                    // package-level initial values
	plan       *inputPlan                  // stimuli, noise generators and data files (files.go)
	wideNeed   int                         // float64 scratch values the kernels need (precision float32)
	adj        *adjointGen                 // method adjoint: the reverse sweep (adjoint.go)
	blockFills []blockFill                 // the inputs computed for blocks of steps
	task       *taskGen                    // the student's task (task.go)
	w          bytes.Buffer
}

// elem is the Go type of the program's values.
func (p *progGen) elem() string { return runtime.PrecisionOf(p.prog) }

// ld is src, a stored value, as the kernels compute with it: widened to
// float64 under precision float32.
func (p *progGen) ld(src string) string {
	if p.prog.Float32 {
		return "float64(" + src + ")"
	}
	return src
}

// st is e as stored: rounded to float32 once under precision float32 (a
// constant rounded here, as the interpreter rounds its float64 value).
func (p *progGen) st(e expr) string {
	if !p.prog.Float32 {
		return e.text()
	}
	if e.isConst {
		return "float32(" + float32Literal(e.value) + ")"
	}
	return "float32(" + e.text() + ")"
}

// float32Literal is the shortest literal of x rounded to float32, which
// Go converts to exactly that float32 (rounding x's decimal form itself
// could round differently than rounding the float64 x).
func float32Literal(x float64) string {
	return strconv.FormatFloat(float64(float32(x)), 'g', -1, 32)
}

// wide reserves n values of the model's float64 scratch at offset off
// and returns its source (precision float32: sums kept in float64 until
// they are stored).
func (p *progGen) wide(off, n int) string {
	p.wideNeed = max(p.wideNeed, off+n)
	return fmt.Sprintf("m.wide[%d:%d]", off, off+n)
}

// copyValues is the statement copying src into dst, buffers of programs
// with value types de and se.
func copyValues(dst, src, de, se string) string {
	if de == se {
		return fmt.Sprintf("copy(%s, %s)", dst, src)
	}
	return fmt.Sprintf("convert(%s, %s)", dst, src)
}

// teacherGen is a teacher program of a parent and its field there.
type teacherGen struct {
	t     *check.Teacher
	gen   *progGen
	field string
}

// newProgGen names the buffers, masks, counters and teachers of prog.
func newProgGen(prog *schedule.Program, typ string, parent *progGen) (*progGen, error) {
	p := &progGen{prog: prog, typ: typ, top: parent == nil, parent: parent, fields: map[*schedule.Buffer]string{},
		names: newNamer(), masks: map[*schedule.Buffer]string{}, adam: map[*schedule.Kernel]string{},
		passSums: map[*schedule.Buffer]string{}}
	for _, b := range prog.Buffers {
		p.fields[b] = p.names.field(b)
	}
	p.arrays = useArrays(prog)
	for _, b := range prog.Buffers {
		if b.Conn != nil && (b.Conn.Topology == check.OneToOne || b.Conn.Topology == check.Sparse) {
			p.masks[b] = p.names.unique("mask" + upperFirst(p.fields[b]))
		}
	}
	for _, k := range prog.Kernels {
		if k.Op == schedule.OpAdam {
			p.adam[k] = p.names.unique("adamSteps" + upperFirst(p.fields[k.Dst]))
		}
	}
	p.kernels = schedule.Fuse(prog).Kernels
	p.pinned = pinnedBuffers(prog, p.top)
	for _, t := range prog.Model.Teachers {
		tp := prog.Teachers[t]
		if tp == nil && t.File != "" {
			continue // a file teacher: a data series of the targets (files.go)
		}
		if tp == nil && t.Data != nil {
			continue // a data set's targets (task.go)
		}
		if tp == nil {
			return nil, lang.Errorf(t.Pos, "teacher %s has no step program", t.Name)
		}
		name := "teacher" + upperFirst(packageName(t.Name))
		if !p.top {
			name = p.typ + upperFirst(packageName(t.Name))
		}
		tg, err := newProgGen(tp, name, p)
		if err != nil {
			return nil, err
		}
		p.teachers = append(p.teachers, &teacherGen{t: t, gen: tg, field: p.names.unique("teacher" + upperFirst(packageName(t.Name)))})
	}
	return p, nil
}

func (p *progGen) printf(format string, args ...any) { fmt.Fprintf(&p.w, format, args...) }

// f is the source of buffer b's storage.
func (p *progGen) f(b *schedule.Buffer) string { return p.storage("m.", b) }

// storage is buffer b's storage as a slice, through the value prefix
// ("m.", "parent.", "m.teacherT."): the field, or for a program held in
// arrays the whole array sliced.
func (p *progGen) storage(prefix string, b *schedule.Buffer) string {
	if p.arrays {
		return prefix + p.fields[b] + "[:]"
	}
	return prefix + p.fields[b]
}

// arrayLimit is the size (values of every buffer together) up to which a
// program keeps its buffers in fixed-size arrays inside its type instead
// of slices: a tiny network's step then reads and writes at constant
// offsets from the model, with no slice headers to load and no bounds to
// check, and the swap of its states copies a few values.
const arrayLimit = 1024

// useArrays decides the storage of prog.
func useArrays(prog *schedule.Program) bool {
	total := 0
	for _, b := range prog.Buffers {
		n := b.Size()
		if b.Batched {
			n *= prog.Batch
		}
		total += n
	}
	return total <= arrayLimit
}

// rows is the number of rows of b: the batch for a batched buffer.
func (p *progGen) rows(b *schedule.Buffer) int {
	if b.Batched {
		return p.prog.Batch
	}
	return 1
}

// row is the source of row bv of b (row 0 of a shared buffer).
func (p *progGen) row(b *schedule.Buffer, bv string) string {
	n := b.Size()
	if !b.Batched || bv == "0" {
		return fmt.Sprintf("%s[:%d]", p.f(b), n)
	}
	return fmt.Sprintf("%s[%s*%d : %s*%d+%d]", p.f(b), bv, n, bv, n, n)
}

// scalar is the source of the single value of row bv of b.
func (p *progGen) scalar(b *schedule.Buffer, bv string) string {
	if !b.Batched {
		bv = "0"
	}
	return fmt.Sprintf("%s[%s]", p.f(b), bv)
}

// loop emits body once per row (rows > 1: a loop over b).
func (p *progGen) loop(rows int, body func(bv string)) {
	if rows > 1 {
		p.printf("for b := range %d {\n", rows)
		body("b")
		p.printf("}\n")
		return
	}
	body("0")
}

// emit writes the type and its methods.
func (p *progGen) emit() error {
	// the kernels first: what they need (a GEMM pool) goes into the type
	// and its setup
	head := p.w
	p.w = bytes.Buffer{}
	if err := p.emitKernels("kernels", p.kernels, true); err != nil {
		return err
	}
	if err := p.emitStoringKernels(); err != nil {
		return err
	}
	if err := p.emitKernels("initKernels", p.prog.Init, false); err != nil {
		return err
	}
	kernels := p.w
	p.w = head
	p.emitType()
	if err := p.emitSetup(); err != nil {
		return err
	}
	if err := p.emitInputs(); err != nil {
		return err
	}
	p.emitTargets()
	p.w.Write(kernels.Bytes())
	p.emitSwap()
	p.emitClose()
	p.emitStepTeachers()
	p.emitTaskMethods()
	if p.top {
		p.emitGuard()
		p.emitSettable()
		if p.adj != nil {
			if err := p.emitAdjoint(); err != nil {
				return err
			}
		}
	} else {
		p.emitTeacherStep()
	}
	for _, t := range p.teachers {
		if err := t.gen.emit(); err != nil {
			return err
		}
		p.w.Write(t.gen.w.Bytes())
		p.data = append(p.data, t.gen.data...)
	}
	return nil
}

func (p *progGen) emitType() {
	if p.top {
		p.printf("// Model is a simulator of model %s. Its exported fields are the model's\n", p.prog.Model.Name)
		p.printf("// states and parameters, sample-major (row b of a batched buffer of n values\n")
		p.printf("// is [b*n : b*n+n], matrices row-major); a state holds its value after the\n")
		p.printf("// last step. Step advances it; the fields' slices change with every step.\n")
		p.printf("type Model struct {\n")
	} else {
		p.printf("// %s steps the program of a teacher model (%s) alongside its student.\n", p.typ, p.prog.Model.Name)
		p.printf("type %s struct {\n", p.typ)
	}
	for _, b := range p.prog.Buffers {
		batch := ""
		if b.Batched {
			batch = " x batch"
		}
		p.printf("// %s is %s: %s %s%s.\n", p.fields[b], b, b.Kind, b.Shape, batch)
		if p.arrays {
			p.printf("%s [%d]%s\n", p.fields[b], p.rows(b)*b.Size(), p.elem())
			continue
		}
		p.printf("%s []%s\n", p.fields[b], p.elem())
	}
	p.printf("\nk, steps int // steps done, steps planned\n")
	if p.wideNeed > 0 {
		p.printf("wide []float64 // float64 scratch of the kernels: sums rounded to float32 once, when stored\n")
	}
	if len(p.gemms) > 0 {
		p.printf("pool *kern.Workers // the matrix products' workers\n")
	}
	for _, b := range sortedBuffers(p.passSums) {
		p.printf("%s float64 // the sum of %s's entries, from its synapse pass\n", p.passSums[b], b.Name)
	}
	if p.top {
		p.printf("seed uint64\nnoGuard bool\n")
	}
	for _, b := range sortedBuffers(p.masks) {
		p.printf("%s []bool // connectivity of %s\n", p.masks[b], b.Name)
	}
	for _, k := range p.adamKernels() {
		p.printf("%s int // Adam steps of %s\n", p.adam[k], k.Dst.Name)
	}
	if p.adj != nil {
		p.printf("sweepStates []float64 // the starting points of a sweep's steps\n")
		p.printf("sweepEnd []float64 // the states at the end of a sweep\n")
		p.printf("sweepExt []float64 // the inputs and targets of a sweep's steps\n")
		p.printf("loss float64 // of the last sweep\n")
		p.printf("grads []gradient // the gradients, by parameter\n")
		if p.costScaled() {
			p.printf("costScaled []float64 // the cost times beta, as recorded\n")
		}
	}
	for _, t := range p.teachers {
		p.printf("%s *%s // teacher %s\n", t.field, t.gen.typ, t.t.Name)
	}
	p.printf("%s}\n\n", p.extraFields())
}

// adamKernels are the Adam kernels with a step counter: the program's,
// then the adjoint updates'.
func (p *progGen) adamKernels() []*schedule.Kernel {
	var out []*schedule.Kernel
	ks := p.prog.Kernels
	if p.adj != nil {
		ks = append(append([]*schedule.Kernel(nil), ks...), p.adj.update...)
	}
	for _, k := range ks {
		if _, ok := p.adam[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// attachAdjoint makes the reverse sweep a part of the program's code:
// the forward buffers it reads and the gradients stay stored, and its
// Adam updates get their step counters.
func (p *progGen) attachAdjoint(a *adjointGen) {
	p.adj = a
	for b := range a.reads {
		p.pinned[b] = true
	}
	for _, g := range a.grads {
		p.pinned[g] = true
	}
	for _, k := range a.update {
		if k.Op == schedule.OpAdam {
			p.adam[k] = p.names.unique("adamSteps" + upperFirst(p.fields[k.Dst]))
		}
	}
}

func sortedBuffers(m map[*schedule.Buffer]string) []*schedule.Buffer {
	var out []*schedule.Buffer
	for b := range m {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// emitSetup writes setup: allocation, initial parameters, masks, static
// inputs, data files and teachers (which run their Init kernels); the
// caller runs the program's own Init kernels after any -set values.
func (p *progGen) emitSetup() error {
	p.printf("// setup allocates the buffers and sets the initial values; it fails\n")
	p.printf("// when a data file cannot be read or does not fit.\n")
	p.printf("func (m *%s) setup(seed uint64, steps int) error {\n", p.typ)
	p.printf("m.steps = steps\n")
	if len(p.gemms) > 0 {
		p.printf("m.pool = kern.NewWorkers(runtime.GOMAXPROCS(0))\n")
		for _, g := range p.gemms {
			p.printf("m.pool.Reserve(%d, %d, %d)\n", g[0], g[1], g[2])
		}
	}
	for _, b := range p.prog.Buffers {
		if !p.arrays {
			p.printf("%s = make([]%s, %d)\n", p.f(b), p.elem(), p.rows(b)*b.Size())
		}
	}
	if p.wideNeed > 0 {
		p.printf("m.wide = make([]float64, %d)\n", p.wideNeed)
	}
	for _, b := range p.prog.Buffers {
		if err := p.emitInit(b); err != nil {
			return err
		}
	}
	for _, b := range sortedBuffers(p.masks) {
		p.emitMask(b)
	}
	if len(p.masks) > 0 {
		p.printf("m.applyMasks()\n")
	}
	if p.adj != nil {
		p.printf("m.sweepStates = make([]float64, Window*sweepStateSize)\n")
		p.printf("m.sweepEnd = make([]float64, sweepStateSize)\n")
		p.printf("m.sweepExt = make([]float64, Window*sweepExtSize)\n")
		p.printf("m.grads = m.gradients()\n")
		if p.costScaled() {
			p.printf("m.costScaled = make([]float64, %d)\n", p.rows(p.prog.Cost)*p.prog.Cost.Size())
		}
	}
	p.printf("m.fillStatic()\n")
	for _, t := range p.teachers {
		p.printf("m.%s = new(%s)\n", t.field, t.gen.typ)
		p.printf("if err := m.%s.setup(seed, steps); err != nil {\nreturn err\n}\n", t.field)
		p.printf("m.%s.initKernels()\n", t.field)
	}
	p.emitDataSetup()
	p.printf("return nil\n}\n\n")
	p.printf("// applyMasks zeroes the weights off their connectivity.\n")
	p.printf("func (m *%s) applyMasks() {\n", p.typ)
	for _, b := range sortedBuffers(p.masks) {
		p.printf("for i, on := range m.%s {\nif !on {\n%s[i] = 0\n}\n}\n", p.masks[b], p.f(b))
	}
	p.printf("}\n\n")
	return nil
}

// emitInit writes the initial value of a parameter: its Init, or the
// initialiser of its connection (random streams as runtime/init.go
// draws them, or a file).
func (p *progGen) emitInit(b *schedule.Buffer) error {
	if b.Init != nil {
		if len(b.Init) != b.Size() {
			return fmt.Errorf("%s: %d initial values for %d entries", b.Name, len(b.Init), b.Size())
		}
		if allEqual(b.Init) {
			p.printf("fill(%s, %s) // %s\n", p.f(b), constant(b.Init[0]).text(), b.Name)
			return nil
		}
		name := "init" + upperFirst(p.typ) + "_" + p.fields[b]
		p.data = append(p.data, fmt.Sprintf("// %s is the initial value of %s.\nvar %s = [...]%s{%s}\n", name, b.Name, name, p.elem(), p.floatList(b.Init)))
		p.loop(p.rows(b), func(bv string) { p.printf("copy(%s, %s[:])\n", p.row(b, bv), name) })
		return nil
	}
	if b.Conn == nil {
		return nil
	}
	c := b.Conn
	in := c.Init
	rows, cols := b.Shape.Rows(), b.Shape.Cols()
	switch in.Kind {
	case check.InitLiteral:
		var flat []float64
		for _, r := range in.Literal {
			flat = append(flat, r...)
		}
		if len(in.Literal) != rows || len(flat) != rows*cols {
			return lang.Errorf(c.Pos, "%s: the literal is not %dx%d", c.Name, rows, cols)
		}
		cp := *b
		cp.Init, cp.Conn = flat, nil
		return p.emitInit(&cp)
	case check.InitConstant:
		p.printf("fill(%s, %s) // %s = constant\n", p.f(b), constant(in.A).text(), c.Name)
	case check.InitUniform, check.InitNormal, check.InitGlorot:
		p.printf("{ // %s = %s\n", c.Name, in.Kind)
		p.printf("rng := newRand(%d, seed, %#x)\n", in.Seed, streamHash("weights:"+c.Name))
		lo, hi := in.A, in.B
		if in.Kind == check.InitGlorot {
			l := math.Sqrt(6 / float64(rows+cols))
			lo, hi = -l, l
		}
		draw := binary('+', constant(lo), binary('*', constant(hi-lo), expr{src: "rng.Float64()"}))
		if in.Kind == check.InitNormal {
			draw = binary('+', constant(in.A), binary('*', constant(in.B), expr{src: "rng.NormFloat64()"}))
		}
		p.printf("for i := range %s {\n%s[i] = %s\n}\n}\n", p.f(b), p.f(b), p.st(draw))
	case check.InitFile:
		if in.Array != "" {
			return lang.Errorf(c.Pos, "vlec gen go does not support weights from an .npz archive yet (%s array %s); use vlec run, or save the matrix as .npy", filepath.Base(in.File), in.Array)
		}
		return p.emitWeightFile(b)
	default:
		return lang.Errorf(c.Pos, "vlec gen go does not support the initialiser %s", in.Kind)
	}
	return nil
}

// emitMask writes the connectivity of a one_to_one or sparse weight.
func (p *progGen) emitMask(b *schedule.Buffer) {
	c := b.Conn
	rows, cols := b.Shape.Rows(), b.Shape.Cols()
	mask := "m." + p.masks[b]
	p.printf("%s = make([]bool, %d)\n", mask, rows*cols)
	if c.Topology == check.OneToOne {
		p.printf("for i := range %d {\n%s[i*%d+i] = true\n}\n", min(rows, cols), mask, cols)
		return
	}
	p.printf("{ // %s: sparse(%g)\n", c.Name, c.P)
	p.printf("rng := newRand(%d, seed, %#x)\n", c.MaskSeed, streamHash("mask:"+c.Name))
	p.printf("for i := range %s {\n%s[i] = rng.Float64() < %s\n}\n}\n", mask, mask, constant(c.P).text())
}

// streamHash is the FNV-1a hash naming a random stream (runtime.newRand).
func streamHash(stream string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return h.Sum64()
}

func allEqual(v []float64) bool {
	for _, x := range v {
		if x != v[0] || math.Signbit(x) != math.Signbit(v[0]) {
			return false
		}
	}
	return true
}

// floatList is the literal list of v's values as the program stores
// them (rounded to float32 under precision float32).
func (p *progGen) floatList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = constant(x).text()
		if p.prog.Float32 {
			parts[i] = float32Literal(x)
		}
	}
	return strings.Join(parts, ", ")
}

// emitInputs writes fillStatic, which fills the inputs that do not
// change, and fillInputs, which fills the others for step k (a teacher's
// bound inputs copy its parent's).
func (p *progGen) emitInputs() error {
	bound := p.boundInputs()
	var static, dynamic bytes.Buffer
	dynamic.WriteString(p.feedAdvance())
	needT := false
	for _, in := range p.prog.Model.Inputs {
		buf := p.prog.Inputs[in]
		if buf == nil {
			continue
		}
		if in.Data != nil && p.task != nil {
			dynamic.WriteString(p.dataInput(in, buf))
			continue
		}
		if src, ok := bound[buf]; ok {
			fmt.Fprintf(&dynamic, "%s // %s is the parent's %s\n", copyValues(p.f(buf), p.parent.storage("parent.", src), p.elem(), p.parent.elem()), in.Name, src.Name)
			continue
		}
		if sf := p.plan.series[buf]; sf != nil {
			fmt.Fprintf(&dynamic, "fillSeries(m.%s, %s, k) // %s = file(%q)\n", sf.field, p.f(buf), in.Name, filepath.Base(in.File))
			continue
		}
		sp := p.plan.stims[in]
		if sp == nil {
			return lang.Errorf(in.Pos, "input %s has neither a stimulus nor a file", in.Name)
		}
		w := &dynamic
		if !sp.timeDependent {
			w = &static
		}
		needT = needT || sp.usesT && sp.block == nil
		p.emitStimulus(w, buf, in, sp)
	}
	p.printf("// fillStatic fills the inputs that do not depend on time.\n")
	p.printf("func (m *%s) fillStatic() {\n%s}\n\n", p.typ, static.String())
	p.printf("// fillInputs fills the inputs of step k.\n")
	if p.top {
		p.printf("func (m *%s) fillInputs(k int) {\n", p.typ)
	} else {
		p.printf("func (m *%s) fillInputs(k int, parent *%s) {\n", p.typ, p.parent.typ)
	}
	if needT {
		p.printf("t := float64(k) * %s\n", constant(p.prog.Dt).text())
	}
	p.printf("%s}\n\n", dynamic.String())
	for _, bf := range p.blockFills {
		p.emitBlockFill(bf.in, bf.sp)
	}
	return nil
}

// stimVars find the variables of a stimulus (t, fi, fb) in a loop body.
var stimVars = map[string]*regexp.Regexp{"t": regexp.MustCompile(`\bt\b`), "fi": regexp.MustCompile(`\bfi\b`), "fb": regexp.MustCompile(`\bfb\b`)}

// blockFill is an input whose stimulus is computed for blocks of steps.
type blockFill struct {
	in *check.Input
	sp *stimPlan
}

// emitBlockFill writes the method computing input in's stimulus for the
// steps k .. k+steps-1: the sines' arguments, the sines through
// sinSlice, then the values, each as the step-by-step fill computes it.
func (p *progGen) emitBlockFill(in *check.Input, sp *stimPlan) {
	bl := sp.block
	n := p.prog.Batch * in.Size
	loops := func(body string) {
		uses := func(v string) bool { return stimVars[v].MatchString(body) }
		p.printf("for j := range %d {\n", bl.steps)
		if uses("t") {
			p.printf("t := float64(k+j) * %s\n", constant(p.prog.Dt).text())
		}
		p.printf("for b := range %d {\n", p.prog.Batch)
		if uses("fb") {
			p.printf("fb := float64(b)\n")
		}
		p.printf("for i := range %d {\n", in.Size)
		if uses("fi") {
			p.printf("fi := float64(i)\n")
		}
		p.printf("jj := j*%d + b*%d + i\n%s}\n}\n}\n", n, in.Size, body)
	}
	p.printf("// fill%s computes input %s = %s for steps k .. k+%d.\n", upperFirst(bl.values), in.Name, in.Stimulus, bl.steps-1)
	p.printf("func (m *%s) fill%s(k int) {\n", p.typ, upperFirst(bl.values))
	p.printf("m.%s, m.%sEnd = k, k+%d\n", bl.base, bl.base, bl.steps)
	var args strings.Builder
	for i, a := range bl.sinArgs {
		fmt.Fprintf(&args, "m.%s[jj] = %s\n", bl.slots[i], a.text())
	}
	loops(args.String())
	for _, f := range bl.slots {
		p.printf("sinSlice(m.%s[:], m.%s[:])\n", f, f)
	}
	loops(fmt.Sprintf("m.%s[jj] = %s\n", bl.values, bl.e.text()))
	p.printf("}\n\n")
}

// emitStimulus writes the loop filling input buffer buf with its
// compiled stimulus sp.
func (p *progGen) emitStimulus(w *bytes.Buffer, buf *schedule.Buffer, in *check.Input, sp *stimPlan) {
	if bl := sp.block; bl != nil {
		n := p.prog.Batch * in.Size
		fill := "fill" + upperFirst(bl.values)
		fmt.Fprintf(w, "// %s = %s, computed %d steps at a time (%s)\n", in.Name, in.Stimulus, bl.steps, fill)
		fmt.Fprintf(w, "if k < m.%s || k >= m.%sEnd {\nm.%s(k)\n}\n", bl.base, bl.base, fill)
		if n == 1 {
			fmt.Fprintf(w, "%s[0] = %s\n", p.f(buf), p.st(expr{src: fmt.Sprintf("m.%s[k-m.%s]", bl.values, bl.base)}))
		} else {
			fmt.Fprintf(w, "{\nrow, d := m.%s[(k-m.%s)*%d:][:%d], %s[:%d]\nfor q, v := range row {\nd[q] = %s\n}\n}\n", bl.values, bl.base, n, n, p.f(buf), n, p.st(expr{src: "v"}))
		}
		p.blockFills = append(p.blockFills, blockFill{in: in, sp: sp})
		return
	}
	fmt.Fprintf(w, "// %s = %s\n", in.Name, in.Stimulus)
	fmt.Fprintf(w, "for b := range %d {\n", p.prog.Batch)
	if sp.usesB {
		fmt.Fprintf(w, "fb := float64(b)\n")
	}
	fmt.Fprintf(w, "for i := range %d {\n", in.Size)
	if sp.usesI {
		fmt.Fprintf(w, "fi := float64(i)\n")
	}
	fmt.Fprintf(w, "%s[b*%d+i] = %s\n}\n}\n", p.f(buf), in.Size, p.st(sp.e))
}

// boundInputs maps a teacher's inputs bound to its parent's (teacher T =
// model("t.vle", x = x)) to the parent's buffers.
func (p *progGen) boundInputs() map[*schedule.Buffer]*schedule.Buffer {
	out := map[*schedule.Buffer]*schedule.Buffer{}
	if p.parent == nil {
		return out
	}
	var t *check.Teacher
	for _, tg := range p.parent.teachers {
		if tg.gen == p {
			t = tg.t
		}
	}
	for theirs, ours := range t.Bindings {
		for in, buf := range p.prog.Inputs {
			if in.Name == theirs {
				out[buf] = p.parent.prog.Inputs[ours]
			}
		}
	}
	return out
}

// emitTargets writes copyTargets: each target is its teacher's value at
// the start of the step.
func (p *progGen) emitTargets() {
	p.printf("// copyTargets sets the targets: the teachers' values at the start of the step.\n")
	p.printf("func (m *%s) copyTargets() {\n", p.typ)
	for _, tb := range p.prog.Targets {
		if sf := p.plan.series[tb.Buffer]; sf != nil {
			p.printf("fillSeries(m.%s, %s, m.k) // %s = file(%q)\n", sf.field, p.f(tb.Buffer), tb.Buffer.Name, filepath.Base(tb.Teacher.File))
			continue
		}
		if tb.Teacher != nil && tb.Teacher.Data != nil {
			p.printf("%s", p.dataTarget(tb))
			continue
		}
		for _, tg := range p.teachers {
			if tg.t == tb.Teacher {
				p.printf("%s // %s\n", copyValues(p.f(tb.Buffer), tg.gen.storage("m."+tg.field+".", tb.Source), p.elem(), tg.gen.elem()), tb.Buffer.Name)
			}
		}
	}
	p.printf("}\n\n")
}

// checkTargets refuses targets whose sizes differ from their sources'.
func (p *progGen) checkTargets() error {
	for _, tb := range p.prog.Targets {
		if t := tb.Teacher; tb.Source == nil && t != nil && t.Data != nil {
			continue // a data set's targets (planTask checks them)
		}
		if t := tb.Teacher; tb.Source == nil && t != nil && t.File != "" {
			if tb.Buffer.Size() != t.Size {
				return lang.Errorf(t.Pos, "teacher %s has %d values, the energy reads %d", t.Name, t.Size, tb.Buffer.Size())
			}
			continue
		}
		if tb.Source == nil {
			return fmt.Errorf("target %s has no source", tb.Buffer.Name)
		}
		tp := p.prog.Teachers[tb.Teacher]
		if tp == nil || p.rows(tb.Buffer)*tb.Buffer.Size() != tb.Source.Size()*rowsOf(tp, tb.Source) {
			return lang.Errorf(tb.Teacher.Pos, "teacher %s: %s does not have the size of the student's %s", tb.Teacher.Name, tb.Source.Name, tb.Buffer.Name)
		}
	}
	for _, tg := range p.teachers {
		for in, buf := range tg.gen.boundInputs() {
			if in.Size()*rowsOf(tg.gen.prog, in) != buf.Size()*p.rows(buf) {
				return lang.Errorf(tg.t.Pos, "teacher %s: its input %s has another size than ours (%s)", tg.t.Name, in.Name, buf.Name)
			}
		}
		if err := tg.gen.checkTargets(); err != nil {
			return err
		}
	}
	return nil
}

func rowsOf(p *schedule.Program, b *schedule.Buffer) int {
	if b.Batched {
		return p.Batch
	}
	return 1
}

func (p *progGen) emitSwap() {
	p.printf("// swap makes the next values of the states current.\n")
	p.printf("func (m *%s) swap() {\n", p.typ)
	for _, b := range p.prog.Buffers {
		if b.Kind == schedule.State && b.Next != nil {
			cur, next := "m."+p.fields[b], "m."+p.fields[b.Next]
			p.printf("%s, %s = %s, %s\n", cur, next, next, cur)
		}
	}
	p.printf("}\n\n")
}

// emitTeacherStep writes a teacher's step: the student steps it after its
// own kernels.
func (p *progGen) emitTeacherStep() {
	p.printf("// step runs step k of the teacher.\n")
	p.printf("func (m *%s) step(k int, parent *%s) {\n", p.typ, p.parent.typ)
	p.printf("m.fillInputs(k, parent)\nm.copyTargets()\nm.kernels(k)\nm.stepTeachers(k)\nm.swap()\nm.k++\n}\n\n")
}

// emitStepTeachers writes stepTeachers, which steps the teachers after
// the program's kernels.
func (p *progGen) emitStepTeachers() {
	p.printf("// stepTeachers runs step k of the teachers.\n")
	p.printf("func (m *%s) stepTeachers(k int) {\n", p.typ)
	for _, t := range p.teachers {
		p.printf("m.%s.step(k, m)\n", t.field)
	}
	p.printf("}\n\n")
}

// emitGuard writes check, the NaN/Inf guard of the student: its states,
// parameters and cost, named as the interpreter names them.
func (p *progGen) emitGuard() {
	var bufs []*schedule.Buffer
	for _, b := range p.prog.Buffers {
		if b.Kind == schedule.State || b.Kind == schedule.Param {
			bufs = append(bufs, b)
		}
	}
	if p.prog.Cost != nil {
		bufs = append(bufs, p.prog.Cost)
	}
	p.printf("// guards name the quantities the guard checks.\n")
	p.printf("var guards = [...]guard{\n")
	for _, b := range bufs {
		name, note := runtime.UserName(p.prog, b)
		p.printf("{name: %q, note: %q, size: %d, rank: %d, cols: %d, batched: %v},\n",
			name, note, b.Size(), b.Shape.Rank, b.Shape.Cols(), b.Batched)
	}
	p.printf("}\n\n")
	p.printf("// check returns the first non-finite value after step k.\n")
	p.printf("func (m *Model) check(k int) error {\n")
	// one sum over everything first: finite exactly when no value is NaN
	// or infinite, unless finite values overflow it (then the scans
	// below find nothing)
	p.printf("s := 0.0\n")
	for _, b := range bufs {
		if sum, ok := p.passSums[b]; ok {
			p.printf("s += m.%s // (%s, summed by its synapse pass)\n", sum, b.Name)
			continue
		}
		if p.rows(b)*b.Size() == 1 {
			p.printf("s += %s\n", p.ld(p.f(b)+"[0]"))
			continue
		}
		if p.prog.Float32 {
			p.printf("s += finiteSum32(%s)\n", p.f(b))
			continue
		}
		p.printf("s += finiteSum(%s)\n", p.f(b))
	}
	p.printf("if isFinite(s) {\nreturn nil\n}\n")
	for i, b := range bufs {
		p.printf("if err := scan(%s, &guards[%d], k); err != nil {\nreturn err\n}\n", p.f(b), i)
	}
	p.printf("return nil\n}\n\n")
}

// emitSettable writes the parameters and constants -set may change.
func (p *progGen) emitSettable() {
	p.printf("// settable are the parameters and constants Options.Set may change, by name.\n")
	p.printf("func (m *Model) settable() map[string][]%s {\nreturn map[string][]%s{\n", p.elem(), p.elem())
	for _, b := range p.prog.Buffers {
		if (b.Kind == schedule.Param || b.Kind == schedule.Const) && !b.Batched && plainName.MatchString(b.Name) {
			p.printf("%q: %s,\n", b.Name, p.f(b))
		}
	}
	p.printf("}\n}\n\n")
}

// emitClose writes close: the GEMM pool of the type and its teachers
// stopped.
func (p *progGen) emitClose() {
	p.printf("// close stops the workers of the matrix products.\n")
	p.printf("func (m *%s) close() {\n", p.typ)
	if len(p.gemms) > 0 {
		p.printf("if m.pool != nil {\nm.pool.Close()\nm.pool = nil\n}\n")
	}
	for _, t := range p.teachers {
		p.printf("if m.%s != nil {\nm.%s.close()\n}\n", t.field, t.field)
	}
	p.printf("}\n\n")
}

// pinnedBuffers are the buffers of prog whose values must be stored
// because something outside the step's kernels reads them: records and
// the cost (the student), or everything a user or a parent can name (a
// teacher, whose values its student reads as targets and records).
func pinnedBuffers(prog *schedule.Program, top bool) map[*schedule.Buffer]bool {
	pinned := map[*schedule.Buffer]bool{}
	for _, b := range []*schedule.Buffer{prog.Cost, prog.Energy} {
		if b != nil {
			pinned[b] = true
		}
	}
	for _, b := range prog.EnergyTerms {
		pinned[b] = true
	}
	if !top {
		for _, b := range prog.Named {
			pinned[b] = true
		}
		return pinned
	}
	for _, r := range prog.Model.Records {
		for _, ref := range r.Items {
			if b := recordedBuffer(prog, ref); b != nil {
				pinned[b] = true
			}
		}
	}
	return pinned
}
