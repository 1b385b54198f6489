package schedule

import (
	"fmt"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang/check"
)

// checkRecords makes sure every recorded quantity is a buffer of the step
// program (or of a teacher's), so that a model the checker accepts does
// not fail when the run opens its recorders.
func (s *scheduler) checkRecords() {
	for _, r := range s.sys.Model.Records {
		for _, ref := range r.Items {
			s.checkRecorded(ref)
		}
	}
}

func (s *scheduler) checkRecorded(ref *check.Ref) {
	switch ref.Kind {
	case check.RefState, check.RefParam:
		key := ref.Pop.Name + "." + ref.Var
		if s.p.Named[key] != nil {
			return
		}
		hint := ""
		switch {
		case ref.Var == "v" && s.free:
			hint = "; the free dynamics of method adjoint have no error neurons"
		case ref.Var == "v":
			hint = "; only method gle has error neurons (v)"
		}
		s.fail(ref.At, "%s is not computed by this model's step program%s", key, hint)
	case check.RefEnergy:
		// computed by energyKernels whenever it is recorded
	case check.RefCost:
		if s.p.Cost == nil {
			s.fail(ref.At, "record cost: the energy has no cost, only mismatch terms (a cost is a term such as beta * mse(y.r, T.y.r))")
		}
	case check.RefTeacher:
		if b := s.p.Named[ref.String()]; b != nil && b.Kind == Target {
			return
		}
		if ref.Pop == nil {
			s.fail(ref.At, "file teacher %s is not read by the energy, so there is nothing to record", ref.Teacher.Name)
			return
		}
		tp := s.p.Teachers[ref.Teacher]
		if tp == nil {
			return // the teacher's own errors are reported
		}
		if tp.Named[ref.Pop.Name+"."+ref.Var] == nil {
			s.fail(ref.At, "teacher %s does not compute %s.%s", ref.Teacher.Name, ref.Pop.Name, ref.Var)
		}
	}
}

// recordsEnergy reports whether a record names the energy.
func (s *scheduler) recordsEnergy() bool {
	for _, r := range s.sys.Model.Records {
		for _, ref := range r.Items {
			if ref.Kind == check.RefEnergy {
				return true
			}
		}
	}
	return false
}

// energyKernels evaluate, when the energy is recorded, every energy term
// and their sum at the start of the step, on the values the step reads.
// A population's prospective potential uhat_m enters only its mismatch
// term, through uhat_m = I + e (the definition of the error), so the
// mismatch is evaluated as 1/2 |e|^2 with the error left by the previous
// step.
func (s *scheduler) energyKernels() {
	if !s.recordsEnergy() {
		return
	}
	b := s.b
	subst := map[*ir.Var]ir.Expr{}
	for _, pb := range s.pops {
		subst[pb.eq.M] = b.Add(pb.eq.Drive, pb.eq.E)
	}
	l := s.lowerer(PhasePopulations, s.bindings(readPrev))
	var loads []*Code
	var args []*Buffer
	for i, t := range s.sys.Terms {
		name := fmt.Sprintf("energy.%d", i+1)
		buf := s.newBuffer(name, Temp, ir.Scalar(), true)
		s.p.Named[name] = buf
		l.into(b.Subst(t.Expr, subst), buf, fmt.Sprintf("energy term [%d] %s", i+1, t.Source))
		s.p.EnergyTerms = append(s.p.EnergyTerms, buf)
		loads = append(loads, load(buf, &args))
	}
	s.p.Energy = s.newBuffer("energy", Temp, ir.Scalar(), true)
	s.p.Named["energy"] = s.p.Energy
	s.emit(&Kernel{Op: OpMap, Phase: PhasePopulations, Dst: s.p.Energy, Args: args, Code: &Code{Op: CodeAdd, Args: loads}, Note: "energy at the start of the step"})
}
