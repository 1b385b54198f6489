package format

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

// moduleRoot finds the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// vleFiles lists every .vle file of the module except deliberately bad
// input (errors*.vle and anything under a bad/ or invalid/ folder).
func vleFiles(t *testing.T) []string {
	root := moduleRoot(t)
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "bad" || name == "invalid") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".vle") && !strings.HasPrefix(name, "errors") && !strings.HasPrefix(name, "bad") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRoundTrip formats every .vle file of the repository: the output is
// a fixed point, parses to the same tree, and keeps every comment.
func TestRoundTrip(t *testing.T) {
	files := vleFiles(t)
	if len(files) == 0 {
		t.Fatal("no .vle files found")
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(path, src); err != nil && strings.Contains(path, "testdata") {
			t.Logf("skipping bad test input %s", path)
			continue
		}
		checkRoundTrip(t, path, src)
	}
}

func checkRoundTrip(t *testing.T, name string, src []byte) {
	t.Helper()
	f1, err := parser.Parse(name, src)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	out := File(f1)
	f2, err := parser.Parse(name, out)
	if err != nil {
		t.Errorf("%s: formatted output does not parse: %v\n%s", name, err, out)
		return
	}
	again := File(f2)
	if a, b := stripped(f1), stripped(f2); !reflect.DeepEqual(a, b) {
		t.Errorf("%s: formatting changed the tree\n%s", name, out)
	}
	if got, want := commentTexts(f2), commentTexts(f1); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: comments changed\n got %q\nwant %q", name, got, want)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("%s: formatting is not idempotent\nfirst:\n%s\nsecond:\n%s", name, out, again)
	}
}

func commentTexts(f *lang.File) []string {
	var out []string
	for _, c := range f.Comments {
		out = append(out, c.Text)
	}
	return out
}

// stripped zeroes every position in f's tree (in place) and returns the
// File without its comments, for comparing trees.
func stripped(f *lang.File) any {
	cp := *f
	cp.Comments = nil
	v := reflect.ValueOf(&cp).Elem()
	zeroPositions(v)
	return cp
}

func zeroPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroPositions(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			zeroPositions(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(lang.Pos{}) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			zeroPositions(v.Field(i))
		}
	}
}

var update = flag.Bool("update", false, "rewrite the .golden files")

// TestGolden compares the output for testdata/NAME.vle with NAME.golden.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.vle")
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Source(path, src)
		if err != nil {
			t.Fatal(err)
		}
		golden := strings.TrimSuffix(path, ".vle") + ".golden"
		if *update {
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s: output differs from %s (run with -update to accept)\n%s", path, golden, out)
		}
	}
}

// TestBuiltTrees prints trees made by a program rather than the parser:
// parentheses appear where precedence needs them.
func TestBuiltTrees(t *testing.T) {
	id := func(n string) *lang.Ident { return &lang.Ident{Name: n} }
	bin := func(x lang.Expr, op string, y lang.Expr) *lang.BinaryExpr {
		return &lang.BinaryExpr{X: x, Op: op, Y: y}
	}
	neg := func(x lang.Expr) *lang.UnaryExpr { return &lang.UnaryExpr{Op: "-", X: x} }
	for _, tc := range []struct {
		e    lang.Expr
		want string
	}{
		{bin(bin(id("a"), "+", id("b")), "*", id("c")), "(a + b) * c"},
		{bin(id("a"), "-", bin(id("b"), "-", id("c"))), "a - (b - c)"},
		{bin(bin(id("a"), "-", id("b")), "-", id("c")), "a - b - c"},
		{bin(bin(id("a"), "^", id("b")), "^", id("c")), "(a ^ b) ^ c"},
		{bin(id("a"), "^", bin(id("b"), "^", id("c"))), "a ^ b ^ c"},
		{bin(neg(id("x")), "^", id("2")), "(-x) ^ 2"},
		{neg(bin(id("x"), "^", id("2"))), "-x ^ 2"},
		{bin(id("a"), "^", neg(id("b"))), "a ^ -b"},
		{neg(bin(id("a"), "+", id("b"))), "-(a + b)"},
		{&lang.SelectorExpr{X: bin(id("a"), "+", id("b")), Sel: id("r")}, "(a + b).r"},
		{&lang.SelectorExpr{X: &lang.NumberLit{Text: "0"}, Sel: id("r")}, "0 .r"},
		{bin(id("W"), "@", id("x")), "W @ x"},
		{&lang.StringLit{Value: "a\"b\n"}, `"a\"b\n"`},
	} {
		f := &lang.File{Decls: []lang.Decl{&lang.ConstDecl{Name: id("k"), Value: tc.e}}}
		got := strings.TrimSpace(string(File(f)))
		if want := "const k = " + tc.want; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestSourceError(t *testing.T) {
	if _, err := Source("bad.vle", []byte("const = 1")); err == nil {
		t.Error("no error for bad input")
	}
}
