package ir

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/vlec-dev/vlec/lang"
)

// Expr is an immutable, hash-consed tensor expression: a *Var, a *Const or
// a *Node. Expressions made by one [Builder] are structurally equal exactly
// when they are the same pointer, so == compares them and they can be map
// keys. Never mix expressions from different builders.
type Expr interface {
	// Shape is the per-sample shape of the value.
	Shape() Shape
	// Batched reports whether the value has the implicit minibatch
	// dimension, i.e. whether some batched Var occurs in it.
	Batched() bool
	// Pos is the source position the expression was first built for.
	Pos() lang.Pos
	// String prints the expression in readable ASCII; see print.go.
	String() string
	id() int
}

var (
	_ Expr = (*Var)(nil)
	_ Expr = (*Const)(nil)
	_ Expr = (*Node)(nil)
)

// Role says what a variable stands for in a model.
type Role int

// The roles of a variable.
const (
	RoleState  Role = iota // a neuron state (membrane potential, error, ...)
	RoleParam              // a learned or fixed parameter shared by the batch
	RoleInput              // an external input
	RoleConst              // a named constant
	RoleTarget             // a teacher signal
)

var roleNames = [...]string{"state", "param", "input", "const", "target"}

// String is the role's lower-case name.
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return "role?"
	}
	return roleNames[r]
}

// VarSpec describes a variable to declare with [Builder.Var].
type VarSpec struct {
	Name    string
	Shape   Shape
	Role    Role
	Batched bool     // true for states and inputs, false for shared parameters
	Ref     any      // opaque caller data, e.g. the declaring AST node
	Pos     lang.Pos // where the variable is declared
}

// Var is a named leaf: a state, parameter, input, constant or target.
// Within a builder a name denotes one Var.
type Var struct {
	spec VarSpec
	n    int
}

// Name is the variable's name, e.g. "uhat_m".
func (v *Var) Name() string { return v.spec.Name }

// Role is what the variable stands for.
func (v *Var) Role() Role { return v.spec.Role }

// Ref is the opaque value given in the VarSpec.
func (v *Var) Ref() any { return v.spec.Ref }

// Shape implements Expr.
func (v *Var) Shape() Shape { return v.spec.Shape }

// Batched implements Expr.
func (v *Var) Batched() bool { return v.spec.Batched }

// Pos implements Expr.
func (v *Var) Pos() lang.Pos { return v.spec.Pos }

func (v *Var) id() int { return v.n }

// Const is a numeric constant: a tensor of the given shape whose entries
// all equal Value. Scalar constants are the common case; a non-scalar Const
// is a zero or a broadcast filler.
type Const struct {
	val   float64
	shape Shape
	n     int
	pos   lang.Pos
}

// Value is the constant's entry value.
func (c *Const) Value() float64 { return c.val }

// Shape implements Expr.
func (c *Const) Shape() Shape { return c.shape }

// Batched implements Expr; constants are never batched.
func (c *Const) Batched() bool { return false }

// Pos implements Expr.
func (c *Const) Pos() lang.Pos { return c.pos }

func (c *Const) id() int { return c.n }

// Op is the operator of a Node.
type Op int

// The operators. Subtraction, negation and division are not operators of
// their own: x - y is x + (-1)*y and x / y is x * y^-1.
const (
	OpInvalid   Op = iota // the result of a construction error
	OpAdd                 // elementwise n-ary sum, scalars broadcast
	OpMul                 // elementwise n-ary product, scalars broadcast
	OpPow                 // x^p for a constant exponent p
	OpFunc                // elementwise function f(x)
	OpDeriv               // derivative f'(x) of an elementwise function
	OpMatVec              // W @ x: [m][n] times [n] gives [m]
	OpMatTVec             // W^T @ x: [m][n] transposed times [m] gives [n]
	OpOuter               // outer(a, b) = a b^T: [m], [n] give [m][n]
	OpSum                 // sum of all entries, gives a scalar
	OpDot                 // sum of the entrywise product, gives a scalar
	OpSumSq               // squared norm, sum of squared entries
	OpLogSumExp           // log(sum(exp(x))) of a vector, gives a scalar
	OpSoftmax             // exp(x) / sum(exp(x)) of a vector
)

var opNames = [...]string{"invalid", "add", "mul", "pow", "func", "deriv", "matvec",
	"mattvec", "outer", "sum", "dot", "sumsq", "logsumexp", "softmax"}

// String is the operator's lower-case name, e.g. "matvec".
func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return "op?"
	}
	return opNames[o]
}

// Node is an operator applied to arguments. Its fields are read through
// methods; nodes are built only by a [Builder].
type Node struct {
	op      Op
	fn      Func    // for OpFunc and OpDeriv
	exp     float64 // for OpPow
	args    []Expr
	sub     Expr // for a Mul c*f1*f2*...: the product f1*f2*... (see restOf)
	shape   Shape
	batched bool
	n       int
	pos     lang.Pos
}

// Op is the node's operator.
func (n *Node) Op() Op { return n.op }

// Func is the elementwise function of an OpFunc or OpDeriv node.
func (n *Node) Func() Func { return n.fn }

// Exponent is the constant exponent of an OpPow node.
func (n *Node) Exponent() float64 { return n.exp }

// Args returns a copy of the operands.
func (n *Node) Args() []Expr { return slices.Clone(n.args) }

// Shape implements Expr.
func (n *Node) Shape() Shape { return n.shape }

// Batched implements Expr.
func (n *Node) Batched() bool { return n.batched }

// Pos implements Expr.
func (n *Node) Pos() lang.Pos { return n.pos }

func (n *Node) id() int { return n.n }

// Builder makes hash-consed, simplified expressions and records the
// construction errors (shape mismatches) with their positions. A Builder is
// not safe for concurrent use. Construction never panics: an ill-shaped
// operation records an error and returns an invalid node, which every
// further operation passes through silently.
type Builder struct {
	*table
	pos lang.Pos
}

// table is the state shared by a Builder and its At views.
type table struct {
	nodes  map[string]*Node
	consts map[constKey]*Const
	vars   map[string]*Var
	next   int
	errs   lang.ErrorList
}

type constKey struct {
	bits  uint64
	shape Shape
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{table: &table{
		nodes:  map[string]*Node{},
		consts: map[constKey]*Const{},
		vars:   map[string]*Var{},
	}}
}

// At returns a view of b that gives new nodes the position pos. The view
// shares b's tables and errors.
func (b *Builder) At(pos lang.Pos) *Builder { return &Builder{table: b.table, pos: pos} }

// Err returns the construction errors so far, sorted, or nil.
func (b *Builder) Err() error { return b.errs.Err() }

// fail records an error at the builder's position and returns an invalid
// node.
func (b *Builder) fail(format string, args ...any) Expr {
	b.errs.Add(b.pos, format, args...)
	return b.invalid()
}

func (b *Builder) invalid() Expr {
	return b.intern(OpInvalid, 0, 0, Scalar(), nil)
}

// bad reports whether any of es is an invalid node.
func bad(es ...Expr) bool {
	for _, e := range es {
		if n, ok := e.(*Node); ok && n.op == OpInvalid {
			return true
		}
	}
	return false
}

// Var declares a variable, or returns the one already declared under the
// same name if its shape, role and batching agree.
func (b *Builder) Var(spec VarSpec) (*Var, error) {
	if !spec.Shape.valid() {
		return nil, lang.Errorf(spec.Pos, "variable %s: invalid shape %v", spec.Name, spec.Shape)
	}
	if spec.Name == "" {
		return nil, lang.Errorf(spec.Pos, "variable without a name")
	}
	if v, ok := b.vars[spec.Name]; ok {
		if v.spec.Shape != spec.Shape || v.spec.Role != spec.Role || v.spec.Batched != spec.Batched {
			return nil, lang.Errorf(spec.Pos, "variable %s redeclared as %v %v (first %v %v at %v)",
				spec.Name, spec.Role, spec.Shape, v.spec.Role, v.spec.Shape, v.spec.Pos)
		}
		return v, nil
	}
	b.next++
	v := &Var{spec: spec, n: b.next}
	b.vars[spec.Name] = v
	return v, nil
}

// Lookup returns the variable declared under name, or nil.
func (b *Builder) Lookup(name string) *Var { return b.vars[name] }

// Const returns the scalar constant v.
func (b *Builder) Const(v float64) Expr { return b.Fill(v, Scalar()) }

// Zero returns the zero tensor of shape s.
func (b *Builder) Zero(s Shape) Expr { return b.Fill(0, s) }

// Fill returns the tensor of shape s whose entries are all v.
func (b *Builder) Fill(v float64, s Shape) Expr {
	if !s.valid() {
		return b.fail("invalid shape %v", s)
	}
	if v == 0 {
		v = 0 // fold -0 into 0
	}
	k := constKey{math.Float64bits(v), s}
	if c, ok := b.consts[k]; ok {
		return c
	}
	b.next++
	c := &Const{val: v, shape: s, n: b.next, pos: b.pos}
	b.consts[k] = c
	return c
}

// intern returns the unique node with the given fields, making it if new.
// The arguments must already be in canonical order.
func (b *Builder) intern(op Op, fn Func, exp float64, s Shape, args []Expr) *Node {
	key := nodeKey(op, fn, exp, args)
	if n, ok := b.nodes[key]; ok {
		return n
	}
	b.next++
	n := &Node{op: op, fn: fn, exp: exp, args: args, shape: s, n: b.next, pos: b.pos}
	for _, a := range args {
		n.batched = n.batched || a.Batched()
	}
	b.nodes[key] = n
	return n
}

// nodeKey encodes a node's structure; argument identities stand for the
// (already interned) subexpressions.
func nodeKey(op Op, fn Func, exp float64, args []Expr) string {
	buf := make([]byte, 0, 24+8*len(args))
	buf = binary.AppendUvarint(buf, uint64(op))
	buf = binary.AppendUvarint(buf, uint64(fn))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(exp))
	for _, a := range args {
		buf = binary.AppendUvarint(buf, uint64(a.id()))
	}
	return string(buf)
}

// String implements Expr.
func (v *Var) String() string { return v.spec.Name }

// String implements Expr.
func (c *Const) String() string { return formatNum(c.val) }

// String implements Expr.
func (n *Node) String() string { return sprint(n) }

// GoString prints a node with its shape, for debugging.
func (n *Node) GoString() string { return fmt.Sprintf("%s :: %v", sprint(n), n.shape) }
