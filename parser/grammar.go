package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar. Each struct is one production;
// participle prints the type name, upper-cased, as the production name in
// the EBNF (see Grammar and lang/grammar.ebnf). The structs are a concrete
// syntax tree: lower.go turns them into the plain lang AST.
//
// The grammar is LL(1) and participle runs with a lookahead of 0: once a
// branch has consumed a token it is committed, so an error is reported at
// the token that went wrong rather than where an outer alternative began.
// The two places that must see a second token, trailing commas in argument
// lists and list literals, look ahead with a (?= ...) group. Where the
// language reads `[ Ident "=" ] Expr` (named arguments) the grammar parses
// `Expr [ "=" Expr ]` and the lowering requires a plain name on the left.

// grammar is built once, so a mistake in a tag fails every test at startup.
var grammar = participle.MustBuild[file](
	participle.Lexer(lexDef),
	participle.Elide("Whitespace", "Comment"),
	participle.UseLookahead(0),
)

// Grammar returns the grammar as participle prints it, in EBNF.
func Grammar() string { return grammar.String() }

type file struct {
	Pos   lexer.Position
	Model *model  `parser:"@@?"`
	Decls []*decl `parser:"@@*"`
}

type model struct {
	Pos  lexer.Position
	Name *ident `parser:"'model':Keyword @@"`
}

type decl struct {
	Import     *importDecl `parser:"@@"`
	Const      *constDecl  `parser:"| @@"`
	Param      *param      `parser:"| @@"`
	Fn         *fn         `parser:"| @@"`
	Neuron     *neuron     `parser:"| @@"`
	Sim        *sim        `parser:"| @@"`
	Input      *input      `parser:"| @@"`
	Population *population `parser:"| @@"`
	Connect    *connect    `parser:"| @@"`
	Teacher    *teacher    `parser:"| @@"`
	Energy     *energy     `parser:"| @@"`
	Learn      *learn      `parser:"| @@"`
	Dataset    *dataset    `parser:"| @@"`
	Task       *task       `parser:"| @@"`
	Record     *record     `parser:"| @@"`
}

type importDecl struct {
	Pos  lexer.Position
	Path lexer.Token `parser:"'import':Keyword @String"`
}

type constDecl struct {
	Pos   lexer.Position
	Name  *ident `parser:"'const':Keyword @@"`
	Value *expr  `parser:"'=' @@"`
}

type param struct {
	Pos   lexer.Position
	Name  *ident `parser:"'param':Keyword @@"`
	Value *expr  `parser:"'=' @@"`
	Flag  *flag  `parser:"@@?"`
}

// flag is `parser:"learnable"` or `parser:"plastic"`; the two words are synonyms.
type flag struct {
	Word string `parser:"@('learnable':Keyword | 'plastic':Keyword)"`
}

type fn struct {
	Pos    lexer.Position
	Name   *ident   `parser:"'fn':Keyword @@"`
	Params []*ident `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body   *expr    `parser:"'=' @@"`
}

type neuron struct {
	Pos     lexer.Position
	Name    *ident   `parser:"'neuron':Keyword @@"`
	Args    *argList `parser:"( @@"`
	Base    *ident   `parser:"| '=' @@"`
	Derived *argList `parser:"@@ )"`
}

type sim struct {
	Pos      lexer.Position
	Settings []*setting `parser:"'sim':Keyword '{' ( @@ ( ';' | ',' )? )* '}'"`
}

type learn struct {
	Pos      lexer.Position
	Settings []*setting `parser:"'learn':Keyword '{' ( @@ ( ';' | ',' )? )* '}'"`
}

type dataset struct {
	Pos      lexer.Position
	Name     *ident     `parser:"'dataset':Keyword @@"`
	Settings []*setting `parser:"'{' ( @@ ( ';' | ',' )? )* '}'"`
}

type task struct {
	Pos      lexer.Position
	Settings []*setting `parser:"'task':Keyword '{' ( @@ ( ';' | ',' )? )* '}'"`
}

type setting struct {
	Pos   lexer.Position
	Key   []*ident `parser:"@@ ( '.' @@ )*"`
	Value *expr    `parser:"'=' @@"`
}

type input struct {
	Pos   lexer.Position
	Name  *ident `parser:"'input':Keyword @@"`
	Size  *expr  `parser:"'[' @@ ']'"`
	Value *expr  `parser:"'=' @@"`
}

type population struct {
	Pos  lexer.Position
	Name *ident   `parser:"'population':Keyword @@"`
	Size *expr    `parser:"'[' @@ ']'"`
	Kind *ident   `parser:"':' @@"`
	Args *argList `parser:"@@?"`
}

type connect struct {
	Pos      lexer.Position
	Src      *ident      `parser:"'connect':Keyword @@"`
	Arrow    lexer.Token `parser:"@'->'"`
	Dst      *ident      `parser:"@@"`
	Name     *ident      `parser:"@@"`
	Topology *ref        `parser:"( ':' @@ )?"`
	Init     *expr       `parser:"'=' @@"`
	Flag     *flag       `parser:"@@?"`
}

type teacher struct {
	Pos    lexer.Position
	Name   *ident `parser:"'teacher':Keyword @@"`
	Size   *expr  `parser:"( '[' @@ ']' )?"`
	Source *call  `parser:"'=' @@"`
}

type energy struct {
	Pos   lexer.Position
	Terms []*expr `parser:"'energy':Keyword '{' ( @@ ';'? )* '}'"`
}

type record struct {
	Pos   lexer.Position
	Items []*path      `parser:"'record':Keyword @@ ( ',' @@ )*"`
	Every *expr        `parser:"( 'every':Keyword @@"`
	Unit  *ident       `parser:"@@? )?"`
	To    *lexer.Token `parser:"( 'to':Keyword @String )?"`
}

// path is a recorded quantity: `y.r`, `energy`, or a reduction of one
// over the record's interval, `mean(y.r)`.
type path struct {
	Energy *energyWord `parser:"( @@"`
	Head   *ident      `parser:"| @@"`
	Inner  *path       `parser:"( '(' @@ ')' )?"`
	Parts  []*ident    `parser:"( '.' @@ )* )"`
}

// energyWord is the keyword energy as a recorded quantity (record energy).
type energyWord struct {
	Pos  lexer.Position
	Word string `parser:"@'energy':Keyword"`
}

// ---- Expressions ----

type expr struct {
	Left *product `parser:"@@"`
	Rest []*addOp `parser:"@@*"`
}

type addOp struct {
	Op    lexer.Token `parser:"@( '+' | '-' )"`
	Right *product    `parser:"@@"`
}

type product struct {
	Left *unary   `parser:"@@"`
	Rest []*mulOp `parser:"@@*"`
}

type mulOp struct {
	Op    lexer.Token `parser:"@( '*' | '/' | '@' )"`
	Right *unary      `parser:"@@"`
}

// unary is a run of signs before a power; -x^2 is -(x^2).
type unary struct {
	Signs []*sign `parser:"@@*"`
	Power *power  `parser:"@@"`
}

type sign struct {
	Op lexer.Token `parser:"@( '-' | '+' )"`
}

// power is right-associative: the exponent is a unary, which contains a
// power again, so 2^3^2 is 2^(3^2) and 2^-1 is allowed.
type power struct {
	Base  *postfix     `parser:"@@"`
	Caret *lexer.Token `parser:"( @'^'"`
	Exp   *unary       `parser:"@@ )?"`
}

type postfix struct {
	X    *primary `parser:"@@"`
	Sels []*ident `parser:"( '.' @@ )*"`
}

// primary lists names and calls first: they are the most frequent.
type primary struct {
	Ref    *ref         `parser:"@@"`
	Number *lexer.Token `parser:"| @Number"`
	Paren  *paren       `parser:"| @@"`
	List   *list        `parser:"| @@"`
	String *lexer.Token `parser:"| @String"`
}

// ref is a name, or a call when parentheses follow.
type ref struct {
	Name *ident   `parser:"@@"`
	Args *argList `parser:"@@?"`
}

// call is the source of a teacher; `model` is a keyword but names the
// source that runs another model, `model("teacher.vle", x = x)`. A data
// set's array, `digits.y`, has a Field instead of arguments.
type call struct {
	Pos   lexer.Position
	Fun   string   `parser:"@( Ident | 'model':Keyword )"`
	Args  *argList `parser:"( @@"`
	Field *ident   `parser:"| '.' @@ )"`
}

type argList struct {
	Lparen lexer.Token `parser:"@'('"`
	Args   *args       `parser:"@@?"`
	Rparen lexer.Token `parser:"@')'"`
}

type args struct {
	List []*arg `parser:"@@ ( (?= ',' ~')') ',' @@ )* ','?"`
}

// arg is `parser:"[ Ident '=' ] Expr [ Flag ]"`, parsed as `parser:"Expr [ '=' Expr ]"` to
// stay LL(1); the lowering checks that a named argument's name is a name.
type arg struct {
	Pos   lexer.Position
	X     *expr `parser:"@@"`
	Value *expr `parser:"( '=' @@ )?"`
	Flag  *flag `parser:"@@?"`
}

type paren struct {
	Lparen lexer.Token `parser:"@'('"`
	X      *expr       `parser:"@@"`
	Rparen lexer.Token `parser:"@')'"`
}

type list struct {
	Lbrack lexer.Token `parser:"@'['"`
	Elems  []*expr     `parser:"( @@ ( (?= ',' ~']') ',' @@ )* ','? )?"`
	Rbrack lexer.Token `parser:"@']'"`
}

type ident struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}
