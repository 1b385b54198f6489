package spice

import (
	"fmt"
	"math"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// DefaultMaxElements is the most circuit elements Export writes unless
// Options.MaxElements says otherwise: about 20 MB of netlist, several
// minutes of ngspice per second of simulated time.
const DefaultMaxElements = 200000

// Options are the choices of an export.
type Options struct {
	// Tstop and Tstep are the transient's end time and output step in
	// seconds; 0 takes the model's duration and dt.
	Tstop, Tstep float64
	// WithErrors adds the error neurons and the nudging (gamma e into the
	// membranes), and the teachers the errors read; without it the
	// circuit is the free forward dynamics (errors 0).
	WithErrors bool
	// Learn adds the plasticity: every parameter that learns becomes a
	// capacitor node; it implies WithErrors.
	Learn bool
	// Rscale is the membrane resistance in ohms (0: 1); capacitances are
	// divided and currents scaled by it, so node voltages are the
	// model's values whatever it is.
	Rscale float64
	// Samples is how many batch copies to export (0: all of them).
	// Learning averages over the batch, so Learn needs all of them.
	Samples int
	// Data is the file the netlist's control block writes with wrdata
	// (as ngspice will open it, relative to its working directory).
	Data string
	// From names where the parameters come from, for the header ("" for
	// the model's initial values).
	From string
	// Generator is written to the header (the vlec version).
	Generator string
	// Teacher gives the parameter values of a teacher model's program
	// (such as runtime.Sim.Teacher(t).Values); needed with WithErrors
	// when the model has teacher models.
	Teacher func(*check.Teacher) Values
	// Series gives, for file inputs and file teachers, the values vlec
	// reads at the first steps steps of a run: for each buffer, steps
	// rows of its batch x size values (such as a runtime.Sim stepped
	// that far); they become PWL sources. Without it such inputs and
	// teachers are refused.
	Series func(bufs []*schedule.Buffer, steps int) ([][]float64, error)
	// MaxElements refuses a circuit of more elements (0:
	// DefaultMaxElements).
	MaxElements int
}

// Values gives the current value of a buffer of the step program (such
// as runtime.Sim.Values).
type Values func(*schedule.Buffer) []float64

// A Column is one column of the data file after the time: a value of the
// model.
type Column struct {
	// Name is the model's name of the quantity: "y.r", "W1", "h.tau_m",
	// "cost".
	Name string
	// Sample is the batch index (-1 for a parameter, shared by the
	// batch); Index the entry, row-major for a matrix.
	Sample, Index int
	// Vector is the ngspice vector written, such as "v(r_y_0_0)".
	Vector string
}

// A Result is an exported netlist with what the export did.
type Result struct {
	Netlist []byte
	// Columns are the data file's columns after the time, in order.
	Columns []Column
	// Elements is the number of circuit elements.
	Elements int
	// Tstop and Tstep are the transient's end time and output step.
	Tstop, Tstep float64
	// Notes are the parts of the model left out, one line each.
	Notes []string
}

// Export writes the netlist of prog's model as sys derives it, with the
// parameter values that values gives. It refuses, naming the construct
// and where the source has it, what this mapping cannot express.
func Export(sys *derive.System, prog *schedule.Program, values Values, opts Options) (*Result, error) {
	x, err := newExporter(sys, prog, values, opts)
	if err != nil {
		return nil, err
	}
	if err := x.build(); err != nil {
		return nil, err
	}
	return x.result(), nil
}

// exporter holds the netlist being written.
type exporter struct {
	opts         Options
	rs           float64 // the membrane resistance (Options.Rscale)
	batch        int     // the batch copies exported
	tstop, tstep float64
	top          *scope
	body         strings.Builder
	names        map[string]string // lower-case node name -> what it is, for collisions
	elems        map[string]string // the same for element names
	elements     int
	columns      []Column
	notes        []string
	// series are the recorded values of the file inputs and targets
	// (Options.Series), seriesSteps rows each.
	series      map[*schedule.Buffer][]float64
	seriesSteps int
}

func newExporter(sys *derive.System, prog *schedule.Program, values Values, opts Options) (*exporter, error) {
	m := sys.Model
	x := &exporter{opts: opts, rs: opts.Rscale, names: map[string]string{}, elems: map[string]string{}, tstop: opts.Tstop, tstep: opts.Tstep}
	if opts.Learn {
		x.opts.WithErrors = true
	}
	if x.rs == 0 {
		x.rs = 1
	}
	if x.tstop == 0 {
		x.tstop = m.Sim.Duration
	}
	if x.tstep == 0 {
		x.tstep = prog.Dt
	}
	switch {
	case !finitePositive(x.rs):
		return nil, fmt.Errorf("--rscale %v: give a positive resistance in ohms", opts.Rscale)
	case !finitePositive(x.tstop):
		return nil, fmt.Errorf("--tstop %v: give a positive time in seconds", opts.Tstop)
	case !finitePositive(x.tstep) || x.tstep > x.tstop:
		return nil, fmt.Errorf("--tstep %v: give a positive time step no longer than --tstop (%g s)", opts.Tstep, x.tstop)
	case x.tstop/x.tstep > 1e7:
		return nil, fmt.Errorf("--tstop %g s / --tstep %g s is %.3g output points; give at most 1e7", x.tstop, x.tstep, x.tstop/x.tstep)
	case opts.Samples < 0:
		return nil, fmt.Errorf("--samples %d: give a positive number of batch copies", opts.Samples)
	case opts.Data == "":
		return nil, fmt.Errorf("no data file: name the file the netlist's wrdata writes")
	case strings.ContainsAny(opts.Data, " \t\n\"';"):
		return nil, fmt.Errorf("data file %q: ngspice's wrdata takes a path without spaces, quotes or semicolons", opts.Data)
	}
	x.batch = prog.Batch
	if opts.Samples > 0 && opts.Samples < prog.Batch {
		if x.opts.Learn {
			return nil, fmt.Errorf("--samples %d with --learn: learning averages its changes over the batch of %d; export every copy", opts.Samples, prog.Batch)
		}
		x.batch = opts.Samples
	}
	if x.opts.WithErrors && sys.Method() == check.Adjoint {
		return nil, refusal(m.Sim.Pos, "method adjoint: its gradients come from a reverse sweep over a stored trajectory, which a circuit does not run; export the forward network (without --with-errors and --learn), or use method gle")
	}
	x.top = &scope{x: x, sys: sys, prog: prog, values: values, inputs: map[*check.Input]string{}}
	return x, nil
}

func finitePositive(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

// build writes the whole netlist.
func (x *exporter) build() error {
	s := x.top
	m := s.sys.Model
	if err := x.refuseLearning(); err != nil {
		return err
	}
	if err := x.loadSeries(); err != nil {
		return err
	}
	if err := s.bindParams(); err != nil {
		return err
	}
	if err := s.writeInputs(nil); err != nil {
		return err
	}
	if err := s.writeFileTargets(); err != nil {
		return err
	}
	if x.opts.WithErrors {
		if err := x.writeTeachers(); err != nil {
			return err
		}
	} else {
		for _, t := range m.Teachers {
			x.notes = append(x.notes, fmt.Sprintf("teacher %s: not in the circuit (without --with-errors nothing reads the target)", t.Name))
		}
	}
	if x.opts.Learn {
		if err := s.writeLearnedParams(); err != nil {
			return err
		}
	}
	if err := s.writePopulations(x.opts.WithErrors); err != nil {
		return err
	}
	if x.opts.WithErrors {
		if err := s.writeErrors(); err != nil {
			return err
		}
		if err := s.writeCost(); err != nil {
			return err
		}
	}
	if x.opts.Learn {
		if err := s.writeLearning(); err != nil {
			return err
		}
	}
	max := x.opts.MaxElements
	if max == 0 {
		max = DefaultMaxElements
	}
	if x.elements > max {
		return fmt.Errorf("the circuit of %s would have %d elements, more than the limit of %d (about %d MB of netlist and minutes of ngspice per simulated step range); export fewer batch copies with --samples, or raise the limit with --max-elements", m.Name, x.elements, max, x.elements/10000)
	}
	return nil
}

// add registers a node name, refusing a second use of it (ngspice's
// names are case-insensitive).
func (x *exporter) add(name, what string) error { return register(x.names, name, what) }

func register(names map[string]string, name, what string) error {
	key := strings.ToLower(name)
	if prev, ok := names[key]; ok {
		return fmt.Errorf("%s and %s would both be called %q in the netlist (ngspice ignores case); rename one of them", prev, what, name)
	}
	names[key] = what
	return nil
}

// element writes one element line, registering its name.
func (x *exporter) element(name, what string, fields ...string) error {
	if err := register(x.elems, name, what); err != nil {
		return err
	}
	x.elements++
	x.body.WriteString(name)
	for _, f := range fields {
		x.body.WriteByte(' ')
		x.body.WriteString(f)
	}
	x.body.WriteByte('\n')
	return nil
}

// comment writes a comment line.
func (x *exporter) comment(format string, args ...any) {
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		x.body.WriteString("* " + line + "\n")
	}
}

// column adds a written column.
func (x *exporter) column(name string, sample, index int, node string) {
	x.columns = append(x.columns, Column{Name: name, Sample: sample, Index: index, Vector: "v(" + node + ")"})
}

// refuseLearning refuses, with --learn, the learning settings a circuit
// of capacitors does not follow.
func (x *exporter) refuseLearning() error {
	m := x.top.sys.Model
	if !x.opts.Learn {
		return nil
	}
	switch {
	case m.Learn.Optimizer == "adam":
		return refusal(m.Sim.Pos, "optimizer adam with --learn: its moment estimates and bias correction are not an ODE of the parameters; the circuit integrates plain gradient flow (optimizer sgd)")
	case m.Task != nil:
		return refusal(m.Task.Pos, "a task (epochs over a data set) with --learn: the circuit learns in one continuous run; export without --learn")
	case len(x.top.prog.Learnable) == 0:
		return refusal(m.Sim.Pos, "--learn: nothing in model %s learns (no plastic connection, no learnable parameter)", m.Name)
	}
	return nil
}

// result assembles the netlist: header, options, the body, the control
// block.
func (x *exporter) result() *Result {
	m := x.top.sys.Model
	var w strings.Builder
	fmt.Fprintf(&w, "* vlec export spice: model %s\n", m.Name)
	x.header(&w)
	w.WriteString(x.body.String())
	x.control(&w)
	return &Result{Netlist: []byte(w.String()), Columns: x.columns, Elements: x.elements, Tstop: x.tstop, Tstep: x.tstep, Notes: x.notes}
}

func (x *exporter) header(w *strings.Builder) {
	m := x.top.sys.Model
	from := x.opts.From
	if from == "" {
		from = "the model's initial values"
	}
	what := "the free forward dynamics (errors 0)"
	switch {
	case x.opts.Learn:
		what = "the dynamics with errors, nudging and plasticity (--learn)"
	case x.opts.WithErrors:
		what = "the dynamics with errors and nudging (--with-errors), parameters fixed"
	}
	fmt.Fprintf(w, "* generated by %s from %s\n", orDefault(x.opts.Generator, "vlec"), m.File)
	fmt.Fprintf(w, "* circuit: %s; parameters: %s\n", what, from)
	fmt.Fprintf(w, "* time in seconds; node voltages are the model's values; membrane R = %s ohm (--rscale), C = tau/R, currents I/R\n", num(x.rs))
	fmt.Fprintf(w, "* batch copies: %d of %d; %d elements\n", x.batch, x.top.prog.Batch, x.elements)
	for _, n := range x.notes {
		fmt.Fprintf(w, "* note: %s\n", n)
	}
	fmt.Fprintf(w, "* data file %s: column 1 time, then\n", x.opts.Data)
	for i, c := range x.columns {
		fmt.Fprintf(w, "*   column %d: %s\n", i+2, c.label())
	}
	// Tolerances: a relative error of 1e-3 against vlec needs ngspice's
	// step control well below its default reltol of 1e-3; the absolute
	// current and charge tolerances scale with the currents, 1/R.
	fmt.Fprintf(w, ".options reltol=1e-6 abstol=%s vntol=1e-9 chgtol=%s itl4=100\n", num(1e-12/x.rs), num(1e-18/x.rs))
}

// label names a column as vlec would: y.r[b=0][2], W1[3], cost[b=1].
func (c Column) label() string {
	if c.Sample < 0 {
		return fmt.Sprintf("%s[%d]", c.Name, c.Index)
	}
	if c.Index < 0 {
		return fmt.Sprintf("%s[b=%d]", c.Name, c.Sample)
	}
	return fmt.Sprintf("%s[b=%d][%d]", c.Name, c.Sample, c.Index)
}

// control writes the transient and the control block: run, the uniform
// output grid, the data file, exit status 0.
func (x *exporter) control(w *strings.Builder) {
	fmt.Fprintf(w, ".tran %s %s 0 %s uic\n", num(x.tstep), num(x.tstop), num(x.tstep))
	w.WriteString(".control\n")
	w.WriteString("set wr_singlescale\nset wr_vecnames\noption numdgt=12\n")
	w.WriteString("run\n")
	// linearize and wrdata take their vectors on one line each; ngspice
	// reads long control lines, but keep them to a few hundred
	// characters by writing the vectors into the plot in groups first.
	vecs := make([]string, len(x.columns))
	for i, c := range x.columns {
		vecs[i] = c.Vector
	}
	w.WriteString("linearize\n")
	fmt.Fprintf(w, "wrdata %s %s\n", x.opts.Data, strings.Join(vecs, " "))
	w.WriteString("quit 0\n.endc\n.end\n")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// scope is one model of the circuit: the student, or a teacher under a
// prefix.
type scope struct {
	x      *exporter
	prefix string // "" for the student, "T_" for teacher T
	sys    *derive.System
	prog   *schedule.Program
	values Values
	p      printer
	inputs map[*check.Input]string // input -> node base name
	// learned are the parameters that are capacitor nodes (--learn), by
	// their symbol.
	learned map[*ir.Var]bool
	// masks say which entries of a learned sparse or one_to_one weight
	// matrix exist (nil for dense ones).
	masks map[*ir.Var][]bool
	pops  []*popNodes
	// crossbars are the summing nodes of weight products written so far.
	crossbars map[crossKey]string
	crossIDs  map[*ir.Node]int
}

// popNodes are the node names of one population.
type popNodes struct {
	eq      *derive.PopEquations
	name    string // the population's name in node names (with the prefix)
	tunable bool   // tau_m is a learned node: the membrane is an integrator
}

func sanitize(name string) string {
	return strings.NewReplacer(".", "_", ":", "_", "'", "_").Replace(name)
}

// node is the name of entry i of sample b of a quantity ("u", "r", ...).
func (pn *popNodes) node(q string, b, i int) string {
	return fmt.Sprintf("%s_%s_%d_%d", q, pn.name, b, i)
}

// value returns the value of a buffer of the scope's program by name.
func (s *scope) value(name string, size int) ([]float64, error) {
	buf := s.prog.Named[name]
	if buf == nil {
		return nil, fmt.Errorf("%s: no buffer in the step program", name)
	}
	v := s.values(buf)
	if len(v) != size {
		return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), size)
	}
	for k, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s[%d] is %v; the circuit needs finite parameters", name, k, f)
		}
	}
	return v, nil
}

// bindParams tells the printer how the circuit holds every variable of
// the equations.
func (s *scope) bindParams() error {
	s.p = printer{vars: map[*ir.Var]leaf{}, held: map[ir.Expr]leaf{}, crossbar: s.crossbar}
	s.crossbars, s.crossIDs = map[crossKey]string{}, map[*ir.Node]int{}
	s.learned = map[*ir.Var]bool{}
	if s.x.opts.Learn && s.prefix == "" {
		for _, u := range s.sys.Updates {
			s.learned[u.Param] = true
		}
	}
	s.masks = map[*ir.Var][]bool{}
	numbers := func(v *ir.Var) error {
		if s.learned[v] {
			node := "p_" + s.prefix + sanitize(v.Name())
			buf := s.prog.Named[v.Name()]
			floor := buf.Floor
			if buf.Conn != nil && buf.Conn.Topology != check.Dense {
				// vlec changes only the weights on a sparse or one_to_one
				// connection's mask, which it zeroes elsewhere.
				vals, err := s.value(v.Name(), v.Shape().Size())
				if err != nil {
					return err
				}
				mask := make([]bool, len(vals))
				for k, w := range vals {
					mask[k] = w != 0
				}
				s.masks[v] = mask
				s.x.notes = append(s.x.notes, fmt.Sprintf("connection %s (%s): the weights that are 0 are taken as off its mask: they stay 0 and have no node", v.Name(), buf.Conn.Topology))
			}
			mask := s.masks[v]
			s.p.vars[v] = func(k, _ int) string {
				if mask != nil && !mask[k] {
					return "0"
				}
				if floor > 0 {
					return fmt.Sprintf("max(v(%s_%d), %s)", node, k, num(floor))
				}
				return fmt.Sprintf("v(%s_%d)", node, k)
			}
			return nil
		}
		vals, err := s.value(v.Name(), v.Shape().Size())
		if err != nil {
			return err
		}
		s.p.vars[v] = func(k, _ int) string { return num(vals[k]) }
		return nil
	}
	for _, v := range s.sys.Weights {
		if err := numbers(v); err != nil {
			return err
		}
	}
	for _, v := range s.sys.Params {
		if err := numbers(v); err != nil {
			return err
		}
	}
	for _, v := range s.sys.Consts {
		c, ok := v.Ref().(float64)
		if !ok {
			return fmt.Errorf("constant %s has no value", v.Name())
		}
		s.p.vars[v] = func(int, int) string { return num(c) }
	}
	for _, eq := range s.sys.Pops {
		if eq.Drive == nil {
			continue
		}
		pn := &popNodes{eq: eq, name: s.prefix + eq.Pop.Name}
		pn.tunable = s.learned[eq.TauM]
		s.pops = append(s.pops, pn)
		for _, v := range []*ir.Var{eq.Bias, eq.TauM, eq.TauR} {
			if err := numbers(v); err != nil {
				return err
			}
		}
		if eq.GammaVar != nil {
			if err := numbers(eq.GammaVar); err != nil {
				return err
			}
		}
		s.p.vars[eq.U] = func(k, b int) string { return "v(" + pn.node("u", b, k) + ")" }
		s.p.vars[eq.R] = func(k, b int) string { return "v(" + pn.node("uhat", b, k) + ")" }
		if eq.Rate != ir.Expr(eq.R) {
			s.p.held[eq.Rate] = func(k, b int) string { return "v(" + pn.node("r", b, k) + ")" }
		}
		if s.x.opts.WithErrors && s.prefix == "" {
			s.p.vars[eq.E] = func(k, b int) string { return "v(" + pn.node("e", b, k) + ")" }
		} else {
			s.p.vars[eq.E] = func(int, int) string { return "0" }
		}
		s.p.vars[eq.Udot] = func(k, b int) string { return s.udot(pn, k, b) }
	}
	return s.bindTargets()
}

// udot is du/dt of a neuron, read from the current of its membrane
// capacitor: i(V) = C du/dt.
func (s *scope) udot(pn *popNodes, i, b int) string {
	sense := "i(" + pn.sense("u", b, i) + ")"
	if pn.tunable { // C = 1/R
		return fmt.Sprintf("(%s*%s)", num(s.x.rs), sense)
	}
	tau, _ := s.p.entry(pn.eq.TauM, i, b)
	return fmt.Sprintf("(%s*%s/%s)", num(s.x.rs), sense, tau)
}

// sense is the name of the zero-volt source in series with a capacitor.
func (pn *popNodes) sense(q string, b, i int) string {
	return fmt.Sprintf("V%s_%s_%d_%d", q, pn.name, b, i)
}

// bindTargets binds the teacher quantities the equations read to the
// teacher sub-circuits' nodes.
func (s *scope) bindTargets() error {
	for name, v := range s.sys.Targets {
		ref, _ := v.Ref().(*check.Ref)
		if ref == nil || ref.Teacher == nil {
			return fmt.Errorf("target %s: not a teacher quantity", name)
		}
		if !s.x.opts.WithErrors {
			s.p.vars[v] = func(int, int) string { return "0" }
			continue
		}
		t := ref.Teacher
		if t.Data != nil {
			return refusal(t.Pos, "teacher %s presents the labels of data set %s: they change with vlec's task schedule, which the netlist has no form for", t.Name, t.Data.Name)
		}
		if t.Model == nil {
			buf := s.prog.Named[name]
			if s.x.series[buf] == nil {
				return refusal(t.Pos, "teacher %s reads the file %s: export spice writes it as a PWL source of the targets vlec reads, which need Options.Series (vlec export spice gives it)", t.Name, t.File)
			}
			base := "tg_" + sanitize(name)
			s.p.vars[v] = func(k, b int) string { return fmt.Sprintf("v(%s_%d_%d)", base, b, k) }
			continue
		}
		q := map[string]string{"r": "r", "u": "u", "uhat_r": "uhat"}[ref.Var]
		if q == "" || ref.Pop == nil {
			return refusal(ref.At, "target %s: export spice connects a teacher's rates, membranes and prospective potentials (T.P.r, T.P.u, T.P.uhat_r)", name)
		}
		pn := &popNodes{name: sanitize(t.Name) + "_" + ref.Pop.Name}
		if tsys := s.sys.Teachers[t]; q == "r" && tsys != nil {
			for _, eq := range tsys.Pops {
				if eq.Pop == ref.Pop && eq.Rate == ir.Expr(eq.R) {
					q = "uhat" // phi is the identity: the rate is uhat_r
				}
			}
		}
		s.p.vars[v] = func(k, b int) string { return "v(" + pn.node(q, b, k) + ")" }
	}
	return nil
}

// writeTeachers writes each teacher model the equations read as a
// sub-circuit of its free forward dynamics, on the inputs it is bound
// to.
func (x *exporter) writeTeachers() error {
	s := x.top
	for _, t := range s.sys.Model.Teachers {
		if t.Model == nil || !s.readsTeacher(t) {
			continue
		}
		tsys, tprog := s.sys.Teachers[t], s.prog.Teachers[t]
		if tsys == nil || tprog == nil {
			return refusal(t.Pos, "teacher %s: no derived program", t.Name)
		}
		if x.opts.Teacher == nil {
			return fmt.Errorf("teacher %s: no parameter values given for it", t.Name)
		}
		ts := &scope{x: x, prefix: sanitize(t.Name) + "_", sys: tsys, prog: tprog, values: x.opts.Teacher(t), inputs: map[*check.Input]string{}}
		x.comment("teacher %s = model(%q): its free forward dynamics, a sub-circuit whose rates are the targets", t.Name, t.Model.File)
		if tsys.Cost() != nil {
			x.notes = append(x.notes, fmt.Sprintf("teacher %s: its own errors and nudging are left out (the circuit has its free forward dynamics)", t.Name))
		}
		if err := ts.bindParams(); err != nil {
			return err
		}
		if err := ts.writeInputs(t); err != nil {
			return err
		}
		if err := ts.writePopulations(false); err != nil {
			return err
		}
	}
	return nil
}

// readsTeacher reports whether the equations read a quantity of t.
func (s *scope) readsTeacher(t *check.Teacher) bool {
	for _, v := range s.sys.Targets {
		if ref, ok := v.Ref().(*check.Ref); ok && ref.Teacher == t {
			return true
		}
	}
	return false
}

// writeInputs writes the stimulus sources; a teacher's inputs bound to
// the student's read the student's nodes.
func (s *scope) writeInputs(t *check.Teacher) error {
	x := s.x
	for _, in := range s.sys.Model.Inputs {
		v := s.sys.Inputs[in]
		if v == nil {
			continue
		}
		if t != nil {
			if parent := t.Bindings[in.Name]; parent != nil {
				base := x.top.inputs[parent]
				s.inputs[in] = base
				s.p.vars[v] = func(k, b int) string { return fmt.Sprintf("v(%s_%d_%d)", base, b, k) }
				continue
			}
		}
		base := "in_" + s.prefix + in.Name
		s.inputs[in] = base
		s.p.vars[v] = func(k, b int) string { return fmt.Sprintf("v(%s_%d_%d)", base, b, k) }
		if err := s.writeStimulus(in, base); err != nil {
			return err
		}
	}
	return nil
}

func (s *scope) writeStimulus(in *check.Input, base string) error {
	x := s.x
	switch {
	case in.Data != nil:
		return refusal(in.Pos, "input %s presents data set %s: its samples change with vlec's task schedule, which the netlist has no form for; export a model whose inputs are stimuli", in.Name, in.Data.Name)
	case in.File != "":
		buf := s.prog.Inputs[in]
		if s.prefix != "" || s.x.series[buf] == nil {
			return refusal(in.Pos, "input %s reads the file %s: export spice writes it as a PWL source of the values vlec reads, which need Options.Series (vlec export spice gives it; a teacher's own file inputs are not supported)", in.Name, in.File)
		}
		x.comment("input %s[%d] = file(%q): PWL through the values of vlec's steps", in.Name, in.Size, in.File)
		return x.pwl(base, buf, in.Size, "input "+in.Name)
	case in.Stimulus == nil:
		return refusal(in.Pos, "input %s has no stimulus", in.Name)
	}
	x.comment("input %s[%d] = %s", in.Name, in.Size, describe(in.Stimulus))
	for b := range x.batch {
		for i := range in.Size {
			node := fmt.Sprintf("%s_%d_%d", base, b, i)
			if err := x.add(node, "the node of input "+in.Name); err != nil {
				return err
			}
			e := stimEntry{i: i, b: b}
			if sig, ok := e.sines(in.Stimulus); ok {
				if err := x.sinChain(node, sig); err != nil {
					return err
				}
				continue
			}
			expr, err := e.timeExpr(in.Stimulus)
			if err != nil {
				return err
			}
			if err := x.element("B"+node, "the source of input "+in.Name, node, "0", "V="+expr); err != nil {
				return err
			}
		}
	}
	return nil
}

// sinChain writes an offset and sinusoids as SIN sources in series
// between node and ground.
func (x *exporter) sinChain(node string, sig signal) error {
	if len(sig.sines) == 0 {
		return x.element("V"+node, "a constant input", node, "0", "DC", num(sig.offset))
	}
	from := node
	for k, sn := range sig.sines {
		to := "0"
		if k < len(sig.sines)-1 {
			to = fmt.Sprintf("%s_s%d", node, k+1)
			if err := x.add(to, "a node between SIN sources"); err != nil {
				return err
			}
		}
		off := 0.0
		if k == 0 {
			off = sig.offset
		}
		if err := x.element(fmt.Sprintf("V%s_s%d", node, k), "a SIN source", from, to, spiceSIN(off, sn)); err != nil {
			return err
		}
		from = to
	}
	return nil
}
