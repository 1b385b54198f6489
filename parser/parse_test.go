package parser

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

func TestParseTree(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{``, `(file)`},
		{`// only a comment`, `(file)`},
		{`model m`, `(file (model m))`},
		{`import "std/gle"`, `(file (import "std/gle"))`},
		{`const tau = 10ms`, `(file (const tau 10ms{10ms}))`},
		{`const f = 1.5kHz`, `(file (const f 1.5kHz{1.5kHz}))`},
		{`const a = .5 const b = 1e-3 const c = 2.5E+2min`,
			`(file (const a .5{0.5}) (const b 1e-3{0.001}) (const c 2.5E+2min{250min}))`},
		{`param beta = 1 learnable`, `(file (param learnable beta 1))`},
		{`param beta = 1 plastic`, `(file (param learnable beta 1))`},
		{`fn sq(x) = x ^ 2`, `(file (fn sq (x) (^ x 2)))`},
		{`fn k() = 1 fn l(a, b) = a * b`, `(file (fn k () 1) (fn l (a b) (* a b)))`},
		{`neuron gle(tau_m = 10ms, tau_r = 10ms, phi = linear)`,
			`(file (neuron gle (arg tau_m 10ms{10ms}) (arg tau_r 10ms{10ms}) (arg phi linear)))`},
		{`neuron fast = gle(tau_m = 1ms)`, `(file (neuron fast = gle (arg tau_m 1ms{1ms})))`},
		{`neuron empty()`, `(file (neuron empty))`},
		{`sim { dt = 10ms; duration = 30s, batch = 1 method = gle }`,
			`(file (sim (= dt 10ms{10ms}) (= duration 30s{30s}) (= batch 1) (= method gle)))`},
		{`sim {}`, `(file (sim))`},
		{"learn {\n  lr = 0.003\n  lr.W0 = 0.01;\n}", `(file (learn (= lr 0.003) (= lr.W0 0.01)))`},
		{`input x[1] = sine(freq = 0.3Hz) + 0.5 * step(at = 1s)`,
			`(file (input x 1 (+ (call sine (arg freq 0.3Hz{0.3Hz})) (* 0.5 (call step (arg at 1s{1s}))))))`},
		{`input x[2] = file("x.csv")`, `(file (input x 2 (call file "x.csv")))`},
		{`population h[3] : gle`, `(file (population h 3 gle))`},
		{`population h[n * 2] : gle(tau_m = [0.5, 0.7] learnable, phi = softplus,)`,
			`(file (population h (* n 2) gle (arg learnable tau_m (list 0.5 0.7)) (arg phi softplus)))`},
		{`connect x -> h W0 = [[0.3]] plastic`, `(file (connect plastic x h W0 dense (list (list 0.3))))`},
		{`connect h -> h R : one_to_one = constant(0.1)`, `(file (connect h h R one_to_one (call constant 0.1)))`},
		{`connect a -> b W : sparse(p = 0.1, seed = 3) = normal(0, 0.1, seed = 1)`,
			`(file (connect a b W (call sparse (arg p 0.1) (arg seed 3)) (call normal 0 0.1 (arg seed 1))))`},
		{`teacher T = model("teacher.vle", x = x)`, `(file (teacher T - (call model "teacher.vle" (arg x x))))`},
		{`teacher D[3] = file("targets.csv")`, `(file (teacher D 3 (call file "targets.csv")))`},
		{"energy {\n  mismatch(h) + mismatch(y)\n  beta * mse(y.r, T.y.r);\n}",
			`(file (energy (+ (call mismatch h) (call mismatch y)) (* beta (call mse (. y r) (. (. T y) r)))))`},
		{"energy { a\n -b }", `(file (energy (- a b)))`},
		{`energy {}`, `(file (energy))`},
		{`record y.r, h.u, W0`, `(file (record (. y r) (. h u) W0))`},
		{`record y.r every 10 steps to "run.csv"`, `(file (record (. y r) every 10 steps to "run.csv"))`},
		{`record W0 every 100ms`, `(file (record W0 every 100ms{100ms}))`},
		{`record W0 to "w.npy"`, `(file (record W0 to "w.npy"))`},
		// Precedence and associativity.
		{`const x = a + b * c`, `(file (const x (+ a (* b c))))`},
		{`const x = a - b - c`, `(file (const x (- (- a b) c)))`},
		{`const x = a / b * c`, `(file (const x (* (/ a b) c)))`},
		{`const x = W @ x + b`, `(file (const x (+ (@ W x) b)))`},
		{`const x = -x ^ 2`, `(file (const x (- (^ x 2))))`},
		{`const x = 2 ^ 3 ^ 2`, `(file (const x (^ 2 (^ 3 2))))`},
		{`const x = 2 ^ -1`, `(file (const x (^ 2 (- 1))))`},
		{`const x = - + - a`, `(file (const x (- (+ (- a)))))`},
		{`const x = (a + b) * c`, `(file (const x (* (paren (+ a b)) c)))`},
		{`const x = f(a).b.c ^ 2`, `(file (const x (^ (. (. (call f a) b) c) 2)))`},
		{`const x = (a).b`, `(file (const x (. (paren a) b)))`},
		{`const x = []`, `(file (const x (list)))`},
		{`const x = [1, 2,]`, `(file (const x (list 1 2)))`},
		{`const x = "a\"b\\c\nd\te"`, `(file (const x "a\"b\\c\nd\te"))`},
		{`const x = f(g(h(1)), y learnable)`, `(file (const x (call f (call g (call h 1)) (learnable y))))`},
		{"/* a */ const /* b */ x = 1 // c", `(file (const x 1))`},
	} {
		f, err := Parse("t.vle", []byte(tc.src))
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		if got := dump(f); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestPositions(t *testing.T) {
	src := "model m\nconst x = (a + -b) * [c, d.e]\nconnect p -> q W : sparse(p = 0.1) = f(1) plastic\n"
	f, err := Parse("pos.vle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	checkAllPositions(t, "pos.vle", reflect.ValueOf(f))
	c := f.Decls[0].(*lang.ConstDecl)
	mul := c.Value.(*lang.BinaryExpr)
	paren := mul.X.(*lang.ParenExpr)
	plus := paren.X.(*lang.BinaryExpr)
	neg := plus.Y.(*lang.UnaryExpr)
	list := mul.Y.(*lang.ListExpr)
	sel := list.Elems[1].(*lang.SelectorExpr)
	conn := f.Decls[1].(*lang.ConnectDecl)
	call := conn.Topology.(*lang.CallExpr)
	for _, tc := range []struct {
		name string
		got  lang.Pos
		want string
	}{
		{"model", f.Model.At, "pos.vle:1:1"},
		{"const", c.At, "pos.vle:2:1"},
		{"name", c.Name.At, "pos.vle:2:7"},
		{"lparen", paren.Lparen, "pos.vle:2:11"},
		{"plus", plus.OpPos, "pos.vle:2:14"},
		{"neg", neg.OpPos, "pos.vle:2:16"},
		{"rparen", paren.Rparen, "pos.vle:2:18"},
		{"mul", mul.OpPos, "pos.vle:2:20"},
		{"binary", mul.Pos(), "pos.vle:2:11"},
		{"lbrack", list.Lbrack, "pos.vle:2:22"},
		{"selector", sel.Pos(), "pos.vle:2:26"},
		{"sel", sel.Sel.At, "pos.vle:2:28"},
		{"rbrack", list.Rbrack, "pos.vle:2:29"},
		{"arrow", conn.Arrow, "pos.vle:3:11"},
		{"call", call.Pos(), "pos.vle:3:20"},
		{"call lparen", call.Lparen, "pos.vle:3:26"},
		{"arg", call.Args[0].At, "pos.vle:3:27"},
		{"call rparen", call.Rparen, "pos.vle:3:34"},
	} {
		if tc.got.String() != tc.want {
			t.Errorf("%s at %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if off := neg.OpPos.Offset; src[off] != '-' {
		t.Errorf("offset %d of - points at %q", off, src[off])
	}
}

// TestPositionsInRunes checks that columns count runes, not bytes.
func TestPositionsInRunes(t *testing.T) {
	f, err := Parse("u.vle", []byte("/* µ→ */ const x = 1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Decls[0].Pos().String(); got != "u.vle:1:10" {
		t.Errorf("const at %s, want u.vle:1:10", got)
	}
}

// checkAllPositions walks the tree and requires every lang.Pos in it to
// be valid and to name the file.
func checkAllPositions(t *testing.T, file string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkAllPositions(t, file, v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkAllPositions(t, file, v.Index(i))
		}
	case reflect.Struct:
		if p, ok := v.Interface().(lang.Pos); ok {
			if !p.IsValid() || p.File != file {
				t.Errorf("bad position %v", p)
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			checkAllPositions(t, file, v.Field(i))
		}
	}
}

func TestEmptyFile(t *testing.T) {
	for _, src := range []string{"", "  \n\t\n", "// nothing\n/* at all */"} {
		f, err := Parse("e.vle", []byte(src))
		if err != nil || f == nil || f.Model != nil || len(f.Decls) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want an empty File", src, f, err)
		}
	}
}

func TestComments(t *testing.T) {
	src := "// head\nconst x = 1 /* mid */ + 2 // tail\n/* multi\nline */"
	f, err := Parse("c.vle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range f.Comments {
		got = append(got, c.At.String()+" "+c.Text)
	}
	want := "c.vle:1:1 // head|c.vle:2:13 /* mid */|c.vle:2:27 // tail|c.vle:3:1 /* multi\nline */"
	if strings.Join(got, "|") != want {
		t.Errorf("comments\n got %q\nwant %q", strings.Join(got, "|"), want)
	}
}

func reflectValue(x any) reflect.Value { return reflect.ValueOf(x) }

// TestByteOrderMark parses sources that start with a UTF-8 byte-order
// mark: it is skipped, and lines, columns and offsets count from after
// it. ParseFile returns the source without it, so snippets line up.
func TestByteOrderMark(t *testing.T) {
	src := BOM + "model m\nconst x = -1\n"
	f, err := Parse("b.vle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	neg := f.Decls[0].(*lang.ConstDecl).Value.(*lang.UnaryExpr)
	if got := f.Model.At.String(); got != "b.vle:1:1" {
		t.Errorf("model at %s, want b.vle:1:1", got)
	}
	if got := neg.OpPos; got.String() != "b.vle:2:11" || got.Offset != 18 {
		t.Errorf("- at %s offset %d, want b.vle:2:11 offset 18", got, got.Offset)
	}
	_, err = Parse("e.vle", []byte(BOM+"const x = )"))
	if d := lang.Diagnostics(err); len(d) != 1 || d[0].Pos.String() != "e.vle:1:11" {
		t.Errorf("error %v, want one at e.vle:1:11", err)
	}
	path := filepath.Join(t.TempDir(), "b.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, got, err := ParseFile(path)
	if err != nil || string(got) != src[len(BOM):] {
		t.Errorf("ParseFile = %q, %v; want the source without the mark", got, err)
	}
	// Only at the start: elsewhere it is a stray character, named.
	_, err = Parse("m.vle", []byte("const x = 1"+BOM))
	if d := lang.Diagnostics(err); len(d) != 1 || d[0].Pos.String() != "m.vle:1:12" || !strings.Contains(d[0].Msg, "byte-order mark") {
		t.Errorf("error %v, want a byte-order mark at m.vle:1:12", err)
	}
}
