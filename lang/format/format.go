// Package format prints a .vle syntax tree in canonical form, the output
// of `vlec fmt`.
//
// The canonical form puts one declaration per line, one setting or energy
// term per line in 2-space indented blocks, spaces around binary operators
// (`a + b`, `W @ x`, `x ^ 2`) and after commas (`[1, 2]`), and keeps
// numbers as written (`10ms`, `1e-3`) and parentheses where the source had
// them. Comments stay where they were: a comment that shared a line with
// code stays at the end of that line, one on its own line stays on its own
// line before the code that followed it. At most one blank line is kept
// where the source had blank lines between declarations.
//
// Formatting is idempotent, and parsing the output gives the same tree as
// parsing the input, positions aside. The tree carries no position for a
// closing brace, so a comment after the `}` of a one-line block moves to
// the end of the block's last line; `plastic` and `learnable` are synonyms
// and print as `plastic` on connections and `learnable` elsewhere.
package format

import (
	"bytes"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

const indentUnit = "  "

// Source parses src and returns it in canonical form; on a syntax error it
// returns the parser's lang.ErrorList and no output.
func Source(filename string, src []byte) ([]byte, error) {
	f, err := parser.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	return File(f), nil
}

// File prints f in canonical form.
func File(f *lang.File) []byte {
	return render(f).buf.Bytes()
}

// render prints f in canonical form; the printer holds the text and the
// work it took. Every step is linear in the size of the tree.
func render(f *lang.File) *printer {
	p := &printer{comments: f.Comments}
	if f.Model != nil {
		p.lineStart(f.Model.At, 0)
		p.word("model ")
		p.ident(f.Model.Name)
		p.endLine(nextPos(f, 0))
		p.srcLine = max(p.srcLine, f.Model.At.Line)
	}
	for i, d := range f.Decls {
		p.lineStart(d.Pos(), 0)
		p.decl(d)
		p.endLine(nextPos(f, i+1))
		p.srcLine = max(p.srcLine, p.declEnd(d))
	}
	p.flushRest()
	return p
}

// nextPos is the position of declaration i, or the zero Pos past the end.
func nextPos(f *lang.File, i int) lang.Pos {
	if i < len(f.Decls) {
		return f.Decls[i].Pos()
	}
	return lang.Pos{}
}

// printer writes the canonical text and interleaves the comments.
type printer struct {
	buf      bytes.Buffer
	comments []*lang.Comment // not yet printed, in source order
	indent   int             // current block depth
	lineLen  int             // bytes written on the current output line
	lastLine int             // source line of the last printed token
	srcLine  int             // last source line consumed, for blank lines
	started  bool            // something has been printed
	space    bool            // a block comment ended the line so far: a space is due
	work     int             // nodes and operands visited, for the linearity test
}

// word writes text on the current line, after the space a block comment
// asked for unless s starts with one.
func (p *printer) word(s string) {
	if p.space {
		p.space = false
		if !strings.HasPrefix(s, " ") {
			s = " " + s
		}
	}
	if p.lineLen == 0 {
		p.buf.WriteString(strings.Repeat(indentUnit, p.indent))
		p.lineLen = p.indent * len(indentUnit)
	}
	p.buf.WriteString(s)
	p.lineLen += len(s)
	p.started = true
}

func (p *printer) newline() {
	p.buf.WriteByte('\n')
	p.lineLen = 0
	p.space = false
}

// at records that a token from pos is printed next, printing the comments
// that came before it.
func (p *printer) at(pos lang.Pos) {
	p.flushBefore(pos)
	if pos.IsValid() {
		p.lastLine = pos.Line
		p.srcLine = max(p.srcLine, pos.Line)
	}
}

// lineStart begins a line for a node at pos (a declaration, setting or
// term): comments before it first, then one blank line if the source
// had one.
func (p *printer) lineStart(pos lang.Pos, indent int) {
	p.indent = indent
	p.flushBefore(pos)
	if p.lineLen > 0 {
		p.newline()
	}
	p.blankLine(pos.Line)
	p.lastLine = pos.Line
}

// blankLine writes an empty line when the source skipped lines between
// what was printed last and line.
func (p *printer) blankLine(line int) {
	if p.started && p.srcLine > 0 && line > p.srcLine+1 {
		p.buf.WriteByte('\n')
	}
	p.srcLine = max(p.srcLine, line)
}

// endLine ends the current line, taking along the comments that followed
// on the same source line, up to next.
func (p *printer) endLine(next lang.Pos) {
	for len(p.comments) > 0 {
		c := p.comments[0]
		if c.At.Line != p.lastLine || next.IsValid() && !c.At.Before(next) {
			break
		}
		p.comments = p.comments[1:]
		p.word(" " + c.Text)
		p.srcLine = max(p.srcLine, commentEnd(c))
	}
	if p.lineLen > 0 {
		p.newline()
	}
}

// flushBefore prints the comments that come before pos.
func (p *printer) flushBefore(pos lang.Pos) {
	for len(p.comments) > 0 && pos.IsValid() && p.comments[0].At.Before(pos) {
		c := p.comments[0]
		p.comments = p.comments[1:]
		p.comment(c)
	}
}

func (p *printer) flushRest() {
	for len(p.comments) > 0 {
		c := p.comments[0]
		p.comments = p.comments[1:]
		p.comment(c)
	}
	if p.lineLen > 0 {
		p.newline()
	}
}

// comment prints c inline when it shares a line with printed code, or on
// its own line.
func (p *printer) comment(c *lang.Comment) {
	lineComment := strings.HasPrefix(c.Text, "//")
	switch {
	case p.lineLen > 0 && c.At.Line == p.lastLine:
		if b := p.buf.Bytes(); b[len(b)-1] != ' ' {
			p.word(" ")
		}
		p.word(c.Text)
		if lineComment {
			p.continuation()
		} else {
			p.space = true
		}
	case p.lineLen > 0:
		// A comment on its own line in the middle of a construct: the
		// construct goes on after a line comment on the next line, after
		// a block comment on the same line.
		if !p.onlyIndent() {
			p.trimSpace()
			p.continuation()
		}
		p.word(c.Text)
		if lineComment {
			p.continuation()
		} else {
			p.space = true
		}
	default:
		p.blankLine(c.At.Line)
		p.word(c.Text)
		p.newline()
	}
	p.srcLine = max(p.srcLine, commentEnd(c))
	p.lastLine = commentEnd(c)
}

// onlyIndent reports whether the current line holds nothing but its
// indentation.
func (p *printer) onlyIndent() bool {
	b := p.buf.Bytes()
	line := b[bytes.LastIndexByte(b, '\n')+1:]
	return len(bytes.TrimLeft(line, " ")) == 0
}

// trimSpace drops the spaces at the end of the current line (after an
// operator, before a line break).
func (p *printer) trimSpace() {
	n := len(bytes.TrimRight(p.buf.Bytes(), " "))
	p.lineLen -= p.buf.Len() - n
	p.buf.Truncate(n)
}

// continuation breaks a line inside a construct, indenting the rest one
// level deeper.
func (p *printer) continuation() {
	p.newline()
	p.word(strings.Repeat(indentUnit, 1))
}

func commentEnd(c *lang.Comment) int {
	return c.At.Line + strings.Count(c.Text, "\n")
}
