// Package parser reads .vle source text into the lang AST.
//
// Parsing runs in three steps:
//
//  1. scan lexes the whole file with participle's regular-expression lexer
//     and checks every token: unterminated strings and comments, stray
//     characters, unknown units, bad escapes. It also collects comments
//     (for fmt) and measures how deeply expressions nest, so that a file of
//     10,000 nested parentheses is rejected before any recursion starts.
//  2. participle parses the checked tokens with the LL(1) grammar in
//     grammar.go into a concrete syntax tree.
//  3. lower turns that tree into the plain lang AST, positions included.
//
// Every problem comes back as a sorted lang.ErrorList of *lang.Error, each
// with a valid position. The parser knows no semantics: a file with no
// declarations parses to an empty File, and names are resolved later.
package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vlec-dev/vlec/lang"
)

// MaxFileSize is the largest source file ParseFile reads.
const MaxFileSize = 16 << 20

// maxErrors is how many diagnostics Parse reports before it gives up.
const maxErrors = 10

// Parsers for the pieces of a file, sharing the grammar of File.
var (
	declParser  = mustProduction(participle.ParserForProduction[decl](grammar))
	modelParser = mustProduction(participle.ParserForProduction[model](grammar))
)

func mustProduction[P any](p *participle.Parser[P], err error) *participle.Parser[P] {
	if err != nil {
		panic(err)
	}
	return p
}

// BOM is the UTF-8 byte-order mark. Some editors start a file with it;
// Parse and ParseFile skip it there.
const BOM = "\uFEFF"

// Parse parses src, naming positions after filename. A byte-order mark at
// the start of src is skipped: lines, columns and offsets count from after
// it, as in the source ParseFile returns. On error it returns a sorted
// lang.ErrorList of every problem found (up to ten), and the File with the
// declarations that did parse.
func Parse(filename string, src []byte) (f *lang.File, err error) {
	src = bytes.TrimPrefix(src, []byte(BOM))
	l := &lowerer{at: lang.Pos{File: filename, Line: 1, Col: 1}}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, lang.ErrorList{lang.Errorf(l.at, "internal error: %v", r)}
		}
	}()
	if p, ok := firstInvalidUTF8(filename, src); !ok {
		return nil, lang.ErrorList{lang.Errorf(p, "invalid UTF-8 encoding: is this a text file?")}
	}
	f = &lang.File{Name: filename}
	s := newScanner(filename, string(src))
	var buf []lexer.Token
	for first := true; ; first = false {
		c, ok := s.next(buf)
		if !ok {
			break
		}
		buf = c.tokens
		if len(s.errs)+len(l.errs) >= maxErrors {
			if !s.tooMany {
				l.errs.Add(toPos(c.tokens[0].Pos), "too many errors; stopping here")
			}
			break
		}
		if c.bad {
			continue
		}
		l.at = toPos(c.tokens[0].Pos)
		if first && c.tokens[0].Type == tokKeyword && c.tokens[0].Value == "model" {
			if m, err := parseChunk(modelParser, c); err != nil {
				l.errs = append(l.errs, err)
			} else {
				f.Model = l.model(m)
			}
			continue
		}
		if d, err := parseChunk(declParser, c); err != nil {
			l.errs = append(l.errs, err)
		} else if ld := l.decl(d); ld != nil {
			f.Decls = append(f.Decls, ld)
		}
	}
	f.Comments = s.comments
	errs := append(s.errs, l.errs...)
	hintNestedComments(errs, s.comments)
	return f, errs.Err()
}

// ParseFile reads and parses the file at path. It returns the source too,
// without a leading byte-order mark, so that callers can draw error
// snippets with lang.Sources and the positions match.
func ParseFile(path string) (*lang.File, []byte, error) {
	src, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := Parse(path, src)
	return f, bytes.TrimPrefix(src, []byte(BOM)), err
}

// ReadFile reads a source file as it is on disk (a byte-order mark
// included), refusing directories and files over MaxFileSize with a
// lang.ErrorList naming the file.
func ReadFile(path string) ([]byte, error) {
	at := lang.Pos{File: path}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, lang.ErrorList{lang.Errorf(at, "no such file")}
	case err != nil:
		return nil, lang.ErrorList{lang.Errorf(at, "cannot read: %v", unwrapPathError(err))}
	case info.IsDir():
		return nil, lang.ErrorList{lang.Errorf(at, "is a directory, not a .vle file")}
	case info.Size() > MaxFileSize:
		return nil, lang.ErrorList{lang.Errorf(at, "file too large (%d bytes; the limit is %d MiB)", info.Size(), MaxFileSize>>20)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, lang.ErrorList{lang.Errorf(at, "cannot read: %v", unwrapPathError(err))}
	}
	defer f.Close()
	// Read one byte past the limit, in case the file grew since Stat.
	buf := make([]byte, 0, info.Size()+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxFileSize {
			return nil, lang.ErrorList{lang.Errorf(at, "file too large (the limit is %d MiB)", MaxFileSize>>20)}
		}
		if err != nil {
			if err.Error() == "EOF" {
				return buf, nil
			}
			return nil, lang.ErrorList{lang.Errorf(at, "cannot read: %v", unwrapPathError(err))}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// unwrapPathError drops the path that *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// firstInvalidUTF8 returns the position of the first byte that is not
// valid UTF-8, and false; or true when src is valid.
func firstInvalidUTF8(filename string, src []byte) (lang.Pos, bool) {
	if utf8.Valid(src) {
		return lang.Pos{}, true
	}
	p := lang.Pos{File: filename, Line: 1, Col: 1}
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			p.Offset = i
			return p, false
		}
		if r == '\n' {
			p.Line++
			p.Col = 0
		}
		p.Col++
		i += n
	}
	return p, false
}

// sliceLexer replays the tokens of a chunk to participle.
type sliceLexer struct {
	tokens []lexer.Token
	i      int
}

func (s *sliceLexer) Next() (lexer.Token, error) {
	t := s.tokens[s.i]
	if s.i < len(s.tokens)-1 {
		s.i++
	}
	return t, nil
}

// parseChunk parses one declaration.
func parseChunk[P any](p *participle.Parser[P], c chunk) (*P, *lang.Error) {
	peek, err := lexer.Upgrade(&sliceLexer{tokens: c.tokens})
	if err == nil {
		var v *P
		if v, err = p.ParseFromLexer(peek); err == nil {
			return v, nil
		}
	}
	return nil, convertError(c, err)
}

// convertError turns a participle error into a positioned diagnostic with
// a message for people rather than grammar writers. The end of a chunk is
// an EOF token to participle; the user sees the token that really follows.
func convertError(c chunk, err error) *lang.Error {
	filename := c.tokens[0].Pos.Filename
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		i, eof := tokenIndex(c, ute.Unexpected), ute.Unexpected.EOF()
		if e := hint(c, i, expectation(ute) == ""); e != nil {
			return e
		}
		// A keyword on the line of the chunk's last token is more likely
		// misused as a name than the start of the next declaration.
		atNext := eof && c.next.Pos.Line != c.tokens[max(len(c.tokens)-2, 0)].Pos.Line
		if eof {
			ute.Unexpected = c.next
		}
		return lang.Errorf(validPos(filename, ute.Unexpected.Pos), "%s", unexpectedMessage(ute, atNext))
	}
	var perr participle.Error
	if errors.As(err, &perr) {
		return lang.Errorf(validPos(filename, perr.Position()), "%s", perr.Message())
	}
	return lang.Errorf(validPos(filename, c.tokens[0].Pos), "%v", err)
}

// tokenIndex finds t in c.tokens; the chunk's final EOF stands for the
// token after it.
func tokenIndex(c chunk, t lexer.Token) int {
	if !t.EOF() {
		for i, x := range c.tokens {
			if x.Pos.Offset == t.Pos.Offset && x.Type == t.Type {
				return i
			}
		}
	}
	return len(c.tokens) - 1
}

func validPos(filename string, p lexer.Position) lang.Pos {
	if p.Line <= 0 {
		return lang.Pos{File: filename, Line: 1, Col: 1}
	}
	lp := toPos(p)
	lp.File = filename
	return lp
}

// unexpectedMessage words an unexpected-token error for people: the
// expectation participle prints is a piece of grammar (`"=" Expr Flag?`);
// only its first symbol, in words, is what the user needs. atNext says
// the token starts the next declaration: the one before is incomplete.
func unexpectedMessage(e *participle.UnexpectedTokenError, atNext bool) string {
	t := e.Unexpected
	expect := expectation(e)
	what := fmt.Sprintf("%q", t.Value)
	switch {
	case t.EOF():
		what = "end of file"
	case t.Type == tokNumber:
		what = "number " + t.Value
	case t.Type == tokString:
		what = "string " + t.Value
	case t.Type == tokIdent:
		what = "name " + t.Value
	}
	if expect == "" && t.Type == tokKeyword && t.Value == "model" {
		return "the model header `model NAME` may appear only once, at the start of the file"
	}
	want := "a declaration (" + strings.Join(declKeywords, ", ") + ")"
	if expect != "" {
		want = describeExpect(expect)
	}
	if t.Type == tokKeyword && !atNext && (want == "a name" || want == "an expression" || want == "an argument") {
		return fmt.Sprintf("%q is a keyword and cannot be used as a name", t.Value)
	}
	return fmt.Sprintf("unexpected %s, expected %s", what, want)
}

// expectation is the grammar fragment the parser wanted, or "" for a
// new declaration.
func expectation(e *participle.UnexpectedTokenError) string {
	if e.Expect != "" {
		return e.Expect
	}
	if m := e.Message(); strings.HasSuffix(m, ")") {
		if i := strings.Index(m, " (expected "); i >= 0 {
			return m[i+len(" (expected ") : len(m)-1]
		}
	}
	return ""
}

// declKeywords start the declarations a file may hold after its header.
var declKeywords = []string{
	"import", "const", "param", "fn", "neuron", "sim", "input", "population",
	"connect", "teacher", "energy", "learn", "record", "dataset", "task",
}

// symbolWords names the first symbols of grammar fragments.
var symbolWords = map[string]string{
	"Expr": "an expression", "Product": "an expression", "Unary": "an expression",
	"Power": "an expression", "Postfix": "an expression", "Primary": "an expression",
	"Sign": "an expression", "Ident": "a name", "Path": "a name", "Ref": "a name", "Call": "a name",
	"Setting": "a setting", "Args": "an argument", "Arg": "an argument",
	"ArgList": `"("`, "Paren": `"("`, "List": `"["`, "Flag": `"learnable" or "plastic"`,
	"<string>": "a string", "<number>": "a number", "<ident>": "a name",
}

// describeExpect turns a grammar fragment into words: its first symbol,
// or the first symbols of a parenthesised choice.
func describeExpect(expect string) string {
	if strings.HasPrefix(expect, "(") {
		if inner, ok := firstGroup(expect); ok {
			var alts []string
			for _, alt := range splitTop(inner) {
				alts = append(alts, describeExpect(alt))
			}
			return strings.Join(alts, " or ")
		}
	}
	first := expect
	if i := strings.IndexByte(expect, ' '); i >= 0 {
		first = expect[:i]
	}
	first = strings.TrimRight(first, "?*+")
	if w, ok := symbolWords[first]; ok {
		return w
	}
	return first
}

// firstGroup returns the text inside the parenthesised group that starts s.
func firstGroup(s string) (string, bool) {
	depth, inString := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inString = !inString
		case inString:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return s[1:i], true
			}
		}
	}
	return "", false
}

// splitTop splits s at the " | " separators outside groups and strings.
func splitTop(s string) []string {
	var out []string
	depth, inString, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inString = !inString
		case inString:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
