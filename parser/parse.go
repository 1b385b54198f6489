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

// Parse parses src, naming positions after filename. On error it returns
// a sorted lang.ErrorList and, when parsing got that far, a partial File.
func Parse(filename string, src []byte) (f *lang.File, err error) {
	at := lang.Pos{File: filename, Line: 1, Col: 1}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, lang.ErrorList{lang.Errorf(at, "internal error: %v", r)}
		}
	}()
	if p, ok := firstInvalidUTF8(filename, src); !ok {
		return nil, lang.ErrorList{lang.Errorf(p, "invalid UTF-8 encoding: is this a text file?")}
	}
	s := scan(filename, string(src))
	if len(s.errs) > 0 {
		return nil, s.errs.Err()
	}
	cst, err := parseTokens(s.tokens)
	if err != nil {
		return nil, lang.ErrorList{convertError(filename, s.tokens, err)}
	}
	l := &lowerer{at: at}
	defer func() { at = l.at }()
	f = l.file(filename, cst)
	f.Comments = s.comments
	return f, l.errs.Err()
}

// ParseFile reads and parses the file at path. It returns the source too,
// so callers can draw error snippets with lang.Sources.
func ParseFile(path string) (*lang.File, []byte, error) {
	src, err := readSource(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := Parse(path, src)
	return f, src, err
}

// readSource reads a source file, refusing directories and huge files.
func readSource(path string) ([]byte, error) {
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

// sliceLexer replays scanned tokens to participle.
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

func parseTokens(tokens []lexer.Token) (*file, error) {
	peek, err := lexer.Upgrade(&sliceLexer{tokens: tokens})
	if err != nil {
		return nil, err
	}
	return grammar.ParseFromLexer(peek)
}

// convertError turns a participle error into a positioned diagnostic with
// a message for people rather than grammar writers.
func convertError(filename string, tokens []lexer.Token, err error) *lang.Error {
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		return lang.Errorf(validPos(filename, ute.Unexpected.Pos), "%s", unexpectedMessage(ute))
	}
	var perr participle.Error
	if errors.As(err, &perr) {
		return lang.Errorf(validPos(filename, perr.Position()), "%s", perr.Message())
	}
	pos := lang.Pos{File: filename, Line: 1, Col: 1}
	if n := len(tokens); n > 0 {
		pos = validPos(filename, tokens[n-1].Pos)
	}
	return lang.Errorf(pos, "%v", err)
}

func validPos(filename string, p lexer.Position) lang.Pos {
	if p.Line <= 0 {
		return lang.Pos{File: filename, Line: 1, Col: 1}
	}
	lp := toPos(p)
	lp.File = filename
	return lp
}

// unexpectedMessage words an unexpected-token error.
func unexpectedMessage(e *participle.UnexpectedTokenError) string {
	t := e.Unexpected
	expect := e.Expect
	if expect == "" {
		if m := e.Message(); strings.Contains(m, "(expected ") {
			expect = m[strings.Index(m, "(expected ")+len("(expected ") : len(m)-1]
		}
	}
	what := fmt.Sprintf("%q", t.Value)
	if t.EOF() {
		what = "end of file"
	}
	if t.Type == tokKeyword && (expect == "Ident" || strings.HasPrefix(expect, "Ident ")) {
		return fmt.Sprintf("%q is a keyword and cannot be used as a name", t.Value)
	}
	if expect == "" {
		return "unexpected " + what
	}
	return fmt.Sprintf("unexpected %s, expected %s", what, expect)
}
