package lang

import (
	"strings"
	"testing"
)

// TestFormatLongLine checks that an error on a very long line shows a
// window around the column, with the caret under the same character.
func TestFormatLongLine(t *testing.T) {
	line := "const a = " + strings.Repeat("1 + ", 100_000) + "x + 1"
	col := strings.Index(line, "x") + 1
	src := Sources{"m.vle": []byte(line + "\n")}
	out := src.Format(ErrorList{Errorf(Pos{File: "m.vle", Line: 1, Col: col, Offset: col - 1}, "undefined: x")})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
	}
	if len(lines[1]) > maxShown+20 {
		t.Errorf("source line of %d characters shown, want about %d", len(lines[1]), maxShown)
	}
	caret := strings.Index(lines[2], "^")
	if caret < 0 || lines[1][caret] != 'x' {
		t.Errorf("caret not under x:\n%s\n%s", lines[1], lines[2])
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[1]), "...") || !strings.HasSuffix(lines[1], "x + 1") {
		t.Errorf("window %q: want a cut start and the line's end", lines[1])
	}
	short := Sources{"s.vle": []byte("const a = x\n")}
	if got := short.Format(ErrorList{Errorf(Pos{File: "s.vle", Line: 1, Col: 11, Offset: 10}, "undefined: x")}); !strings.Contains(got, "    const a = x\n              ^") {
		t.Errorf("a short line must be shown whole:\n%s", got)
	}
}
