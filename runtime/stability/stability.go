package stability

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// Defaults of Settings.
const (
	// DefaultSettle is the number of steps run before linearising.
	DefaultSettle = 5
	// DefaultTolerance is how far above 1 a radius must be to warn.
	DefaultTolerance = 1e-3
	// DefaultMaxDense is the largest number of state entries (that the
	// step reads) for which the full Jacobian is built.
	DefaultMaxDense = 400
	// DefaultKrylov is the dimension of Arnoldi's Krylov space.
	DefaultKrylov = 40
	// DefaultRestarts is the number of Arnoldi restarts at most.
	DefaultRestarts = 4
)

// arnoldiTol is the relative residual below which an Arnoldi estimate
// counts as converged. Finite-difference noise (about 1e-10 per product)
// keeps residuals of clusters of equal eigenvalues from going much lower.
const arnoldiTol = 1e-4

// undampedBand: a mode with Re lambda < 0 and |lambda| >= 1 - undampedBand
// is an undamped oscillation (its amplitude falls by less than e in 1000
// steps).
const undampedBand = 1e-3

// Settings adjust the analysis. The zero value, or nil, uses the
// defaults.
type Settings struct {
	// Settle is the number of steps run, learning off, before
	// linearising; 0 means DefaultSettle, a negative value linearises
	// at the initial state.
	Settle int
	// Tolerance: a loop is reported unstable when its radius exceeds
	// 1 + Tolerance; 0 means DefaultTolerance.
	Tolerance float64
	// MaxDense: up to this many state entries the full Jacobian is built
	// and decomposed; above, Arnoldi's iteration estimates the outer
	// eigenvalues. 0 means DefaultMaxDense, a negative value always uses
	// Arnoldi.
	MaxDense int
	// Krylov and Restarts size Arnoldi's iteration; 0 means the defaults.
	Krylov, Restarts int
	// MaxMemory bounds the memory of one sample of the model (as
	// runtime.EstimateMemory counts it); a larger model is not analysed
	// (Analyze returns a *TooLargeError). 0 means DefaultMaxMemory.
	MaxMemory int64
}

// DefaultMaxMemory is the largest model, by the memory of one sample, the
// analysis takes on: its few hundred steps would take minutes beyond.
const DefaultMaxMemory = 256 << 20

// TooLargeError says that a model was too large to analyse.
type TooLargeError struct {
	Model      string
	Bytes, Max int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("model %s is too large for the stability analysis (one sample needs about %s, the analysis takes on %s; it runs some hundred steps)",
		e.Model, runtime.FormatBytes(e.Bytes), runtime.FormatBytes(e.Max))
}

// The loops a report analyses.
const (
	LoopStep   = "whole step" // the one-step map of every state
	LoopNeuron = "neuron"     // membranes, prospective potentials and rates, errors held at zero
	LoopError  = "error"      // errors, error neurons and messages, membranes held
)

// The causes of an unstable whole-step row.
const (
	CauseNeuron  = "neuron"  // the neuron loop is unstable by itself
	CauseError   = "error"   // the error loop is unstable by itself
	CauseNudging = "nudging" // only the two together: errors nudge the membranes, whose rates drive the errors
)

// Row is one estimated loop gain: the dominant eigenvalue of a loop, or
// one of its unstable modes, and where its eigenvector lives.
type Row struct {
	Loop       string  // LoopStep, LoopNeuron or LoopError
	Population string  // the population carrying most of the eigenvector ("" if none)
	Share      float64 // fraction of the eigenvector (squared moduli) on Population
	// Populations are the populations carrying at least 10% of the
	// eigenvector, the largest share first.
	Populations []Share
	// State is the state buffer carrying most of the eigenvector.
	State      string
	Connection string     // the connection the loop runs through, if one is identified
	Radius     float64    // |Eigenvalue|: the factor a perturbation grows by per step
	Eigenvalue complex128 // of the one-step Jacobian
	// Uncertainty bounds the error of an Arnoldi estimate of Radius: the
	// square root of its residual (0 when computed densely).
	Uncertainty float64
	// Converged is false when the value is an Arnoldi estimate whose
	// residual stayed above 1e-4.
	Converged bool
	// Unstable is Radius - Uncertainty > 1 + Tolerance: the mode grows.
	Unstable bool
	// Undamped is a converged mode that is not Unstable but flips sign
	// every step or two (Re Eigenvalue < 0) without decaying (Radius at
	// least 1 - 1e-3 - Uncertainty): an oscillation of the
	// discretisation, flagged whatever the Tolerance.
	Undamped bool
	// Cause is, for a flagged whole-step row, which loop is at fault
	// (CauseNeuron, CauseError or CauseNudging).
	Cause string
	// Hint says what to change, for flagged rows.
	Hint string
}

// Flagged reports whether the row is unstable or undamped.
func (r Row) Flagged() bool { return r.Unstable || r.Undamped }

// Share is the fraction of an eigenvector on one population.
type Share struct {
	Population string
	Share      float64
}

// Report is the result of Analyze.
type Report struct {
	Model     string
	Method    check.Method
	Settle    int     // steps run before linearising
	States    int     // state entries of one sample
	Tolerance float64 // the warning threshold is 1 + Tolerance
	Rows      []Row
	// Notes say how each loop was computed.
	Notes []string
}

// Analyze linearises one step of prog around its state after a few steps
// without learning and estimates the spectral radius of the whole step,
// of the neuron loop and of the error loop (see the package
// documentation). prog is not changed; its teachers, stimuli and
// parameters are used to reach the linearisation point.
func Analyze(prog *schedule.Program, opts *Settings) (*Report, error) {
	if prog == nil || prog.Model == nil {
		return nil, errors.New("stability: no program")
	}
	if prog.Batch < 1 {
		return nil, fmt.Errorf("stability: model %s has batch %d", prog.Model.Name, prog.Batch)
	}
	set := Settings{}
	if opts != nil {
		set = *opts
	}
	if set.Settle == 0 {
		set.Settle = DefaultSettle
	}
	set.Settle = max(0, min(set.Settle, prog.Steps-1))
	if set.Tolerance <= 0 || math.IsNaN(set.Tolerance) {
		set.Tolerance = DefaultTolerance
	}
	if set.MaxDense == 0 {
		set.MaxDense = DefaultMaxDense
	}
	if set.Krylov <= 0 {
		set.Krylov = DefaultKrylov
	}
	if set.Restarts <= 0 {
		set.Restarts = DefaultRestarts
	}
	if set.MaxMemory <= 0 {
		set.MaxMemory = DefaultMaxMemory
	}
	one := *prog
	one.Batch = 1
	if need := runtime.EstimateMemory(&one).Bytes; need > set.MaxMemory {
		return nil, &TooLargeError{Model: prog.Model.Name, Bytes: need, Max: set.MaxMemory}
	}
	a := &analysis{prog: prog, set: set, thr: 1 + set.Tolerance}
	rep, err := a.run()
	if err != nil {
		return nil, fmt.Errorf("stability of model %s: %w", prog.Model.Name, err)
	}
	return rep, nil
}

// analysis holds the state of one Analyze call.
type analysis struct {
	prog  *schedule.Program
	set   Settings
	thr   float64
	infos []stateInfo // per entry of the state vector
}

func (a *analysis) run() (*Report, error) {
	prog := a.prog
	rep := &Report{Model: prog.Model.Name, Method: prog.Model.Sim.Method, Settle: a.set.Settle, Tolerance: a.set.Tolerance}
	pt, err := settle(prog, a.set.Settle)
	if err != nil {
		return nil, err
	}
	whole, err := newStepMap(prog, pt, nil)
	if err != nil {
		return nil, err
	}
	defer whole.close()
	rep.States = whole.n
	if whole.n == 0 {
		rep.Notes = append(rep.Notes, "the step has no state")
		return rep, nil
	}
	a.infos = make([]stateInfo, whole.n)
	var all, errs, neurons []int
	for _, v := range whole.vars {
		info := describe(prog.Model, v.buf.Name)
		for i := v.off; i < v.off+v.size(); i++ {
			a.infos[i] = info
			all = append(all, i)
			if info.error {
				errs = append(errs, i)
			} else {
				neurons = append(neurons, i)
			}
		}
	}

	step, err := a.spectrum(whole, all)
	if err != nil {
		return nil, fmt.Errorf("whole step: %w", err)
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %d entries, %s", LoopStep, len(all), step.how))
	stepRows := a.rows(LoopStep, step, all)

	var neuronRows, errorRows []Row
	if len(errs) > 0 && len(neurons) > 0 {
		free, err := newStepMap(prog, pt, errorNexts(prog))
		if err != nil {
			return nil, err
		}
		defer free.close()
		if free.n != whole.n {
			return nil, fmt.Errorf("the step without errors has %d state entries, the step %d", free.n, whole.n)
		}
		sp, err := a.spectrum(free, neurons)
		if err != nil {
			return nil, fmt.Errorf("neuron loop: %w", err)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s loop: %d entries, errors held at zero, %s", LoopNeuron, len(neurons), sp.how))
		neuronRows = a.rows(LoopNeuron, sp, neurons)

		sp, err = a.spectrum(whole, errs)
		if err != nil {
			return nil, fmt.Errorf("error loop: %w", err)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s loop: %d entries, membranes held, %s", LoopError, len(errs), sp.how))
		errorRows = a.rows(LoopError, sp, errs)
	} else {
		rep.Notes = append(rep.Notes, "no error states: the whole step is the neuron loop")
	}
	for i := range stepRows {
		r := &stepRows[i]
		if !r.Flagged() {
			continue
		}
		r.Cause = cause(*r, neuronRows, errorRows, len(errs) == 0)
		r.Hint = a.hint(*r, r.Cause)
	}
	for _, rows := range [][]Row{neuronRows, errorRows} {
		for i := range rows {
			if rows[i].Flagged() {
				rows[i].Hint = a.hint(rows[i], rows[i].Loop)
			}
		}
	}
	for _, rows := range [][]Row{stepRows, neuronRows, errorRows} {
		if len(rows) > 0 && !rows[0].Converged {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: Arnoldi's dominant estimate kept a residual above %g; its radius is approximate (to about 1e-3 on clusters of equal eigenvalues)", rows[0].Loop, arnoldiTol))
		}
	}
	rep.Rows = append(append(stepRows, neuronRows...), errorRows...)
	return rep, nil
}

// restricted is the Jacobian of a step map restricted to some entries of
// the state vector: the other entries are held at the point.
type restricted struct {
	m         *stepMap
	idx       []int
	zero      []bool
	full, out []float64
}

func newRestricted(m *stepMap, idx []int) *restricted {
	r := &restricted{m: m, idx: idx, zero: make([]bool, len(idx)), full: make([]float64, m.n), out: make([]float64, m.n)}
	read := make([]bool, m.n)
	for _, v := range m.vars {
		for i := v.off; i < v.off+v.size(); i++ {
			read[i] = v.read
		}
	}
	for i, j := range idx {
		r.zero[i] = !read[j]
	}
	return r
}

func (r *restricted) dim() int              { return len(r.idx) }
func (r *restricted) zeroColumn(j int) bool { return r.zero[j] }

func (r *restricted) apply(v, out []float64) error {
	clear(r.full)
	for i, j := range r.idx {
		r.full[j] = v[i]
	}
	if err := r.m.jvp(r.full, r.out); err != nil {
		return err
	}
	for i, j := range r.idx {
		out[i] = r.out[j]
	}
	return nil
}

// spectrum computes the outer spectrum of m restricted to idx: densely
// when the entries it reads are few, else by Arnoldi's iteration.
func (a *analysis) spectrum(m *stepMap, idx []int) (spectrum, error) {
	op := newRestricted(m, idx)
	nonzero := 0
	for _, z := range op.zero {
		if !z {
			nonzero++
		}
	}
	if a.set.MaxDense > 0 && nonzero <= a.set.MaxDense {
		return denseSpectrum(op)
	}
	return arnoldiSpectrum(op, arnoldiSettings{krylov: a.set.Krylov, restarts: a.set.Restarts, tol: arnoldiTol, seed: 1})
}

// rows attributes the flagged modes of a loop (the largest of each
// population) or, when none is flagged, its dominant
// mode.
func (a *analysis) rows(loop string, sp spectrum, idx []int) []Row {
	var rows []Row
	for i, md := range sp.modes {
		r := cmplx.Abs(md.value)
		if r+math.Sqrt(md.residual) < 1-undampedBand {
			break
		}
		row := a.attribute(loop, md, idx)
		if i > 0 && !row.Flagged() {
			continue
		}
		dup := false
		for _, old := range rows {
			dup = dup || old.Population == row.Population && old.Undamped == row.Undamped
		}
		if !dup {
			rows = append(rows, row)
		}
		if len(rows) == 4 {
			break
		}
	}
	if len(rows) == 0 && len(sp.modes) > 0 {
		rows = append(rows, a.attribute(loop, sp.modes[0], idx))
	}
	return rows
}

// attribute finds where a mode's eigenvector lives.
func (a *analysis) attribute(loop string, md mode, idx []int) Row {
	m := a.prog.Model
	r := cmplx.Abs(md.value)
	unc := math.Sqrt(md.residual)
	row := Row{Loop: loop, Radius: r, Eigenvalue: md.value, Uncertainty: unc,
		Converged: md.residual <= arnoldiTol*math.Max(1, r), Unstable: r-unc > a.thr}
	row.Undamped = !row.Unstable && row.Converged && r+unc >= 1-undampedBand && real(md.value) < 0
	popW := map[string]float64{}
	connW := map[*check.Connection]float64{}
	stateW := map[string]float64{}
	total := 0.0
	for i, j := range idx {
		if i >= len(md.vec) {
			break
		}
		w := real(md.vec[i])*real(md.vec[i]) + imag(md.vec[i])*imag(md.vec[i])
		info := a.infos[j]
		popW[info.pop] += w
		stateW[info.name] += w
		if stateW[info.name] > stateW[row.State] {
			row.State = info.name
		}
		if info.conn != nil {
			connW[info.conn] += w
		}
		total += w
	}
	if total == 0 {
		return row
	}
	for _, p := range m.Populations {
		if popW[p.Name] > popW[row.Population] || row.Population == "" && popW[p.Name] > 0 {
			row.Population = p.Name
		}
	}
	row.Share = popW[row.Population] / total
	for _, p := range m.Populations {
		if f := popW[p.Name] / total; f >= 0.1 {
			row.Populations = append(row.Populations, Share{p.Name, f})
		}
	}
	slices.SortStableFunc(row.Populations, func(x, y Share) int { return -cmpFloat(x.Share, y.Share) })
	var best *check.Connection
	for _, c := range m.Connections {
		if connW[c] >= 0.1*total && (best == nil || connW[c] > connW[best]) {
			best = c
		}
	}
	if best == nil && loop != LoopError {
		// a connection on a cycle of populations the mode lives on
		score := 0.0
		for _, c := range m.Connections {
			src, ok1 := c.Src.(*check.Population)
			dst, ok2 := c.Dst.(*check.Population)
			if !ok1 || !ok2 || popW[src.Name] < 0.1*total || popW[dst.Name] < 0.1*total || !reaches(m, dst, src) {
				continue
			}
			if s := popW[src.Name] + popW[dst.Name]; s > score {
				best, score = c, s
			}
		}
	}
	if best != nil {
		row.Connection = best.Name
	}
	return row
}

// reaches reports whether connections lead from population p to q (p ==
// q counts).
func reaches(m *check.Model, p, q *check.Population) bool {
	seen := map[*check.Population]bool{p: true}
	todo := []*check.Population{p}
	for len(todo) > 0 {
		cur := todo[0]
		todo = todo[1:]
		if cur == q {
			return true
		}
		for _, c := range m.Connections {
			src, ok1 := c.Src.(*check.Population)
			dst, ok2 := c.Dst.(*check.Population)
			if ok1 && ok2 && src == cur && !seen[dst] {
				seen[dst] = true
				todo = append(todo, dst)
			}
		}
	}
	return false
}

// cause says which loop makes an unstable whole-step row unstable: the
// unstable subsystem on the same population if there is one, any
// unstable subsystem else, and the coupling of the two (nudging) when
// both are stable by themselves.
func cause(r Row, neuron, errs []Row, noErrors bool) string {
	if noErrors {
		return CauseNeuron
	}
	pick := func(rows []Row, same bool) bool {
		for _, x := range rows {
			if x.Flagged() && (!same || x.Population == r.Population) {
				return true
			}
		}
		return false
	}
	switch {
	case pick(errs, true):
		return CauseError
	case pick(neuron, true):
		return CauseNeuron
	case pick(errs, false):
		return CauseError
	case pick(neuron, false):
		return CauseNeuron
	}
	return CauseNudging
}

// Flagged reports whether the whole step has an unstable or undamped
// mode: whether Warnings has lines.
func (r *Report) Flagged() bool {
	for _, row := range r.Rows {
		if row.Loop == LoopStep && row.Flagged() {
			return true
		}
	}
	return false
}

// Warnings are one line per flagged mode of the whole step (Warning of
// every flagged whole-step row, in order). A stable model has none.
func (r *Report) Warnings() []string {
	var out []string
	for _, row := range r.Rows {
		if row.Loop == LoopStep && row.Flagged() {
			out = append(out, r.Warning(row))
		}
	}
	return out
}

// Warning is the warning of a flagged row: a line starting with
// "warning:" naming the model, the population (and the connection), the
// loop, the gain per step and what to change.
func (r *Report) Warning(row Row) string {
	where := "the model"
	if row.Population != "" {
		where = "population " + row.Population
		if len(row.Populations) > 1 {
			var others []string
			for _, p := range row.Populations[1:] {
				others = append(others, p.Population)
			}
			where += " (with " + strings.Join(others, ", ") + ")"
		}
	}
	loop := row.Loop
	if row.Cause != "" {
		loop = row.Cause
	}
	through := ""
	if row.Connection != "" {
		through = " through connection " + row.Connection
	}
	est := ""
	if !row.Converged {
		est = ", estimated"
	}
	what := fmt.Sprintf("is unstable: a perturbation grows %.3g-fold per step (eigenvalue %s%s), so the run will oscillate or diverge", row.Radius, formatComplex(row.Eigenvalue), est)
	if !row.Unstable {
		what = fmt.Sprintf("is undamped: it alternates from step to step without decaying (eigenvalue %s%s), so the run oscillates", formatComplex(row.Eigenvalue), est)
	}
	return fmt.Sprintf("warning: model %s: %s: the %s loop%s %s. %s", r.Model, where, loop, through, what, row.Hint)
}

// formatComplex prints an eigenvalue compactly: real ones as reals.
func formatComplex(z complex128) string {
	if math.Abs(imag(z)) <= 1e-9*math.Max(1, cmplx.Abs(z)) {
		return fmt.Sprintf("%.4g", real(z))
	}
	return fmt.Sprintf("%.4g%+.4gi", real(z), imag(z))
}

// Table writes the report as a table: one line per row, then the notes.
func (r *Report) Table() string {
	var w strings.Builder
	fmt.Fprintf(&w, "stability of model %s (method %s): one step linearised after %d steps without learning, %d state entries; warning above radius %g\n",
		r.Model, r.Method, r.Settle, r.States, 1+r.Tolerance)
	fmt.Fprintf(&w, "  %-11s %-16s %-12s %-18s %9s  %-20s %s\n", "loop", "population", "connection", "state", "radius", "eigenvalue", "status")
	for _, row := range r.Rows {
		pop, conn, state := row.Population, row.Connection, row.State
		if pop != "" {
			pop = fmt.Sprintf("%s %.0f%%", pop, 100*row.Share)
		}
		status := "stable"
		switch {
		case row.Unstable:
			status = "UNSTABLE"
		case row.Undamped:
			status = "UNDAMPED"
		}
		if row.Cause != "" {
			status += " (" + row.Cause + " loop)"
		}
		if row.Uncertainty > 0 {
			status += fmt.Sprintf(", +-%.1g", row.Uncertainty)
		}
		if !row.Converged {
			status += ", estimate"
		}
		fmt.Fprintf(&w, "  %-11s %-16s %-12s %-18s %9.6f  %-20s %s\n", row.Loop, dash(pop), dash(conn), dash(state), row.Radius, formatComplex(row.Eigenvalue), status)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&w, "  note: %s\n", n)
	}
	return w.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
