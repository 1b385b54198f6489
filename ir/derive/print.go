package derive

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang/check"
)

// String prints the derived equations like a paper, in ASCII, each
// annotated with the numbers of the energy terms it came from.
func (s *System) String() string { return s.format(false) }

// LaTeX prints the derived equations as a LaTeX align* environment.
func (s *System) LaTeX() string { return s.format(true) }

// printer formats expressions and lines in one of the two notations.
type printer struct {
	s     *System
	latex bool
	w     strings.Builder
	names map[string]*ir.Var // display-only symbols: h.I, h.v, eta, ...
}

func (s *System) format(latex bool) string {
	p := &printer{s: s, latex: latex, names: map[string]*ir.Var{}}
	p.header()
	p.energy()
	for _, pe := range s.Pops {
		if pe.Drive != nil {
			p.population(pe)
		}
	}
	p.plasticity()
	if latex {
		p.w.WriteString("\\end{align*}\n")
	}
	return p.w.String()
}

// sym is a display-only symbol (it never enters a derivation).
func (p *printer) sym(name string, shape ir.Shape) ir.Expr {
	if v, ok := p.names[name]; ok {
		return v
	}
	v, err := p.s.B.Var(ir.VarSpec{Name: name, Shape: shape, Role: ir.RoleState, Batched: true})
	if err != nil {
		v = p.s.B.Lookup(name)
	}
	p.names[name] = v
	return v
}

func (p *printer) expr(e ir.Expr) string {
	if p.latex {
		return ir.Latex(e)
	}
	return e.String()
}

// eq writes one equation, lhs = rhs, with the terms it came from.
func (p *printer) eq(lhs, rhs string, from []string) {
	refs := p.refs(from)
	if p.latex {
		if refs != "" {
			refs = ` && \text{` + refs + `}`
		}
		fmt.Fprintf(&p.w, "%s &= %s%s \\\\\n", lhs, rhs, refs)
		return
	}
	line := fmt.Sprintf("  %s = %s", lhs, rhs)
	if refs != "" {
		line = fmt.Sprintf("%-60s %s", line, refs)
	}
	p.w.WriteString(strings.TrimRight(line, " ") + "\n")
}

// refs names energy terms by their numbers: [1, 2].
func (p *printer) refs(from []string) string {
	var nums []string
	for i, t := range p.s.Terms {
		for _, f := range from {
			if f == t.Source {
				nums = append(nums, fmt.Sprint(i+1))
				break
			}
		}
	}
	if len(nums) == 0 {
		return ""
	}
	return "[" + strings.Join(nums, ", ") + "]"
}

// note writes a remark.
func (p *printer) note(text string) {
	if p.latex {
		fmt.Fprintf(&p.w, "%% %s\n", text)
		return
	}
	fmt.Fprintf(&p.w, "  (%s)\n", text)
}

// section writes a heading.
func (p *printer) section(title string) {
	if p.latex {
		fmt.Fprintf(&p.w, "%% %s\n", title)
		return
	}
	fmt.Fprintf(&p.w, "\n%s\n", title)
}

func (p *printer) header() {
	m := p.s.Model
	method := map[check.Method]string{check.LE: "instantaneous errors", check.GLE: "prospective errors", check.Adjoint: "exact gradients"}[m.Sim.Method]
	if p.latex {
		fmt.Fprintf(&p.w, "%% model %s: method %s (%s), derived by vlec\n\\begin{align*}\n", m.Name, m.Sim.Method, method)
		return
	}
	fmt.Fprintf(&p.w, "model %s: method %s (%s)\n", m.Name, m.Sim.Method, method)
}

func (p *printer) energy() {
	p.section("energy E = sum of the terms")
	for i, t := range p.s.Terms {
		lhs := fmt.Sprintf("[%d] %s", i+1, t.Source)
		if p.latex {
			lhs = fmt.Sprintf(`E_{%d}`, i+1)
		}
		p.eq(lhs, p.expr(t.Expr), nil)
	}
	if len(p.s.Losses) > 0 {
		p.note(fmt.Sprintf("task loss L = %s, nudging strength beta = %g; objective (vlec grad, gradcheck, adjoint) = cost / beta", p.s.Loss(), p.s.Nudging))
	}
}

// population writes the equations of one population. The structure of
// the membrane and error-neuron equations is fixed by the method; what
// they contain (I, phi, ebar) is derived.
func (p *printer) population(pe *PopEquations) {
	name, n := pe.Pop.Name, pe.U.Shape()
	p.section(fmt.Sprintf("population %s[%d]: phi = %s, gamma = %s", name, pe.Pop.Size, pe.Pop.Phi.Name, gammaText(pe.Pop.Gamma)))
	v := func(q string) string { return p.expr(p.sym(name+"."+q, n)) }
	mul := func(a, b string) string {
		if p.latex {
			return a + " \\, " + b
		}
		return a + " * " + b
	}
	udot, vdot := "d"+name+".u/dt", "d"+name+".v/dt"
	if p.latex {
		udot, vdot = v("udot"), v("vdot")
	}
	gammaE := v("e")
	if g, uniform := pe.Pop.Gamma.Uniform(); !uniform {
		gammaE = mul(v("gamma"), gammaE)
	} else if g != 1 {
		gammaE = mul(fmt.Sprintf("%g", g), gammaE)
	}
	p.eq(mul(v("tau_m"), udot), "-"+v("u")+" + "+v("I")+" + "+gammaE, pe.DriveFrom)
	p.eq(v("I"), p.expr(pe.Drive), pe.DriveFrom)
	p.eq(v("uhat_r"), v("u")+" + "+mul(v("tau_r"), udot), nil)
	p.eq(v("r"), p.expr(pe.Rate), nil)
	p.eq(v("ebar"), p.expr(pe.Ebar), pe.EbarFrom)
	switch p.s.Method() {
	case check.LE:
		p.eq(v("e"), v("ebar"), nil)
		return
	case check.Adjoint:
		p.note("with method adjoint the gradients come from a reverse sweep over the trajectory (gamma = 0), not from e")
		return
	}
	p.eq(mul(v("tau_r"), vdot), "-"+v("v")+" + "+v("ebar"), nil)
	p.eq(v("e"), v("v")+" + "+mul(v("tau_m"), vdot), nil)
}

// gammaText prints a population's gamma: one number, or the list of the
// neurons' values when they differ.
func gammaText(np check.NeuronParam) string {
	if g, uniform := np.Uniform(); uniform {
		return fmt.Sprintf("%g", g)
	}
	vals := make([]string, len(np.Values))
	for i, g := range np.Values {
		vals[i] = fmt.Sprintf("%g", g)
	}
	return "[" + strings.Join(vals, ", ") + "]"
}

func (p *printer) plasticity() {
	if len(p.s.Updates) == 0 {
		return
	}
	p.section("plasticity: d theta/dt = -eta dE/dtheta")
	b := p.s.B
	eta := p.sym("eta", ir.Scalar())
	for _, u := range p.s.Updates {
		lhs := "d" + u.Param.Name() + "/dt"
		if p.latex {
			lhs = "\\frac{d}{dt} " + p.expr(u.Param)
		}
		p.eq(lhs, p.expr(b.Mul(eta, u.Direction)), u.From)
	}
}
