package check

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/lang"
)

// neuronParams are the parameters a neuron kind and a population may set.
var neuronParams = []string{"tau_m", "tau_r", "phi", "gamma", "b"}

// builtinActivations are the rate functions known without a definition.
var builtinActivations = []string{"linear", "tanh", "sigmoid", "softplus", "relu", "exp"}

func itoa(i int) string { return strconv.Itoa(i) }

// checkParam builds a model-level scalar parameter.
func (c *checker) checkParam(d *lang.ParamDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) || s.entity != nil {
		return
	}
	v, ok := c.scalar(d.Value)
	p := &Param{Name: d.Name.Name, Pos: d.Name.At, Value: v.v, Learnable: d.Learnable}
	s.entity = p
	if ok {
		c.m.Params = append(c.m.Params, p)
	}
}

// MaxSize is the largest size of a population, an input or a file
// teacher: 2^20 = 1,048,576 neurons. The interpreter stores every
// connection as a dense matrix (a population this size connected to 1,000
// neurons already holds 8 GiB of weights) and the checker expands
// per-neuron parameters, so a limit keeps `vlec check` fast and small
// whatever the size written; the memory a model needs is estimated, and
// refused beyond what the machine has, when it runs (runtime.EstimateMemory).
const MaxSize = 1 << 20

// size evaluates a population or input size.
func (c *checker) size(e lang.Expr, what string) (int, bool) {
	if e == nil {
		c.errorf(lang.Pos{}, "%s has no size", what)
		return 0, false
	}
	return c.intIn(e, "the size of "+what, 1, MaxSize, " (2^20 neurons; see the SPEC, population)")
}

// checkInput builds an input population and its stimulus.
func (c *checker) checkInput(d *lang.InputDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) {
		return
	}
	n, ok := c.size(d.Size, d.Name.Name)
	in := &Input{Name: d.Name.Name, Pos: d.Name.At, Size: n}
	s.entity = in
	if !ok {
		return
	}
	c.m.Inputs = append(c.m.Inputs, in)
	if ds, field, ok := c.dataField(d.Value); ok {
		if ds == nil {
			return
		}
		if field != "x" {
			c.errorf(d.Value.Pos(), "an input presents a data set's inputs, %s.x; its targets %s.y go to a teacher: teacher T = %s.y", ds.Name, ds.Name, ds.Name)
			return
		}
		in.Data = ds
		if ds.XSize > 0 && ds.XSize != n {
			c.errorf(d.Size.Pos(), "input %s has %d neurons, but dataset %s presents %d value%s per step (%s holds %s)", in.Name, n, ds.Name, ds.XSize, plural(ds.XSize), ds.Train.X.Describe(), npy.ShapeText(ds.Train.X.Shape))
		}
		return
	}
	if call, ok := d.Value.(*lang.CallExpr); ok && call.Fun.Name == "file" {
		in.File, _ = c.fileArg(call, "a stimulus", ".csv", ".npy")
		return
	}
	en := &env{ctx: ctxStim}
	v, ok := c.check(d.Value, en)
	if !ok {
		return
	}
	if v.e == nil || v.e.Shape() != Scalar {
		c.errorf(d.Value.Pos(), "a stimulus is a formula for one neuron, in t, i (neuron index) and b (batch index); got %s", v.describe())
		return
	}
	if v.d.known && v.d.time != 0 {
		c.errorf(d.Value.Pos(), "a stimulus must be dimensionless, got %s", v.d)
	}
	in.Stimulus = v.e
}

// npzArg reads file("x.npz") or file("x.npz", "NAME"): the archive, the
// array's name (def unless given) and whether the call names an .npz at
// all (false: another kind of file, for fileArg).
func (c *checker) npzArg(call *lang.CallExpr, def string) (archive, name string, isNPZ, ok bool) {
	if len(call.Args) == 0 || call.Args[0].Name != nil {
		return "", "", false, false
	}
	lit, isLit := call.Args[0].Value.(*lang.StringLit)
	if !isLit || !strings.HasSuffix(strings.ToLower(lit.Value), ".npz") {
		return "", "", false, false
	}
	name = def
	switch len(call.Args) {
	case 1:
	case 2:
		n, isStr := call.Args[1].Value.(*lang.StringLit)
		if !isStr || call.Args[1].Name != nil {
			c.errorf(call.Args[1].Value.Pos(), "the second argument of file names the array in the archive, in double quotes")
			return "", "", true, false
		}
		name = n.Value
	default:
		c.errorf(call.Lparen, "file takes an .npz archive and the name of an array in it (by default %s)", def)
		return "", "", true, false
	}
	archive = c.u.resolvePath(lit.Value)
	return archive, name, true, c.fileExists(archive, lit.At)
}

// npzShape checks that an .npz archive holds the array with the shape
// want (a 0-d or 1-entry array fits a single value).
func (c *checker) npzShape(call *lang.CallExpr, archive, name string, want []int, what string) bool {
	z, err := npy.OpenArchive(archive)
	if err != nil {
		c.errorf(call.Args[0].Value.Pos(), "%v", err)
		return false
	}
	defer z.Close()
	if !z.Has(name) {
		c.errorf(call.Args[0].Value.Pos(), "%s holds no array %s for %s%s (it holds %s)", filepath.Base(archive), name, what, didYouMean(name, z.Names()), strings.Join(z.Names(), ", "))
		return false
	}
	h, err := z.Header(name)
	if err != nil {
		c.errorf(call.Args[0].Value.Pos(), "%v", err)
		return false
	}
	if !slices.Equal(h.Shape, want) {
		c.errorf(call.Args[0].Value.Pos(), "%s array %s has shape %s, but %s needs %s", filepath.Base(archive), name, npy.ShapeText(h.Shape), what, npy.ShapeText(want))
		return false
	}
	return true
}

// npzValues reads an array of an archive, which must hold finite values.
func npzValues(archive, name string) ([]float64, error) {
	z, err := npy.OpenArchive(archive)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	v, _, err := z.Read(name)
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s array %s, entry [%d]: %v is not a finite number", filepath.Base(archive), name, i, x)
		}
	}
	return v, nil
}

// fileArg checks a call file("path") and returns the resolved path.
func (c *checker) fileArg(call *lang.CallExpr, what string, exts ...string) (string, bool) {
	if len(call.Args) != 1 || call.Args[0].Name != nil {
		c.errorf(call.Lparen, "file takes one argument, the path of %s", what)
		return "", false
	}
	lit, ok := call.Args[0].Value.(*lang.StringLit)
	if !ok {
		c.errorf(call.Args[0].Value.Pos(), "file needs a path in double quotes")
		return "", false
	}
	okExt := false
	for _, ext := range exts {
		okExt = okExt || strings.HasSuffix(strings.ToLower(lit.Value), ext)
	}
	if !okExt {
		c.errorf(lit.At, "%s must be a %s file, got %q", what, strings.Join(exts, " or "), lit.Value)
		return "", false
	}
	path := c.u.resolvePath(lit.Value)
	return path, c.fileExists(path, lit.At)
}

// kindDefaults returns the parameter defaults of a neuron kind, with the
// defaults of the kinds it extends underneath.
func (c *checker) kindDefaults(name string, at lang.Pos, depth int) (map[string]*lang.Arg, bool) {
	s, ok := c.globals[name]
	if !ok {
		c.errorf(at, "unknown neuron kind %s%s", name, didYouMean(name, c.names(isKind)))
		return nil, false
	}
	d, ok := s.decl.(*lang.NeuronDecl)
	if !ok {
		c.errorf(at, "%s is %s, not a neuron kind", name, s.kindName())
		return nil, false
	}
	if depth > 32 {
		c.errorf(at, "neuron kind %s extends itself", name)
		return nil, false
	}
	out := map[string]*lang.Arg{}
	if d.Base != nil {
		base, ok := c.kindDefaults(d.Base.Name, d.Base.At, depth+1)
		if !ok {
			return nil, false
		}
		for k, v := range base {
			out[k] = v
		}
	}
	return out, c.overrideArgs(out, d.Params, "neuron kind "+name)
}

func isKind(s *symbol) bool { _, ok := s.decl.(*lang.NeuronDecl); return ok }

// overrideArgs puts named neuron parameters into params.
func (c *checker) overrideArgs(params map[string]*lang.Arg, args []*lang.Arg, what string) bool {
	ok := true
	seen := map[string]bool{}
	for _, a := range args {
		if a.Name == nil {
			c.errorf(a.At, "parameters of %s are named: write tau_m = 10ms", what)
			ok = false
			continue
		}
		name := a.Name.Name
		if !contains(neuronParams, name) {
			c.errorf(a.Name.At, "unknown neuron parameter %s%s (parameters: %s)", name, didYouMean(name, neuronParams), strings.Join(neuronParams, ", "))
			ok = false
			continue
		}
		if seen[name] {
			c.errorf(a.Name.At, "%s is set twice", name)
			ok = false
		}
		seen[name] = true
		params[name] = a
	}
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkPopulation builds a population from its kind and overrides.
func (c *checker) checkPopulation(d *lang.PopulationDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) {
		return
	}
	n, ok := c.size(d.Size, d.Name.Name)
	p := &Population{Name: d.Name.Name, Pos: d.Name.At, Size: n, Kind: d.Kind.Name}
	s.entity = p
	params, kindOK := c.kindDefaults(d.Kind.Name, d.Kind.At, 0)
	if !ok || !kindOK || !c.overrideArgs(params, d.Args, "population "+p.Name) {
		return
	}
	for _, name := range neuronParams {
		if _, set := params[name]; !set && name != "b" {
			c.errorf(d.Name.At, "population %s does not set %s and its kind %s has no default", p.Name, name, p.Kind)
			ok = false
		}
	}
	if !ok {
		return
	}
	p.TauM, _ = c.neuronParam(p, d, params["tau_m"], timeDim)
	p.TauR, _ = c.neuronParam(p, d, params["tau_r"], timeDim)
	if b, set := params["b"]; set {
		p.Bias, _ = c.neuronParam(p, d, b, dimensionless)
	} else {
		p.Bias = NeuronParam{Values: make([]float64, n), Pos: p.Pos}
	}
	if p.TauR.Learnable {
		c.errorf(p.TauR.Pos, "tau_r cannot be learned; learnable parameters of a population are tau_m and b")
	}
	p.Gamma, _ = c.neuronParam(p, d, params["gamma"], dimensionless)
	if p.Gamma.Learnable {
		c.errorf(p.Gamma.Pos, "gamma cannot be learned; learnable parameters of a population are tau_m and b")
		p.Gamma.Learnable = false
	}
	p.Phi = c.activation(params["phi"], n)
	c.m.Populations = append(c.m.Populations, p)
}

// neuronParam evaluates a per-population or per-neuron parameter. A value
// that comes from the kind's defaults is reported at the population, where
// the user can override it.
func (c *checker) neuronParam(p *Population, d *lang.PopulationDecl, a *lang.Arg, want dim) (NeuronParam, bool) {
	np := NeuronParam{Learnable: a.Learnable, Pos: d.Kind.At}
	for _, own := range d.Args {
		if own == a {
			np.Pos = a.Value.Pos()
		}
	}
	what := a.Name.Name + " of population " + p.Name
	example := "a time (e.g. 10ms or 0.5s)"
	if want == dimensionless {
		example = "a dimensionless number"
	}
	if call, isCall := a.Value.(*lang.CallExpr); isCall && call.Fun.Name == "file" {
		archive, name, isNPZ, ok := c.npzArg(call, p.Name+"."+a.Name.Name)
		if !isNPZ {
			c.errorf(call.Fun.At, "%s from a file takes an .npz archive (a checkpoint), file(\"run.checkpoint.npz\"), reading the array %s.%s", what, p.Name, a.Name.Name)
			return np, false
		}
		if !ok || !c.npzShape(call, archive, name, []int{p.Size}, what) {
			return np, false
		}
		vals, err := npzValues(archive, name)
		if err != nil {
			c.errorf(call.Lparen, "%v", err)
			return np, false
		}
		np.Values, np.PerNeuron = vals, true
		return np, true
	}
	v, ok := c.eval(a.Value)
	if !ok {
		return np, false
	}
	if !v.isList {
		if !wantDim(v.d, want) {
			c.errorf(a.Value.Pos(), "%s needs %s, got %s", what, example, v.d)
			return np, false
		}
		np.Values = make([]float64, p.Size)
		for i := range np.Values {
			np.Values[i] = v.v
		}
		return np, true
	}
	if len(v.list) != p.Size {
		c.errorf(a.Value.Pos(), "%s has %d values but population %s has %d neurons", what, len(v.list), p.Name, p.Size)
		return np, false
	}
	np.PerNeuron = true
	for _, el := range v.list {
		if el.isList || !wantDim(el.d, want) {
			c.errorf(el.pos, "each entry of %s needs %s", what, example)
			return np, false
		}
		np.Values = append(np.Values, el.v)
	}
	return np, true
}

// activation resolves a population's phi.
func (c *checker) activation(a *lang.Arg, n int) Activation {
	id, ok := a.Value.(*lang.Ident)
	if _, isList := a.Value.(*lang.ListExpr); isList {
		c.errorf(a.Value.Pos(), "phi is one activation for the whole population, not a list (split the population to give neurons different activations)")
		return Activation{}
	}
	if !ok {
		c.errorf(a.Value.Pos(), "phi names a function of one argument, such as tanh or softplus")
		return Activation{}
	}
	act := Activation{Name: id.Name, Pos: id.At}
	if a.Learnable {
		c.errorf(a.At, "phi cannot be learned")
	}
	if contains(builtinActivations, id.Name) {
		return act
	}
	s, ok := c.globals[id.Name]
	fd, isFn := (*lang.FuncDecl)(nil), false
	if ok {
		fd, isFn = s.decl.(*lang.FuncDecl)
	}
	if !isFn {
		c.errorf(id.At, "unknown activation %s%s (builtins: %s; or a one-argument fn)", id.Name, didYouMean(id.Name, append(c.names(isFunc), builtinActivations...)), strings.Join(builtinActivations, ", "))
		return act
	}
	if len(fd.Params) != 1 {
		c.errorf(id.At, "activation %s must take one argument, but it takes %d", id.Name, len(fd.Params))
		return act
	}
	arg := &Ref{At: id.At, Kind: RefArg, Var: fd.Params[0].Name, Shp: Vector(n)}
	en := &env{ctx: ctxActivation, locals: map[string]value{fd.Params[0].Name: {e: arg}}}
	c.calls = append(c.calls, callSite{name: id.Name, at: id.At})
	v, ok := c.check(fd.Body, en)
	c.calls = c.calls[:len(c.calls)-1]
	if ok && (v.e == nil || v.e.Shape() != Vector(n)) {
		c.errorf(id.At, "activation %s must act elementwise, but its body gives %s", id.Name, v.describe())
		return act
	}
	act.Body = v.e
	return act
}

func isFunc(s *symbol) bool { _, ok := s.decl.(*lang.FuncDecl); return ok }
