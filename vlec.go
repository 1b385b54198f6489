// Package vlec runs the phases of the compiler in order: it checks a .vle
// file (lang/check), derives the dynamics from its energy (ir/derive),
// schedules the step program (ir/schedule) and, for exact gradients,
// derives the reverse sweep (ir/adjoint). The command-line tool and the
// tests go through Compile; each phase can also be used on its own.
package vlec

import (
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Options adjust a compilation; the zero value compiles the model as
// written.
type Options struct {
	// Method, when set, replaces the model's credit-assignment method.
	Method check.Method
	// Free schedules the free dynamics (no nudging, no learning) and
	// their reverse sweep, for exact gradients, whatever the method.
	Free bool
	// Precision, when set ("float64" or "float32"), replaces the model's
	// sim precision.
	Precision string
	// Set overrides settings of the model (`--set lr=0.1`), checked as if
	// the file said them (check.Override).
	Set []check.Override
}

// Compiled is a model taken through every phase.
type Compiled struct {
	Model  *check.Model
	System *derive.System
	// Program is the step program: the method's local dynamics and
	// learning, or the free dynamics for method adjoint and Options.Free.
	Program *schedule.Program
	// Reverse is the reverse sweep of Program when Program is free.
	Reverse *adjoint.Program
}

// Check takes the file at path through every phase, reporting what a run
// would refuse: a library is checked; a model is compiled as Compile does
// with the zero Options (for method adjoint, the free program and its
// reverse sweep). A clean library gives a nil Compiled.
func Check(path string) (*Compiled, lang.Sources, error) {
	m, sources, err := check.Load(path)
	if err != nil || m == nil {
		return nil, sources, err
	}
	c, err := compileModel(m, Options{})
	return c, sources, err
}

// Compile checks, derives and schedules the model at path. Its errors are
// positioned (lang.ErrorList) where they come from the source; the
// returned sources draw them with carets (lang.Sources.Format).
func Compile(path string, opts Options) (*Compiled, lang.Sources, error) {
	m, sources, err := check.LoadWith(path, check.LoadOptions{Set: opts.Set})
	if err != nil {
		return nil, sources, err
	}
	if m == nil {
		return nil, sources, libraryError(path)
	}
	c, err := compileModel(m, opts)
	return c, sources, err
}

// libraryError refuses a library where a model is needed, positioned at
// the start of the file so it prints like every other diagnostic.
func libraryError(path string) error {
	at := lang.Pos{File: path, Line: 1, Col: 1}
	return lang.ErrorList{lang.Errorf(at, "%s is a library (it has no `model NAME` header), not a model: only a model can be run, derived or differentiated (vlec check checks a library)", path)}
}

// compileModel derives and schedules a checked model.
func compileModel(m *check.Model, opts Options) (*Compiled, error) {
	if opts.Method != "" && opts.Method != m.Sim.Method || opts.Precision != "" && opts.Precision != m.Sim.Precision {
		copied := *m
		if opts.Method != "" {
			copied.Sim.Method = opts.Method
		}
		if opts.Precision != "" {
			copied.Sim.Precision = opts.Precision
		}
		m = &copied
	}
	if m.Sim.Precision == "float32" && m.Sim.Method == check.Adjoint && !opts.Free {
		at := m.Sim.Pos
		if at.Line == 0 {
			at = lang.Pos{File: m.File, Line: 1, Col: 1}
		}
		return nil, lang.ErrorList{lang.Errorf(at, "precision float32 is for methods le and gle; method adjoint computes exact gradients in float64")}
	}
	c := &Compiled{Model: m}
	var err error
	if c.System, err = derive.Derive(m); err != nil {
		return nil, err
	}
	if !opts.Free && m.Sim.Method != check.Adjoint {
		if c.Program, err = schedule.Schedule(c.System); err != nil {
			return nil, err
		}
		return c, nil
	}
	if c.Program, err = schedule.Free(c.System); err != nil {
		return nil, err
	}
	if c.Reverse, err = adjoint.Reverse(c.Program); err != nil {
		return nil, err
	}
	return c, nil
}
