package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

// TestInspect visits a small declaration and checks the order of the
// nodes and that returning false skips children.
func TestInspect(t *testing.T) {
	f, err := parser.Parse("m.vle", []byte("model m\nconnect x -> h W : sparse(p = 0.1) = [[1, -2]] plastic\nrecord h.u every 10 steps to \"o.csv\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var all, pruned []string
	name := func(n lang.Node) string {
		s := strings.TrimPrefix(fmt.Sprintf("%T", n), "*lang.")
		if id, ok := n.(*lang.Ident); ok {
			s += " " + id.Name
		}
		return s
	}
	lang.Inspect(f, func(n lang.Node) bool { all = append(all, name(n)); return true })
	lang.Inspect(f, func(n lang.Node) bool {
		pruned = append(pruned, name(n))
		_, isCall := n.(*lang.CallExpr)
		return !isCall
	})
	want := "File ModelHeader Ident m ConnectDecl Ident x Ident h Ident W CallExpr Ident sparse Arg Ident p NumberLit ListExpr ListExpr NumberLit UnaryExpr NumberLit " +
		"RecordDecl SelectorExpr Ident h Ident u NumberLit Ident steps StringLit"
	if got := strings.Join(all, " "); got != want {
		t.Errorf("visited\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(pruned, " "); strings.Contains(got, "sparse") || !strings.Contains(got, "CallExpr ListExpr") {
		t.Errorf("returning false did not skip the call's children: %s", got)
	}
}
