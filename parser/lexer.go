package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vlec-dev/vlec/lang"
)

// The lexer is participle's simple (regular expression) lexer. Its rules are
// tried in order and the first match wins, so comments come before the
// operators that start them, and keywords before identifiers. Malformed
// input is lexed into the error token types BadComment, BadString and Bad,
// which scan turns into positioned diagnostics before the parser runs.
var lexDef = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
	{Name: "Comment", Pattern: `//[^\n]*|/\*(?s:.*?)\*/`},
	{Name: "BadComment", Pattern: `/\*`},
	{Name: "String", Pattern: `"(?:[^"\\\n]|\\.)*"`},
	{Name: "BadString", Pattern: `"`},
	{Name: "Number", Pattern: `(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[A-Za-z_0-9]*`},
	{Name: "Keyword", Pattern: `\b(?:` + strings.Join(keywords, "|") + `)\b`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `->|[-+*/^@=()\[\]{},;:.]`},
	{Name: "Bad", Pattern: `(?s:.)`},
})

// keywords are reserved: they are their own token type, so `@@` of an
// identifier never accepts them.
var keywords = []string{
	"model", "import", "const", "param", "fn", "neuron", "sim", "input",
	"population", "connect", "teacher", "energy", "learn", "record",
	"every", "to", "learnable", "plastic",
}

// units are the suffixes a number may carry.
var units = []string{"ns", "us", "ms", "s", "min", "Hz", "kHz"}

const (
	maxDepth     = 500 // nesting of brackets, unary operators and powers
	maxLexErrors = 10  // stop lexing after this many errors
)

var (
	tokWhitespace = lexDef.Symbols()["Whitespace"]
	tokComment    = lexDef.Symbols()["Comment"]
	tokBadComment = lexDef.Symbols()["BadComment"]
	tokString     = lexDef.Symbols()["String"]
	tokBadString  = lexDef.Symbols()["BadString"]
	tokNumber     = lexDef.Symbols()["Number"]
	tokKeyword    = lexDef.Symbols()["Keyword"]
	tokIdent      = lexDef.Symbols()["Ident"]
	tokPunct      = lexDef.Symbols()["Punct"]
	tokBad        = lexDef.Symbols()["Bad"]
)

// scanned is the token stream of a file, ready for the parser.
type scanned struct {
	tokens   []lexer.Token // significant tokens, EOF last
	comments []*lang.Comment
	errs     lang.ErrorList
}

// scan lexes src, checks every token (strings, units, stray characters)
// and the nesting depth, and collects the comments. The parser only runs
// when scan found no error, so it never sees a malformed token and never
// recurses deeper than maxDepth.
func scan(filename, src string) *scanned {
	s := &scanned{}
	lex, err := lexDef.LexString(filename, src)
	if err != nil {
		s.errs.Add(lang.Pos{File: filename, Line: 1, Col: 1}, "%v", err)
		return s
	}
	var d depth
	for len(s.errs) < maxLexErrors {
		t, err := lex.Next()
		if err != nil {
			s.addLexerError(filename, err)
			return s
		}
		if t.Type == tokWhitespace {
			continue
		}
		if t.Type == tokComment {
			s.comments = append(s.comments, &lang.Comment{At: toPos(t.Pos), Text: t.Value})
			continue
		}
		s.check(t)
		if d.push(t) && len(s.errs) == 0 {
			s.errs.Add(toPos(t.Pos), "expression nested too deeply (more than %d levels)", maxDepth)
			return s
		}
		s.tokens = append(s.tokens, t)
		if t.EOF() {
			return s
		}
	}
	return s
}

// addLexerError records an error of participle's lexer; with the Bad rule
// in place it cannot occur, but it must still carry a position.
func (s *scanned) addLexerError(filename string, err error) {
	pos := lang.Pos{File: filename, Line: 1, Col: 1}
	if le, ok := err.(*lexer.Error); ok && le.Pos.Line > 0 {
		pos = toPos(le.Pos)
		s.errs.Add(pos, "%s", le.Msg)
		return
	}
	s.errs.Add(pos, "%v", err)
}

// check reports a malformed token.
func (s *scanned) check(t lexer.Token) {
	pos := toPos(t.Pos)
	switch t.Type {
	case tokBadComment:
		s.errs.Add(pos, "comment not terminated: a /* comment needs a closing */")
	case tokBadString:
		s.errs.Add(pos, "string literal not terminated: a string needs a closing \" on the same line")
	case tokBad:
		s.errs.Add(pos, "unexpected character %s", describeChar(t.Value))
	case tokString:
		if _, off, err := unquote(t.Value); err != nil {
			p := pos
			p.Offset += off
			p.Col += utf8.RuneCountInString(t.Value[:off])
			s.errs.Add(p, "%v", err)
		}
	case tokNumber:
		if _, err := splitNumber(t.Value); err != nil {
			s.errs.Add(pos, "%v", err)
		}
	}
}

// describeChar names a stray character for an error message.
func describeChar(c string) string {
	r, _ := utf8.DecodeRuneInString(c)
	switch {
	case r == utf8.RuneError:
		return fmt.Sprintf("byte 0x%02x (not UTF-8 text)", c[0])
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("%U (a control character; is this a binary file?)", r)
	case r == '\'' || r == '`':
		return fmt.Sprintf("%q (strings use double quotes)", r)
	}
	return strconv.QuoteRune(r)
}

// depth tracks how deeply the parser will recurse: one level per open
// bracket, plus one per prefix operator or `^` pending in the expression
// at each bracket level.
type depth struct {
	pending []int // per open bracket (index 0: top level), pending operators
	total   int   // brackets + sum(pending)
	prev    lexer.Token
}

// push accounts for t and reports whether the limit was exceeded.
func (d *depth) push(t lexer.Token) bool {
	if d.pending == nil {
		d.pending = []int{0}
	}
	top := len(d.pending) - 1
	switch {
	case t.Type != tokPunct:
		if t.Type == tokKeyword {
			d.reset(top)
		}
	case t.Value == "(" || t.Value == "[" || t.Value == "{":
		d.pending = append(d.pending, 0)
		d.total++
	case t.Value == ")" || t.Value == "]" || t.Value == "}":
		if top > 0 {
			d.total -= 1 + d.pending[top]
			d.pending = d.pending[:top]
		}
	case t.Value == "^" || (t.Value == "-" || t.Value == "+") && !endsOperand(d.prev):
		d.pending[top]++
		d.total++
	default: // a binary operator, separator or `=` ends the pending chain
		d.reset(top)
	}
	d.prev = t
	return d.total > maxDepth
}

func (d *depth) reset(top int) {
	d.total -= d.pending[top]
	d.pending[top] = 0
}

// endsOperand reports whether t can end an operand, making a following
// + or - binary.
func endsOperand(t lexer.Token) bool {
	switch t.Type {
	case tokNumber, tokString, tokIdent:
		return true
	case tokPunct:
		return t.Value == ")" || t.Value == "]"
	}
	return false
}

// splitNumber splits a number token into its value and unit.
func splitNumber(text string) (lang.NumberLit, error) {
	n := lang.NumberLit{Text: text}
	i := strings.IndexFunc(text, func(r rune) bool {
		return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_'
	})
	// An exponent (e5, E-3) belongs to the number, not to the unit.
	if i >= 0 && (text[i] == 'e' || text[i] == 'E') && i+1 < len(text) {
		j := i + 1
		if text[j] == '+' || text[j] == '-' {
			j++
		}
		if j < len(text) && text[j] >= '0' && text[j] <= '9' {
			i = strings.IndexFunc(text[j:], func(r rune) bool { return r < '0' || r > '9' })
			if i >= 0 {
				i += j
			}
		}
	}
	num := text
	if i >= 0 {
		num, n.Unit = text[:i], text[i:]
		if !isUnit(n.Unit) {
			return n, fmt.Errorf("unknown unit %q in %s; units are %s", n.Unit, text, strings.Join(units, ", "))
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return n, fmt.Errorf("number %s is out of range", text)
	}
	n.Value = v
	return n, nil
}

func isUnit(u string) bool {
	for _, x := range units {
		if u == x {
			return true
		}
	}
	return false
}

// unquote decodes a string token. On a bad escape it returns the byte
// offset of the backslash within the token.
func unquote(tok string) (string, int, error) {
	body := tok[1 : len(tok)-1]
	if !strings.Contains(body, `\`) {
		return body, 0, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case '"', '\\':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			r, _ := utf8.DecodeRuneInString(body[i:])
			return "", i, fmt.Errorf(`unknown escape \%c in string; the escapes are \" \\ \n \t`, r)
		}
	}
	return b.String(), 0, nil
}

// toPos converts a participle position.
func toPos(p lexer.Position) lang.Pos {
	return lang.Pos{File: p.Filename, Offset: p.Offset, Line: p.Line, Col: p.Column}
}
