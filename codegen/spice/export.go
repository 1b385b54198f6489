package spice

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// MaxColumnsPerFile is the most columns one wrdata command writes:
// ngspice 39's wrdata silently writes nothing when given about ten
// thousand vectors ("too many args" past 10000), and lines of tens of
// kilobytes are at its limits; more columns go to further files.
const MaxColumnsPerFile = 1000

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
	// ColumnsPerFile is the most columns a data file holds (0 or more
	// than MaxColumnsPerFile: MaxColumnsPerFile).
	ColumnsPerFile int
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
	// File is the index in Result.DataFiles of the file holding the
	// column; Position its column there (1 is the first after the time).
	File, Position int
}

// A Result is an exported netlist with what the export did.
type Result struct {
	Netlist []byte
	// Columns are the data files' columns after the time, in order.
	Columns []Column
	// DataFiles are the files the netlist writes: Options.Data, and when
	// there are more columns than one wrdata command takes
	// (MaxColumnsPerFile), DATA.2, DATA.3, ... (the number before the
	// extension), each with its own time column.
	DataFiles []string
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
func Export(sys *derive.System, prog *schedule.Program, values Values, opts Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug, reported rather than crashing the command
			res, err = nil, fmt.Errorf("internal error in export spice: %v", r)
		}
	}()
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
	n, per := len(x.columns), x.perFile()
	x.columns = append(x.columns, Column{Name: name, Sample: sample, Index: index, Vector: "v(" + node + ")",
		File: n / per, Position: n%per + 1})
}

// perFile is the most columns of a data file.
func (x *exporter) perFile() int {
	if n := x.opts.ColumnsPerFile; n > 0 && n < MaxColumnsPerFile {
		return n
	}
	return MaxColumnsPerFile
}

// dataFiles are the names of the data files: Options.Data, then
// DATA.2, DATA.3, ... with the number before the extension.
func (x *exporter) dataFiles() []string {
	n := (len(x.columns) + x.perFile() - 1) / x.perFile()
	names := []string{x.opts.Data}
	ext := filepath.Ext(x.opts.Data)
	for f := 2; f <= n; f++ {
		names = append(names, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(x.opts.Data, ext), f, ext))
	}
	return names
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
	return &Result{Netlist: []byte(w.String()), Columns: x.columns, DataFiles: x.dataFiles(), Elements: x.elements, Tstop: x.tstop, Tstep: x.tstep, Notes: x.notes}
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
	for f, name := range x.dataFiles() {
		fmt.Fprintf(w, "* data file %s: column 1 time, then\n", name)
		for _, c := range x.columns {
			if c.File == f {
				fmt.Fprintf(w, "*   column %d: %s\n", c.Position+1, c.label())
			}
		}
	}
	// Tolerances: a relative error of 1e-3 against vlec needs ngspice's
	// step control well below its default reltol of 1e-3; the absolute
	// current and charge tolerances scale with the currents, 1/R.
	fmt.Fprintf(w, ".options reltol=1e-6 abstol=%.6g vntol=1e-9 chgtol=%.6g itl4=100\n", 1e-12/x.rs, 1e-18/x.rs)
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
	// .save keeps only the written vectors in the plot: less memory, and
	// wrdata finds its vectors among thousands instead of every node
	// and branch current of a large circuit.
	for i := 0; i < len(x.columns); i += 100 {
		w.WriteString(".save")
		for _, c := range x.columns[i:min(i+100, len(x.columns))] {
			w.WriteString(" " + c.Vector)
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, ".tran %s %s 0 %s uic\n", num(x.tstep), num(x.tstop), num(x.tstep))
	w.WriteString(".control\n")
	w.WriteString("set wr_singlescale\nset wr_vecnames\noption numdgt=12\n")
	w.WriteString("run\n")
	// linearize puts every vector of the plot on the .tran step's grid;
	// wrdata writes the columns, MaxColumnsPerFile a file.
	w.WriteString("linearize\n")
	files := x.dataFiles()
	vecs := make([][]string, len(files))
	for _, c := range x.columns {
		vecs[c.File] = append(vecs[c.File], c.Vector)
	}
	for f, name := range files {
		fmt.Fprintf(w, "wrdata %s %s\n", name, strings.Join(vecs[f], " "))
	}
	w.WriteString("quit 0\n.endc\n.end\n")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
