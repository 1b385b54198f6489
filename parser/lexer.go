package parser

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
	{Name: "Number", Pattern: `(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[A-Za-z_0-9]*`},
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
	"every", "to", "learnable", "plastic", "dataset", "task",
}

// units are the suffixes a number may carry.
var units = []string{"ns", "us", "ms", "s", "min", "Hz", "kHz"}

const (
	maxDepth     = 500     // nesting of brackets, unary operators and powers
	maxOperators = 100_000 // binary operators in one declaration
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

// scanner lexes a file one declaration at a time. It checks every token
// (strings, units, stray characters) and the nesting depth before the
// parser sees it, and collects the comments. Each chunk it returns starts
// at a declaration keyword, so the parser works on one small declaration
// at a time, memory stays bounded, and a syntax error in one declaration
// does not hide the errors of the next.
type scanner struct {
	filename string
	lex      lexer.Lexer
	comments []*lang.Comment
	errs     lang.ErrorList
	pending  *lexer.Token // a declaration keyword read ahead, or EOF
	prevLine int          // line of the last significant token
	stopped  bool         // at the end: no more tokens
	fatal    bool         // stopped early on binary data or a lexer failure
	tooMany  bool         // stopped after maxErrors errors
}

// chunk is the tokens of one declaration, as the parser gets them.
type chunk struct {
	tokens []lexer.Token // ends with an EOF token at the position of next
	next   lexer.Token   // the token after the chunk: a keyword, or EOF
	bad    bool          // the chunk had lexical errors; do not parse it
}

func newScanner(filename, src string) *scanner {
	s := &scanner{filename: filename}
	lex, err := lexDef.LexString(filename, src)
	if err != nil {
		s.errs.Add(lang.Pos{File: filename, Line: 1, Col: 1}, "%v", err)
		s.stopped = true
	}
	s.lex = lex
	return s
}

// next returns the next chunk, or false at the end of the file.
func (s *scanner) next(buf []lexer.Token) (chunk, bool) {
	c := chunk{tokens: buf[:0]}
	var d depth
	for {
		t := s.read()
		if t.EOF() || len(c.tokens) > 0 && s.startsDecl(t, d.level()) && !recordsEnergy(c.tokens, t) {
			if len(c.tokens) == 0 {
				return c, false
			}
			s.pending = &t
			c.next = t
			c.bad = c.bad || s.fatal
			c.tokens = append(c.tokens, lexer.EOFToken(t.Pos))
			return c, true
		}
		s.prevLine = t.Pos.Line
		if s.check(t) {
			c.bad = true
		}
		if msg := d.push(t); msg != "" {
			// Pathological input: skipping to the next declaration
			// could mean lexing megabytes more, so stop here.
			s.errs.Add(toPos(t.Pos), "%s", msg)
			s.stopped, s.fatal = true, true
		}
		if len(s.errs) >= maxErrors && !s.stopped {
			s.stopped, s.fatal, s.tooMany = true, true, true
			s.errs.Add(toPos(t.Pos), "too many errors; stopping here")
		}
		c.tokens = append(c.tokens, t)
	}
}

// startsDecl reports whether t begins a new declaration: a declaration
// keyword outside brackets, or first on its line inside brackets (after an
// unclosed brace, the next declaration reports the missing "}"). `model`
// never splits: it names the teacher source `model(...)` too.
func (s *scanner) startsDecl(t lexer.Token, level int) bool {
	if t.Type != tokKeyword || !isDeclKeyword(t.Value) {
		return false
	}
	return level == 0 || t.Pos.Line > s.prevLine
}

// recordsEnergy reports whether t is the quantity energy in a record
// declaration (`record energy` or `record y.r, energy`), not the start of
// an energy block: a record's chunk so far, t on the same line, directly
// after "record" or a ",", and not followed by "{" (which the parser
// reports).
func recordsEnergy(tokens []lexer.Token, t lexer.Token) bool {
	if t.Value != "energy" || len(tokens) == 0 || tokens[0].Type != tokKeyword || tokens[0].Value != "record" {
		return false
	}
	last := tokens[len(tokens)-1]
	return last.Pos.Line == t.Pos.Line && (last.Type == tokKeyword && last.Value == "record" || last.Type == tokPunct && last.Value == ",")
}

// read returns the next significant token, recording comments; after a
// fatal problem it returns EOF.
func (s *scanner) read() lexer.Token {
	if s.pending != nil {
		t := *s.pending
		s.pending = nil
		return t
	}
	for !s.stopped {
		t, err := s.lex.Next()
		switch {
		case err != nil:
			s.addLexerError(err)
			s.stopped, s.fatal = true, true
		case t.Type == tokWhitespace:
		case t.Type == tokComment:
			s.comments = append(s.comments, &lang.Comment{At: toPos(t.Pos), Text: t.Value})
		default:
			if t.EOF() {
				s.stopped = true
			}
			if s.isBinary(t) {
				s.stopped, s.fatal = true, true
				return lexer.EOFToken(t.Pos)
			}
			return t
		}
	}
	return lexer.EOFToken(lexer.Position{Filename: s.filename, Line: 1, Column: 1})
}

// isBinary reports a control character, a sign of binary data, once.
func (s *scanner) isBinary(t lexer.Token) bool {
	if t.Type != tokBad {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.Value)
	if r >= 0x20 && r != 0x7f {
		return false
	}
	s.errs.Add(toPos(t.Pos), "unexpected character %s", describeChar(t.Value))
	return true
}

func isDeclKeyword(w string) bool {
	for _, k := range declKeywords {
		if w == k {
			return true
		}
	}
	return false
}

// addLexerError records an error of participle's lexer; with the Bad rule
// in place it cannot occur, but it must still carry a position.
func (s *scanner) addLexerError(err error) {
	pos := lang.Pos{File: s.filename, Line: 1, Col: 1}
	if le, ok := err.(*lexer.Error); ok && le.Pos.Line > 0 {
		pos = toPos(le.Pos)
		s.errs.Add(pos, "%s", le.Msg)
		return
	}
	s.errs.Add(pos, "%v", err)
}

// check reports a malformed token and whether there was one.
func (s *scanner) check(t lexer.Token) (bad bool) {
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
		} else {
			return false
		}
	case tokNumber:
		if _, err := splitNumber(t.Value); err != nil {
			s.errs.Add(pos, "%v", err)
		} else {
			return false
		}
	default:
		return false
	}
	return true
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
	case r == 0xfeff:
		return "U+FEFF (a byte-order mark, allowed only at the start of the file)"
	case r == 0xa0 || r == 0x200b:
		return fmt.Sprintf("%U (an invisible space; type an ordinary space or nothing)", r)
	}
	q := strconv.QuoteRune(r)
	if want, ok := lookalikes[r]; ok {
		return q + " (" + want + ")"
	}
	switch {
	case unicode.Is(unicode.Greek, r):
		return q + " (names use ASCII letters, digits and _; spell Greek letters out, as in tau_m)"
	case r > unicode.MaxASCII && unicode.IsLetter(r):
		return q + " (names use ASCII letters, digits and _)"
	}
	return q
}

// lookalikes are characters that word processors and other languages
// put where vlec wants something else.
var lookalikes = map[rune]string{
	'#': "comments start with // or /*",
	'%': "there is no remainder operator",
	'>': "there are no comparisons; the only arrow is ->",
	'<': "there are no comparisons; the only arrow is ->",
	'!': "there are no comparisons or negations",
	'|': "the norm is written sumsq(x)",
	'&': "there are no logical operators",
	'−': "a typographic minus; type - instead",
	'–': "a dash; type - instead",
	'—': "a dash; type - instead",
	'“': `a typographic quote; strings use ASCII double quotes`,
	'”': `a typographic quote; strings use ASCII double quotes`,
	'‘': `a typographic quote; strings use ASCII double quotes`,
	'’': `a typographic quote; strings use ASCII double quotes`,
	'→': "type -> instead",
	'×': "type * instead",
	'·': "type * instead",
	'⋅': "type * instead",
	'（': "a full-width parenthesis; type an ASCII one",
	'）': "a full-width parenthesis; type an ASCII one",
	'，': "a full-width comma; type an ASCII one",
	'＝': "a full-width equals sign; type an ASCII one",
}

// depth tracks how deeply the parser and every later phase will recurse:
// one level per open bracket, plus one per prefix operator or `^` pending
// in the expression at each bracket level. It also counts the binary
// operators of a declaration, since a chain a + b + c + ... becomes a
// tree as deep as it is long.
type depth struct {
	pending   []int // per open bracket (index 0: top level), pending operators
	total     int   // brackets + sum(pending)
	operators int
	prev      lexer.Token
}

// push accounts for t and returns an error message when a limit is
// exceeded.
func (d *depth) push(t lexer.Token) string {
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
		d.operators++
	default: // a binary operator, separator or `=` ends the pending chain
		d.reset(top)
		if strings.Contains("+-*/@", t.Value) {
			d.operators++
		}
	}
	d.prev = t
	switch {
	case d.total > maxDepth:
		return fmt.Sprintf("expression nested too deeply (more than %d levels)", maxDepth)
	case d.operators > maxOperators:
		return fmt.Sprintf("declaration too long (more than %d operators); read large data from a file", maxOperators)
	}
	return ""
}

// level is the number of open brackets.
func (d *depth) level() int { return max(len(d.pending)-1, 0) }

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
			return n, unknownUnit(num, n.Unit)
		}
	}
	if strings.HasSuffix(num, ".") {
		return n, fmt.Errorf("number %s needs a digit after its decimal point: write %s0%s or %s%s", text, num, n.Unit, strings.TrimSuffix(num, "."), n.Unit)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return n, fmt.Errorf("number %s is out of range", text)
	}
	n.Value = v
	return n, nil
}

// unknownUnit explains the letters glued to a number that are no unit.
func unknownUnit(num, unit string) error {
	text := num + unit
	msg := fmt.Sprintf("unknown unit %q in %s; units are %s", unit, text, strings.Join(units, ", "))
	switch lower := strings.ToLower(unit); {
	case num == "0" && lower[0] == 'x':
		msg = fmt.Sprintf("%s: numbers are decimal, there are no hexadecimal numbers", text)
	case lower == "e":
		msg = fmt.Sprintf("number %s needs digits after its exponent %s (such as %s3 or %s-3)", text, unit, text, text)
	case unitSynonyms[lower] != "":
		msg += fmt.Sprintf("; did you mean %s%s?", num, unitSynonyms[lower])
	case lower == "m":
		msg += fmt.Sprintf("; write %smin for minutes or %sms for milliseconds", num, num)
	case len(unit) > 3:
		msg += " (a name cannot start with a digit)"
	}
	return errors.New(msg)
}

// unitSynonyms are the spellings of units people try, lower case.
var unitSynonyms = map[string]string{
	"hz": "Hz", "khz": "kHz", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"msec": "ms", "usec": "us", "nsec": "ns", "mins": "min", "minute": "min", "minutes": "min",
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

// IsKeyword tells whether name is a keyword of the language, which a
// declaration cannot take as its name.
func IsKeyword(name string) bool { return slices.Contains(keywords, name) }
