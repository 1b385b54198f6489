package check

import (
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

// builtinKind classifies builtin functions.
type builtinKind int

const (
	elementwise builtinKind = iota // f(x) applied to every entry
	reduction                      // vector or matrix -> scalar
	dotProduct                     // dot(a, b) -> scalar
	generator                      // stimulus generators with named parameters
	lossMarker                     // loss(x): x, marked as the task loss
)

// genParam is a parameter of a stimulus generator.
type genParam struct {
	name     string
	d        dim     // required dimension (untyped: any)
	def      float64 // default
	required bool
}

// builtin describes a builtin function and where it may be used.
type builtin struct {
	kind   builtinKind
	ctxs   []context
	params []genParam // generators only
}

var (
	anyCtx    = []context{ctxEnergy, ctxStim, ctxActivation}
	stimOnly  = []context{ctxStim}
	energyCtx = []context{ctxEnergy}
)

func req(name string, d dim) genParam { return genParam{name: name, d: d, required: true} }
func opt(name string, d dim, def float64) genParam {
	return genParam{name: name, d: d, def: def}
}

var builtins = map[string]builtin{
	"exp": {kind: elementwise, ctxs: anyCtx}, "log": {kind: elementwise, ctxs: anyCtx},
	"tanh": {kind: elementwise, ctxs: anyCtx}, "sigmoid": {kind: elementwise, ctxs: anyCtx},
	"softplus": {kind: elementwise, ctxs: anyCtx}, "relu": {kind: elementwise, ctxs: anyCtx},
	"abs": {kind: elementwise, ctxs: anyCtx}, "square": {kind: elementwise, ctxs: anyCtx},
	"linear": {kind: elementwise, ctxs: anyCtx},
	"sin":    {kind: elementwise, ctxs: stimOnly}, "cos": {kind: elementwise, ctxs: stimOnly},
	"sqrt": {kind: elementwise, ctxs: stimOnly},
	"sum":  {kind: reduction, ctxs: energyCtx}, "sumsq": {kind: reduction, ctxs: energyCtx},
	"mean": {kind: reduction, ctxs: energyCtx}, "logsumexp": {kind: reduction, ctxs: energyCtx},
	"dot":  {kind: dotProduct, ctxs: energyCtx},
	"loss": {kind: lossMarker, ctxs: energyCtx},
	"sine": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("freq", freqDim), opt("phase", dimensionless, 0), opt("amp", dimensionless, 1), opt("offset", dimensionless, 0)}},
	"cosine": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("freq", freqDim), opt("phase", dimensionless, 0), opt("amp", dimensionless, 1), opt("offset", dimensionless, 0)}},
	"step": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("at", timeDim), opt("height", dimensionless, 1)}},
	"smooth_step": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("at", timeDim), req("width", timeDim), opt("height", dimensionless, 1)}},
	"square_wave": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("freq", freqDim), opt("duty", dimensionless, 0.5), opt("amp", dimensionless, 1), opt("offset", dimensionless, 0)}},
	"ou": {kind: generator, ctxs: stimOnly, params: []genParam{
		req("tau", timeDim), req("sigma", dimensionless), opt("mean", dimensionless, 0), opt("seed", dimensionless, 0)}},
}

// reserved are names a declaration may not take.
var reserved = func() map[string]bool {
	r := map[string]bool{"pi": true}
	for n := range builtins {
		r[n] = true
	}
	return r
}()

// Reserved tells whether a declaration may not take name: a keyword, a
// builtin function or pi.
func Reserved(name string) bool { return reserved[name] || parser.IsKeyword(name) }

// call checks a call of a user function or a builtin.
func (c *checker) call(e *lang.CallExpr, en *env) (value, bool) {
	name := e.Fun.Name
	if s, ok := c.globals[name]; ok {
		fd, isFn := s.decl.(*lang.FuncDecl)
		if !isFn {
			c.errorf(e.Fun.At, "%s is %s, not a function", name, s.kindName())
			return value{}, false
		}
		return c.expand(e, fd, en)
	}
	b, ok := builtins[name]
	if !ok {
		if name == "file" {
			c.errorf(e.Fun.At, "file(...) must be the whole stimulus or initialiser, not part of an expression")
			return value{}, false
		}
		c.errorf(e.Fun.At, "unknown function %s%s", name, didYouMean(name, c.functionNames(en)))
		return value{}, false
	}
	if !containsCtx(b.ctxs, en.ctx) {
		c.errorf(e.Fun.At, "%s cannot be used in %s", name, ctxName(en.ctx))
		return value{}, false
	}
	if b.kind == generator {
		return c.generatorCall(e, b, en)
	}
	return c.mathCall(e, b, en)
}

func containsCtx(list []context, x context) bool {
	for _, c := range list {
		if c == x {
			return true
		}
	}
	return false
}

func ctxName(x context) string {
	switch x {
	case ctxStim:
		return "a stimulus"
	case ctxActivation:
		return "an activation function"
	}
	return "an energy term"
}

// functionNames lists the functions callable in en, for suggestions.
func (c *checker) functionNames(en *env) []string {
	names := c.names(isFunc)
	for n, b := range builtins {
		if containsCtx(b.ctxs, en.ctx) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// mathCall checks elementwise functions and reductions.
func (c *checker) mathCall(e *lang.CallExpr, b builtin, en *env) (value, bool) {
	want := 1
	if b.kind == dotProduct {
		want = 2
	}
	if len(e.Args) != want {
		c.errorf(e.Lparen, "%s takes %d argument%s, got %d", e.Fun.Name, want, plural(want), len(e.Args))
		return value{}, false
	}
	args := make([]Expr, want)
	var d dim
	for i, a := range e.Args {
		if a.Name != nil {
			c.errorf(a.Name.At, "%s takes its argument by position", e.Fun.Name)
			return value{}, false
		}
		v, ok := c.expr(a.Value, en)
		if !ok {
			return value{}, false
		}
		args[i], d = v.e, v.d
		if b.kind == elementwise && e.Fun.Name != "abs" && e.Fun.Name != "square" && e.Fun.Name != "linear" && d.known && d.time != 0 {
			c.errorf(a.Value.Pos(), "%s of %s: the argument must be dimensionless", e.Fun.Name, d)
			return value{}, false
		}
	}
	out := &Call{At: e.Fun.At, Func: e.Fun.Name, Args: args}
	switch b.kind {
	case elementwise:
		out.Shp = args[0].Shape()
	case reduction:
		out.Shp = Scalar
	case lossMarker:
		if args[0].Shape() != Scalar {
			c.errorf(e.Args[0].Value.Pos(), "loss marks a scalar task loss, got %s; reduce it with sum(...) or sumsq(...)", args[0].Shape())
			return value{}, false
		}
		out.Shp = Scalar
	case dotProduct:
		if args[0].Shape() != args[1].Shape() {
			c.errorf(e.Lparen, "dot needs two arguments of one shape, got %s and %s", args[0].Shape(), args[1].Shape())
			return value{}, false
		}
		out.Shp = Scalar
	}
	return value{e: out}, true
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// generatorCall binds a stimulus generator's arguments by position or
// name, fills defaults and checks units.
func (c *checker) generatorCall(e *lang.CallExpr, b builtin, en *env) (value, bool) {
	names := make([]string, len(b.params))
	for i, p := range b.params {
		names[i] = p.name
	}
	args := make([]Expr, len(b.params))
	given := make([]bool, len(b.params))
	ok := true
	for i, a := range e.Args {
		k := i
		if a.Name != nil {
			k = indexOf(names, a.Name.Name)
			if k < 0 {
				c.errorf(a.Name.At, "%s has no parameter %s%s (parameters: %s)", e.Fun.Name, a.Name.Name, didYouMean(a.Name.Name, names), strings.Join(names, ", "))
				ok = false
				continue
			}
		} else if k >= len(names) {
			c.errorf(a.At, "too many arguments to %s: it takes %s", e.Fun.Name, strings.Join(names, ", "))
			return value{}, false
		}
		if given[k] {
			c.errorf(a.At, "%s is given twice", names[k])
			ok = false
			continue
		}
		given[k] = true
		v, vok := c.expr(a.Value, en)
		if !vok {
			ok = false
			continue
		}
		if v.e.Shape() != Scalar || !wantDim(v.d, b.params[k].d) {
			c.errorf(a.Value.Pos(), "%s of %s needs %s, got %s", names[k], e.Fun.Name, b.params[k].d, v.d)
			ok = false
			continue
		}
		args[k] = v.e
	}
	for k, p := range b.params {
		if given[k] {
			continue
		}
		if p.required {
			c.errorf(e.Rparen, "%s needs %s", e.Fun.Name, p.name)
			ok = false
			continue
		}
		args[k] = &Num{At: e.Rparen, Value: p.def}
	}
	if !ok {
		return value{}, false
	}
	return value{e: &Call{At: e.Fun.At, Func: e.Fun.Name, Args: args, Shp: Scalar}}, true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// expand checks the body of a user function with its parameters bound to
// the arguments (values or entities such as populations).
func (c *checker) expand(e *lang.CallExpr, fd *lang.FuncDecl, en *env) (value, bool) {
	for _, cs := range c.calls {
		if cs.name == fd.Name.Name {
			c.errorf(e.Fun.At, "function %s calls itself; functions are expanded inline and cannot recurse", fd.Name.Name)
			return value{}, false
		}
	}
	params := make([]string, len(fd.Params))
	for i, p := range fd.Params {
		params[i] = p.Name
	}
	if len(e.Args) != len(params) {
		c.errorf(e.Lparen, "%s takes %d argument%s (%s), got %d", fd.Name.Name, len(params), plural(len(params)), strings.Join(params, ", "), len(e.Args))
		return value{}, false
	}
	locals := map[string]value{}
	ok := true
	for i, a := range e.Args {
		name := params[i]
		if a.Name != nil {
			if indexOf(params, a.Name.Name) < 0 {
				c.errorf(a.Name.At, "%s has no parameter %s%s", fd.Name.Name, a.Name.Name, didYouMean(a.Name.Name, params))
				ok = false
				continue
			}
			name = a.Name.Name
		}
		v, vok := c.check(a.Value, en)
		ok = ok && vok
		locals[name] = v
	}
	if !ok {
		return value{}, false
	}
	c.calls = append(c.calls, callSite{name: fd.Name.Name, at: e.Fun.At})
	defer func() { c.calls = c.calls[:len(c.calls)-1] }()
	return c.check(fd.Body, &env{ctx: en.ctx, locals: locals})
}

// checkFuncNames checks that a function body uses only its parameters,
// declared names, context variables and known functions. Its types are
// checked at each call.
func (c *checker) checkFuncNames(fd *lang.FuncDecl) {
	params := map[string]bool{}
	for _, p := range fd.Params {
		if params[p.Name] {
			c.errorf(p.At, "parameter %s is declared twice", p.Name)
		}
		params[p.Name] = true
	}
	walkIdents(fd.Body, func(id *lang.Ident, isCall bool) {
		if params[id.Name] || c.globals[id.Name] != nil {
			return
		}
		if isCall {
			if _, ok := builtins[id.Name]; !ok {
				c.errorf(id.At, "unknown function %s%s", id.Name, didYouMean(id.Name, c.functionNames(&env{ctx: ctxStim})))
			}
			return
		}
		switch id.Name {
		case "pi", "t", "i", "b":
			return
		}
		c.errorf(id.At, "undefined: %s%s", id.Name, didYouMean(id.Name, append(c.names(nil), identNames(fd.Params)...)))
	})
}

// walkIdents calls f for every free identifier of e (not selector fields,
// not named-argument names); isCall marks called function names.
func walkIdents(e lang.Expr, f func(id *lang.Ident, isCall bool)) {
	lang.Inspect(e, func(n lang.Node) bool {
		switch n := n.(type) {
		case *lang.Ident:
			f(n, false)
		case *lang.SelectorExpr:
			walkIdents(n.X, f)
			return false
		case *lang.CallExpr:
			f(n.Fun, true)
			for _, a := range n.Args {
				walkIdents(a.Value, f)
			}
			return false
		}
		return true
	})
}

func identNames(ids []*lang.Ident) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Name
	}
	return out
}
