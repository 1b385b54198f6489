package parser

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vlec-dev/vlec/internal/spell"
	"github.com/vlec-dev/vlec/lang"
)

// A syntax error is reported where the parser got stuck, which is not
// always where the mistake is. The hints below recognise a few common
// mistakes from the tokens around that place, and say what the mistake
// is, where it is.

// hint returns a better diagnostic for the unexpected token at index i of
// c.tokens (i == len(c.tokens)-1 when it is the token after the chunk),
// or nil. wantDecl says the parser expected a new declaration there.
func hint(c chunk, i int, wantDecl bool) *lang.Error {
	for _, h := range []func(chunk, int) *lang.Error{spacedUnit, doubleStar, twoPoints, keywordName} {
		if e := h(c, i); e != nil {
			return e
		}
	}
	if wantDecl {
		return misspeltKeyword(c, i)
	}
	return nil
}

// tokenAt returns c's token i, the token after the chunk for the final
// EOF.
func tokenAt(c chunk, i int) lexer.Token {
	if i == len(c.tokens)-1 {
		return c.next
	}
	return c.tokens[i]
}

// adjacent reports whether b starts right where a ends.
func adjacent(a, b lexer.Token) bool {
	return a.Pos.Offset+len(a.Value) == b.Pos.Offset
}

// spacedUnit finds `1 ms`: a unit name after a plain number on the same
// line, before the error. The parser took the unit for a new name.
func spacedUnit(c chunk, i int) *lang.Error {
	for k := 1; k <= i && k < len(c.tokens)-1; k++ {
		num, u := c.tokens[k-1], c.tokens[k]
		if num.Type != tokNumber || u.Type != tokIdent || !isUnit(u.Value) || num.Pos.Line != u.Pos.Line {
			continue
		}
		if n, err := splitNumber(num.Value); err == nil && n.Unit == "" {
			return lang.Errorf(toPos(u.Pos), "unit %s is separated from its number: write %s%s, without a space", u.Value, num.Value, u.Value)
		}
	}
	return nil
}

// doubleStar finds `x ** 2`.
func doubleStar(c chunk, i int) *lang.Error {
	t := tokenAt(c, i)
	if i == 0 || t.Value != "*" || c.tokens[i-1].Value != "*" || !adjacent(c.tokens[i-1], t) {
		return nil
	}
	return lang.Errorf(toPos(c.tokens[i-1].Pos), "** is not an operator; a power is written x ^ 2")
}

// twoPoints finds `1.2.3`: a number glued to one that starts with a point.
func twoPoints(c chunk, i int) *lang.Error {
	t := tokenAt(c, i)
	if i == 0 || t.Type != tokNumber || !strings.HasPrefix(t.Value, ".") {
		return nil
	}
	prev := c.tokens[i-1]
	if prev.Type != tokNumber || !adjacent(prev, t) {
		return nil
	}
	return lang.Errorf(toPos(prev.Pos), "malformed number %s%s: a number has at most one decimal point", prev.Value, t.Value)
}

// keywordName finds a keyword used as an argument or setting name,
// `sine(to = 1)`, where the parser expected something else.
func keywordName(c chunk, i int) *lang.Error {
	t := tokenAt(c, i)
	if t.Type != tokKeyword || i+1 >= len(c.tokens)-1 || c.tokens[i+1].Value != "=" {
		return nil
	}
	return lang.Errorf(toPos(t.Pos), "%q is a keyword and cannot be used as a name", t.Value)
}

// misspeltKeyword finds a name where a declaration (or a flag) may come
// that is a keyword misspelt, such as `improt` or `learnabel`.
func misspeltKeyword(c chunk, i int) *lang.Error {
	t := tokenAt(c, i)
	if t.Type != tokIdent {
		return nil
	}
	if k := spell.Nearest(t.Value, keywords, 4); k != "" {
		return lang.Errorf(toPos(t.Pos), "unexpected name %s; did you mean the keyword %s?", t.Value, k)
	}
	return nil
}

// hintNestedComments adds to an error that follows a block comment on
// the same line which holds a "/*" of its own: comments do not nest, so
// the comment ended at the first "*/".
func hintNestedComments(errs lang.ErrorList, comments []*lang.Comment) {
	for _, e := range errs {
		for _, c := range comments {
			if !strings.HasPrefix(c.Text, "/*") || !strings.Contains(c.Text[2:], "/*") {
				continue
			}
			end := c.At.Line + strings.Count(c.Text, "\n")
			if end == e.Pos.Line && c.At.Offset+len(c.Text) <= e.Pos.Offset {
				e.Msg += fmt.Sprintf(" (comments do not nest: the comment at %d:%d ends at its first */)", c.At.Line, c.At.Col)
				break
			}
		}
	}
}
