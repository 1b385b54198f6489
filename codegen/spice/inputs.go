package spice

import (
	"fmt"

	"github.com/vlec-dev/vlec/lang/check"
)

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
