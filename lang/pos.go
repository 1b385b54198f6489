package lang

import "fmt"

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// runes, so a caret drawn under a position lines up in a terminal. The zero
// Pos means "no position" and prints as "-".
type Pos struct {
	File   string // file name as given by the user, or "<stdin>"
	Offset int    // byte offset from the start of the file, 0-based
	Line   int    // 1-based line number
	Col    int    // 1-based column, in runes
}

// IsValid reports whether p refers to a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col, the form editors and compilers use.
func (p Pos) String() string {
	if !p.IsValid() {
		if p.File != "" {
			return p.File
		}
		return "-"
	}
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Before reports whether p comes before q (by file name, then offset).
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}
