package lang

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Error is one diagnostic: a position and a message. It prints as
// `file:line:col: message`, the shape every phase of vlec reports in.
type Error struct {
	Pos Pos
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf makes an *Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList collects the diagnostics of a phase, so a user sees every
// problem of a file at once rather than one per run.
type ErrorList []*Error

// Add appends a diagnostic at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Errorf(pos, format, args...))
}

// Len, Less and Swap sort a list by position.
func (l ErrorList) Len() int           { return len(l) }
func (l ErrorList) Less(i, j int) bool { return l[i].Pos.Before(l[j].Pos) }
func (l ErrorList) Swap(i, j int)      { l[i], l[j] = l[j], l[i] }

// Sort orders the list by position and drops exact duplicates (the same
// message at the same place, as a name used twice in one expansion gives).
func (l *ErrorList) Sort() {
	sort.Stable(*l)
	out := (*l)[:0]
	for i, e := range *l {
		if i > 0 {
			prev := out[len(out)-1]
			if prev.Pos == e.Pos && prev.Msg == e.Msg {
				continue
			}
		}
		out = append(out, e)
	}
	*l = out
}

// Error prints every diagnostic on its own line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns the sorted list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Diagnostics flattens err into its positioned diagnostics. An error that
// carries no position becomes one diagnostic with the zero Pos.
func Diagnostics(err error) []*Error {
	if err == nil {
		return nil
	}
	var list ErrorList
	if errors.As(err, &list) {
		return list
	}
	var one *Error
	if errors.As(err, &one) {
		return []*Error{one}
	}
	return []*Error{{Msg: err.Error()}}
}

// Sources maps file names to their contents, to draw snippets under errors.
type Sources map[string][]byte

// Format renders err for a terminal: each diagnostic as
// `file:line:col: message`, then the source line and a caret under the
// offending column when the source is known.
func (s Sources) Format(err error) string {
	var b strings.Builder
	for _, e := range Diagnostics(err) {
		b.WriteString(e.Error())
		b.WriteByte('\n')
		if line, ok := s.line(e.Pos); ok {
			line, col := window(line, e.Pos.Col)
			b.WriteString("    ")
			b.WriteString(line)
			b.WriteString("\n    ")
			b.WriteString(caretPad(line, col))
			b.WriteString("^\n")
		}
	}
	return b.String()
}

// maxShown is the longest source line drawn whole under a message; a
// longer one is cut to a window of about this many characters around the
// column, marked with "..." where it was cut.
const maxShown = 160

// window cuts a long line to the part around rune column col and returns
// it with the column of the same character in the cut line.
func window(line string, col int) (string, int) {
	runes := []rune(line)
	if len(runes) <= maxShown {
		return line, col
	}
	from := max(0, min(col-1-maxShown/2, len(runes)-maxShown))
	to := min(len(runes), from+maxShown)
	cut, shift := string(runes[from:to]), from
	if from > 0 {
		cut, shift = "..."+cut, from-3
	}
	if to < len(runes) {
		cut += "..."
	}
	return cut, col - shift
}

// line returns the text of the source line at p, tabs kept.
func (s Sources) line(p Pos) (string, bool) {
	src, ok := s[p.File]
	if !ok || !p.IsValid() {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if p.Line > len(lines) {
		return "", false
	}
	line := strings.TrimRight(lines[p.Line-1], "\r")
	if !utf8.ValidString(line) {
		return "", false
	}
	return line, true
}

// caretPad is the indentation that puts a caret under rune column col,
// copying tabs so it lines up whatever the tab width.
func caretPad(line string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	for ; n < col-1; n++ {
		b.WriteByte(' ')
	}
	return b.String()
}
