package ir

import (
	"strings"
	"unicode"
)

// Latex prints e as a LaTeX math formula: \tanh(u), W^\top e, e r^\top,
// \lVert x\rVert^2, \frac{a}{b}, \odot between vector factors, and names
// like tau_m as \tau_{m} and uhat_m as \hat{u}_{m}.
func Latex(e Expr) string {
	p := printer{latex: true}
	p.expr(e, 0)
	return p.sb.String()
}

var latexFuncs = [numFuncs]string{
	Linear: `\operatorname{id}`, Tanh: `\tanh`, Sigmoid: `\sigma`,
	Softplus: `\operatorname{softplus}`, Relu: `\operatorname{relu}`,
	Exp: `\exp`, Log: `\log`, Square: `\operatorname{sq}`, Abs: `\operatorname{abs}`,
	Step: `\Theta`, Sign: `\operatorname{sgn}`,
}

func (p *printer) latexCall(n *Node) {
	if n.op == OpFunc && n.fn == Abs {
		p.sb.WriteString(`\lvert `)
		p.expr(n.args[0], 0)
		p.sb.WriteString(` \rvert`)
		return
	}
	p.sb.WriteString(latexFuncs[n.fn])
	if n.op == OpDeriv {
		p.sb.WriteString("'")
	}
	p.args(n.args)
}

func (p *printer) latexReduction(n *Node) {
	switch n.op {
	case OpSumSq:
		p.sb.WriteString(`\lVert `)
		p.expr(n.args[0], 0)
		p.sb.WriteString(` \rVert^2`)
	case OpOuter:
		p.expr(n.args[0], precPow)
		p.sb.WriteString(" ")
		p.expr(n.args[1], precAtom)
		p.sb.WriteString(`^\top`)
	case OpDot:
		p.sb.WriteString(`\langle `)
		p.expr(n.args[0], 0)
		p.sb.WriteString(", ")
		p.expr(n.args[1], 0)
		p.sb.WriteString(` \rangle`)
	default:
		names := map[Op]string{OpSum: `\operatorname{sum}`,
			OpLogSumExp: `\operatorname{logsumexp}`, OpSoftmax: `\operatorname{softmax}`}
		p.sb.WriteString(names[n.op])
		p.args(n.args)
	}
}

// frac prints c * num / den as \frac{c num}{den}.
func (p *printer) frac(c float64, num, den []Expr, denExp []float64) {
	p.sb.WriteString(`\frac{`)
	if c == 1 && len(num) == 1 {
		p.expr(num[0], 0)
	} else {
		p.factors(c, num)
	}
	p.sb.WriteString("}{")
	if len(den) == 1 && denExp[0] == 1 {
		p.expr(den[0], 0)
		p.sb.WriteString("}")
		return
	}
	for i, d := range den {
		if i > 0 {
			p.sb.WriteString(p.mulSep(den, i))
		}
		p.power(d, denExp[i])
	}
	p.sb.WriteString("}")
}

// latexNum prints 0.5 as 0.5 and 1e-08 as 10^{-8}.
func latexNum(v float64) string {
	s := formatNum(v)
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	if mant == "1" {
		return "10^{" + exp + "}"
	}
	return mant + ` \times 10^{` + exp + "}"
}

var greek = map[string]bool{
	"alpha": true, "beta": true, "gamma": true, "delta": true, "epsilon": true,
	"zeta": true, "eta": true, "theta": true, "iota": true, "kappa": true,
	"lambda": true, "mu": true, "nu": true, "xi": true, "pi": true, "rho": true,
	"sigma": true, "tau": true, "upsilon": true, "phi": true, "chi": true,
	"psi": true, "omega": true, "Gamma": true, "Delta": true, "Theta": true,
	"Lambda": true, "Xi": true, "Pi": true, "Sigma": true, "Phi": true,
	"Psi": true, "Omega": true,
}

// latexName renders a variable name: the part before the first underscore
// is the symbol, the rest a subscript; Greek letter names become letters,
// a "hat" or "bar" suffix an accent, and trailing digits a subscript
// (W0 is W_{0}).
func latexName(name string) string {
	if owner, qty, ok := cutLast(name, "."); ok && owner != "" && qty != "" {
		// A population's quantity, h.uhat_r: the quantity with its owner
		// as a superscript, \hat{u}_{r}^{h}.
		sup := owner
		if len(owner) > 1 {
			sup = `\mathrm{` + owner + "}"
		}
		return "{" + latexName(qty) + "}^{" + sup + "}"
	}
	base, sub, hasSub := strings.Cut(name, "_")
	if !hasSub {
		i := strings.LastIndexFunc(base, func(r rune) bool { return !unicode.IsDigit(r) })
		if i >= 0 && i < len(base)-1 {
			base, sub, hasSub = base[:i+1], base[i+1:], true
		}
	}
	s := latexSymbol(base)
	if hasSub && sub != "" {
		s += "_{" + latexSub(sub) + "}"
	}
	return s
}

// latexSymbol renders the symbol part of a name.
func latexSymbol(s string) string {
	for _, acc := range []string{"hat", "bar", "tilde", "dot"} {
		if rest, ok := strings.CutSuffix(s, acc); ok && rest != "" {
			return `\` + acc + "{" + latexSymbol(rest) + "}"
		}
	}
	switch {
	case greek[s]:
		return `\` + s
	case len(s) > 1:
		return `\mathrm{` + s + "}"
	}
	return s
}

// latexSub renders a subscript: single letters and digits as they are,
// Greek names as letters, other words upright.
func latexSub(s string) string {
	parts := strings.Split(s, "_")
	for i, part := range parts {
		switch {
		case greek[part]:
			parts[i] = `\` + part
		case len(part) > 1 && strings.IndexFunc(part, unicode.IsLetter) >= 0:
			parts[i] = `\mathrm{` + part + "}"
		}
	}
	return strings.Join(parts, ",")
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
