package check

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

var initNames = []string{"constant", "uniform", "normal", "glorot", "file"}

// node resolves the source or target of a connection.
func (c *checker) node(id *lang.Ident) Node {
	s, ok := c.globals[id.Name]
	if !ok {
		c.errorf(id.At, "unknown population %s%s", id.Name, didYouMean(id.Name, c.names(isNode)))
		return nil
	}
	switch e := s.entity.(type) {
	case *Population:
		return e
	case *Input:
		return e
	}
	if isNode(s) {
		return nil // declared, but broken: already reported
	}
	c.errorf(id.At, "%s is %s, not a population or input", id.Name, s.kindName())
	return nil
}

func isNode(s *symbol) bool {
	switch s.decl.(type) {
	case *lang.PopulationDecl, *lang.InputDecl:
		return true
	}
	return false
}

// checkConnect builds a connection.
func (c *checker) checkConnect(d *lang.ConnectDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) {
		return
	}
	src, dst := c.node(d.Src), c.node(d.Dst)
	if src == nil || dst == nil {
		return
	}
	pop, ok := dst.(*Population)
	if !ok {
		c.errorf(d.Dst.At, "%s is an input; a connection must end at a population", d.Dst.Name)
		return
	}
	conn := &Connection{Name: d.Name.Name, Pos: d.Name.At, Src: src, Dst: pop, Topology: Dense, Plastic: d.Plastic}
	s.entity = conn
	if !c.topology(conn, d.Topology) || !c.weightInit(conn, d.Init) {
		return
	}
	c.m.Connections = append(c.m.Connections, conn)
}

// topology checks the connectivity pattern.
func (c *checker) topology(conn *Connection, e lang.Expr) bool {
	switch t := e.(type) {
	case nil:
		return true
	case *lang.Ident:
		switch t.Name {
		case "dense":
			return true
		case "one_to_one":
			conn.Topology = OneToOne
			if conn.Src.NodeSize() != conn.Dst.NodeSize() {
				c.errorf(t.At, "one_to_one needs equal sizes, but %s has %d neurons and %s has %d", conn.Src.NodeName(), conn.Src.NodeSize(), conn.Dst.NodeName(), conn.Dst.NodeSize())
				return false
			}
			return true
		case "sparse":
			c.errorf(t.At, "sparse needs a connection probability: sparse(p = 0.1, seed = 1)")
			return false
		}
		c.errorf(t.At, "unknown topology %s%s (dense, one_to_one, sparse(p, seed))", t.Name, didYouMean(t.Name, []string{"dense", "one_to_one", "sparse"}))
		return false
	case *lang.CallExpr:
		if t.Fun.Name != "sparse" {
			c.errorf(t.Fun.At, "unknown topology %s%s (dense, one_to_one, sparse(p, seed))", t.Fun.Name, didYouMean(t.Fun.Name, []string{"dense", "one_to_one", "sparse"}))
			return false
		}
		args, ok := c.bindConst(t, []string{"p", "seed"}, map[string]float64{"seed": 0})
		if !ok {
			return false
		}
		if args["p"] <= 0 || args["p"] > 1 {
			c.errorf(t.Lparen, "connection probability p must be in (0, 1], got %g", args["p"])
			return false
		}
		conn.Topology, conn.P, conn.MaskSeed = Sparse, args["p"], uint64(args["seed"])
		return true
	}
	c.errorf(e.Pos(), "a topology is dense, one_to_one or sparse(p, seed)")
	return false
}

// bindConst binds the arguments of a call with constant parameters, by
// position or name, filling defaults; a parameter without a default is
// required. A "seed" must be a whole number.
func (c *checker) bindConst(call *lang.CallExpr, params []string, defaults map[string]float64) (map[string]float64, bool) {
	out := map[string]float64{}
	ok := true
	for i, a := range call.Args {
		name := ""
		switch {
		case a.Name != nil:
			name = a.Name.Name
			if !contains(params, name) {
				c.errorf(a.Name.At, "%s has no parameter %s%s (parameters: %s)", call.Fun.Name, name, didYouMean(name, params), strings.Join(params, ", "))
				ok = false
				continue
			}
		case i < len(params):
			name = params[i]
		default:
			c.errorf(a.At, "too many arguments to %s: it takes %d (%s)", call.Fun.Name, len(params), strings.Join(params, ", "))
			return nil, false
		}
		if _, dup := out[name]; dup {
			c.errorf(a.At, "%s is given twice", name)
			ok = false
			continue
		}
		if name == "seed" {
			n, vok := c.intValue(a.Value, "seed", 0)
			out[name], ok = float64(n), ok && vok
			continue
		}
		v, vok := c.dimValue(a.Value, call.Fun.Name+" "+name, dimensionless, "a plain number")
		out[name], ok = v, ok && vok
	}
	for _, p := range params {
		if _, set := out[p]; set {
			continue
		}
		if def, has := defaults[p]; has {
			out[p] = def
			continue
		}
		c.errorf(call.Rparen, "%s needs %s", call.Fun.Name, p)
		ok = false
	}
	return out, ok
}

// weightInit checks the initialiser of a connection's weights.
func (c *checker) weightInit(conn *Connection, e lang.Expr) bool {
	rows, cols := conn.Dst.NodeSize(), conn.Src.NodeSize()
	switch e := e.(type) {
	case *lang.ListExpr:
		return c.literalWeights(conn, e, rows, cols)
	case *lang.CallExpr:
		if !contains(initNames, e.Fun.Name) {
			c.errorf(e.Fun.At, "unknown initialiser %s%s (%s, or a literal matrix)", e.Fun.Name, didYouMean(e.Fun.Name, initNames), strings.Join(initNames, ", "))
			return false
		}
		return c.initCall(conn, e)
	}
	v, ok := c.scalar(e)
	if ok {
		conn.Init = Init{Kind: InitConstant, A: v.v}
	}
	return ok
}

func (c *checker) initCall(conn *Connection, e *lang.CallExpr) bool {
	var args map[string]float64
	var ok bool
	in := &conn.Init
	switch e.Fun.Name {
	case "file":
		in.Kind = InitFile
		if archive, name, isNPZ, ok := c.npzArg(e, conn.Name); isNPZ {
			if !ok {
				return false
			}
			in.File, in.Array = archive, name
			return c.npzShape(e, archive, name, []int{conn.Dst.NodeSize(), conn.Src.NodeSize()}, "connection "+conn.Name)
		}
		in.File, ok = c.fileArg(e, "a weight matrix", ".csv", ".npy")
		return ok
	case "constant":
		args, ok = c.bindConst(e, []string{"value"}, nil)
		in.Kind, in.A = InitConstant, args["value"]
	case "uniform":
		args, ok = c.bindConst(e, []string{"lo", "hi", "seed"}, map[string]float64{"seed": 0})
		in.Kind, in.A, in.B = InitUniform, args["lo"], args["hi"]
		if ok && args["lo"] >= args["hi"] {
			c.errorf(e.Lparen, "uniform needs lo < hi, got lo = %g, hi = %g", args["lo"], args["hi"])
			ok = false
		}
	case "normal":
		args, ok = c.bindConst(e, []string{"mean", "std", "seed"}, map[string]float64{"mean": 0, "seed": 0})
		in.Kind, in.A, in.B = InitNormal, args["mean"], args["std"]
		if ok && args["std"] < 0 {
			c.errorf(e.Lparen, "normal needs std >= 0, got %g", args["std"])
			ok = false
		}
	case "glorot":
		args, ok = c.bindConst(e, []string{"seed"}, map[string]float64{"seed": 0})
		in.Kind = InitGlorot
	}
	in.Seed = uint64(args["seed"])
	return ok
}

// literalWeights checks a literal matrix against the connection's shape:
// rows = target size, columns = source size. A one-to-one connection takes
// a vector (the diagonal).
func (c *checker) literalWeights(conn *Connection, e *lang.ListExpr, rows, cols int) bool {
	v, ok := c.eval(e)
	if !ok {
		return false
	}
	if conn.Topology == OneToOne && len(v.list) > 0 && !v.list[0].isList {
		if len(v.list) != rows {
			c.errorf(e.Lbrack, "one_to_one weights: %d values for %d neurons", len(v.list), rows)
			return false
		}
		conn.Init = Init{Kind: InitLiteral, Literal: diagonal(v.list)}
		return true
	}
	got := shapeOf(v)
	if got != [2]int{rows, cols} {
		c.errorf(e.Lbrack, "weight literal of %s is %s but %s -> %s needs %dx%d (rows = %s[%d], columns = %s[%d])",
			conn.Name, describeShape(v), conn.Src.NodeName(), conn.Dst.NodeName(), rows, cols,
			conn.Dst.NodeName(), rows, conn.Src.NodeName(), cols)
		return false
	}
	m := make([][]float64, rows)
	for i, row := range v.list {
		for _, x := range row.list {
			m[i] = append(m[i], x.v)
		}
	}
	conn.Init = Init{Kind: InitLiteral, Literal: m}
	return true
}

func diagonal(vals []cval) [][]float64 {
	m := make([][]float64, len(vals))
	for i, v := range vals {
		m[i] = make([]float64, len(vals))
		m[i][i] = v.v
	}
	return m
}

// shapeOf is the rows x columns of a list of lists, or -1s when ragged.
func shapeOf(v cval) [2]int {
	if !v.isList || len(v.list) == 0 {
		return [2]int{-1, -1}
	}
	cols := -1
	for _, row := range v.list {
		if !row.isList {
			return [2]int{-1, -1}
		}
		for _, x := range row.list {
			if x.isList {
				return [2]int{-1, -1}
			}
		}
		if cols >= 0 && len(row.list) != cols {
			return [2]int{-1, -1}
		}
		cols = len(row.list)
	}
	return [2]int{len(v.list), cols}
}

func describeShape(v cval) string {
	s := shapeOf(v)
	switch {
	case s[0] >= 0:
		return fmt.Sprintf("%dx%d", s[0], s[1])
	case v.isList && len(v.list) > 0 && !v.list[0].isList:
		return fmt.Sprintf("a vector of %d", len(v.list))
	}
	return "ragged (rows of different lengths)"
}
