package lang

// This file declares the abstract syntax tree of a .vle file. The tree is
// plain Go: it does not depend on the parser library, so the checker, the
// formatter and the IR can use it without knowing how it was built.
//
// Node kinds are sealed interfaces: only this package can add a Decl or an
// Expr, through the unexported marker methods. Every node carries the
// position of its first token; operators and brackets record their own
// positions so errors can point at them.

// Node is any node of the tree.
type Node interface {
	// Pos is the position of the node's first token.
	Pos() Pos
}

// Decl is a top-level declaration of a file.
type Decl interface {
	Node
	decl()
}

// Expr is an expression.
type Expr interface {
	Node
	expr()
}

// File is one parsed .vle file.
type File struct {
	Name     string       // the file name the source was read from
	Model    *ModelHeader // the `model NAME` header; nil for a library file
	Decls    []Decl       // declarations in source order
	Comments []*Comment   // every comment in source order, kept for fmt
}

// Pos returns the position of the first token of the file.
func (f *File) Pos() Pos {
	if f.Model != nil {
		return f.Model.At
	}
	if len(f.Decls) > 0 {
		return f.Decls[0].Pos()
	}
	return Pos{File: f.Name, Line: 1, Col: 1}
}

// ModelHeader is `model NAME`.
type ModelHeader struct {
	At   Pos
	Name *Ident
}

// Pos implements Node.
func (m *ModelHeader) Pos() Pos { return m.At }

// Comment is a line comment (`// ...`) or a block comment (`/* ... */`).
// Text holds the comment as written, delimiters included.
type Comment struct {
	At   Pos
	Text string
}

// Pos implements Node.
func (c *Comment) Pos() Pos { return c.At }

// ---- Declarations ----

// ImportDecl is `import "std/gle"` or `import "lib/cells.vle"`.
type ImportDecl struct {
	At   Pos
	Path *StringLit
}

// ConstDecl is `const NAME = EXPR`: a compile-time constant, possibly with a
// unit (`const tau = 10ms`).
type ConstDecl struct {
	At    Pos
	Name  *Ident
	Value Expr
}

// ParamDecl is `param NAME = EXPR [learnable]`: a run-time scalar parameter
// that the energy may use and that learning may change.
type ParamDecl struct {
	At        Pos
	Name      *Ident
	Value     Expr
	Learnable bool
}

// FuncDecl is `fn NAME(a, b) = EXPR`: a reusable expression, expanded at
// each call.
type FuncDecl struct {
	At     Pos
	Name   *Ident
	Params []*Ident
	Body   Expr
}

// NeuronDecl declares a neuron kind, a template of population parameters
// with defaults: `neuron gle(tau_m = 10ms, tau_r = 10ms, phi = linear)`, or a
// kind derived from another: `neuron fast = gle(tau_m = 1ms)`.
type NeuronDecl struct {
	At     Pos
	Name   *Ident
	Base   *Ident // the kind this one extends; nil for a root kind
	Params []*Arg // defaults; every Arg is named
}

// SimDecl is the `sim { ... }` block: dt, duration, batch, seed, method,
// learn_after, precision.
type SimDecl struct {
	At       Pos
	Settings []*Setting
}

// LearnDecl is the `learn { ... }` block: learning rates (`lr`, `lr.W0`,
// `lr.tau_m`), optimizer, floors.
type LearnDecl struct {
	At       Pos
	Settings []*Setting
}

// DatasetDecl is `dataset NAME { ... }`: where a data set's arrays come
// from (files, array names, splits), the classes of its labels and how a
// sample is presented.
type DatasetDecl struct {
	At       Pos
	Name     *Ident
	Settings []*Setting
}

// TaskDecl is the `task { ... }` block: the training protocol over a data
// set (epochs, evaluation, prediction, schedules, stopping, checkpoints).
type TaskDecl struct {
	At       Pos
	Settings []*Setting
}

// Setting is `key = value` inside a block; Key is a dotted path (`lr.W0`).
type Setting struct {
	At    Pos
	Key   []*Ident
	Value Expr
}

// InputDecl is `input NAME[SIZE] = STIMULUS`.
type InputDecl struct {
	At    Pos
	Name  *Ident
	Size  Expr
	Value Expr
}

// PopulationDecl is `population NAME[SIZE] : KIND(args)`.
type PopulationDecl struct {
	At   Pos
	Name *Ident
	Size Expr
	Kind *Ident
	Args []*Arg // named parameter overrides
}

// ConnectDecl is `connect SRC -> DST NAME [: TOPOLOGY] = INIT [plastic]`.
// Topology is nil (dense), an Ident (`one_to_one`, `dense`) or a call
// (`sparse(p = 0.1, seed = 3)`).
type ConnectDecl struct {
	At       Pos
	Src      *Ident
	Arrow    Pos
	Dst      *Ident
	Name     *Ident
	Topology Expr
	Init     Expr
	Plastic  bool
}

// TeacherDecl is `teacher NAME = SOURCE` with SOURCE a call such as
// `model("teacher.vle", x = x)` or `file("targets.csv")`, or an array of a
// data set (`digits.y`, Data, with Source nil); Size is set for
// `teacher NAME[SIZE] = file(...)`.
type TeacherDecl struct {
	At     Pos
	Name   *Ident
	Size   Expr // optional
	Source *CallExpr
	Data   *SelectorExpr
}

// EnergyDecl is the `energy { ... }` block; the energy is the sum of Terms.
type EnergyDecl struct {
	At    Pos
	Terms []Expr
}

// RecordDecl is `record ITEMS [every N [steps]] [to "FILE"]`.
type RecordDecl struct {
	At    Pos
	Items []Expr     // Ident or SelectorExpr paths: y.r, W0, h.tau_m; a reduction mean(y.r) is a CallExpr
	Every Expr       // nil: every step; a count, or a time such as 100ms
	Unit  *Ident     // the word after the count (`step`, `steps`), if any
	To    *StringLit // output file; nil: the default
}

// ---- Expressions ----

// Ident is a name.
type Ident struct {
	At   Pos
	Name string
}

// NumberLit is a number with an optional unit: `0.5`, `10ms`, `200Hz`.
type NumberLit struct {
	At    Pos
	Text  string  // as written, unit included
	Value float64 // the number without the unit scaling (10 for 10ms)
	Unit  string  // "", "ns", "us", "ms", "s", "min", "Hz", "kHz"
}

// StringLit is a double-quoted string; Value is unquoted.
type StringLit struct {
	At    Pos
	Value string
}

// ListExpr is `[a, b, c]`; matrices are lists of lists.
type ListExpr struct {
	Lbrack Pos
	Elems  []Expr
	Rbrack Pos
}

// ParenExpr is `(X)`, kept so fmt can reproduce the source.
type ParenExpr struct {
	Lparen Pos
	X      Expr
	Rparen Pos
}

// SelectorExpr is `X.Sel`: `h.u`, `T.y.r`.
type SelectorExpr struct {
	X   Expr
	Sel *Ident
}

// CallExpr is `Fun(args)`; arguments may be positional or named.
type CallExpr struct {
	Fun    *Ident
	Lparen Pos
	Args   []*Arg
	Rparen Pos
}

// Arg is an argument of a call or a parameter of a kind or population:
// `x`, `freq = 0.3Hz`, `tau_m = 0.5 learnable`. Name is nil for a positional
// argument.
type Arg struct {
	At        Pos
	Name      *Ident
	Value     Expr
	Learnable bool // `learnable` or `plastic` after the value
}

// UnaryExpr is `-X` or `+X`.
type UnaryExpr struct {
	OpPos Pos
	Op    string
	X     Expr
}

// BinaryExpr is `X op Y` with op one of + - * / ^ @ (matrix-vector product).
type BinaryExpr struct {
	X     Expr
	OpPos Pos
	Op    string
	Y     Expr
}

// Pos implementations.

func (d *ImportDecl) Pos() Pos     { return d.At }
func (d *ConstDecl) Pos() Pos      { return d.At }
func (d *ParamDecl) Pos() Pos      { return d.At }
func (d *FuncDecl) Pos() Pos       { return d.At }
func (d *NeuronDecl) Pos() Pos     { return d.At }
func (d *SimDecl) Pos() Pos        { return d.At }
func (d *DatasetDecl) Pos() Pos    { return d.At }
func (d *TaskDecl) Pos() Pos       { return d.At }
func (d *LearnDecl) Pos() Pos      { return d.At }
func (d *InputDecl) Pos() Pos      { return d.At }
func (d *PopulationDecl) Pos() Pos { return d.At }
func (d *ConnectDecl) Pos() Pos    { return d.At }
func (d *TeacherDecl) Pos() Pos    { return d.At }
func (d *EnergyDecl) Pos() Pos     { return d.At }
func (d *RecordDecl) Pos() Pos     { return d.At }
func (s *Setting) Pos() Pos        { return s.At }
func (a *Arg) Pos() Pos            { return a.At }

func (e *Ident) Pos() Pos        { return e.At }
func (e *NumberLit) Pos() Pos    { return e.At }
func (e *StringLit) Pos() Pos    { return e.At }
func (e *ListExpr) Pos() Pos     { return e.Lbrack }
func (e *ParenExpr) Pos() Pos    { return e.Lparen }
func (e *SelectorExpr) Pos() Pos { return e.X.Pos() }
func (e *CallExpr) Pos() Pos     { return e.Fun.At }
func (e *UnaryExpr) Pos() Pos    { return e.OpPos }
func (e *BinaryExpr) Pos() Pos   { return e.X.Pos() }

// Sealing markers.

func (*ImportDecl) decl()     {}
func (*ConstDecl) decl()      {}
func (*ParamDecl) decl()      {}
func (*FuncDecl) decl()       {}
func (*NeuronDecl) decl()     {}
func (*SimDecl) decl()        {}
func (*LearnDecl) decl()      {}
func (*DatasetDecl) decl()    {}
func (*TaskDecl) decl()       {}
func (*InputDecl) decl()      {}
func (*PopulationDecl) decl() {}
func (*ConnectDecl) decl()    {}
func (*TeacherDecl) decl()    {}
func (*EnergyDecl) decl()     {}
func (*RecordDecl) decl()     {}

func (*Ident) expr()        {}
func (*NumberLit) expr()    {}
func (*StringLit) expr()    {}
func (*ListExpr) expr()     {}
func (*ParenExpr) expr()    {}
func (*SelectorExpr) expr() {}
func (*CallExpr) expr()     {}
func (*UnaryExpr) expr()    {}
func (*BinaryExpr) expr()   {}
