package schedule

import (
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
