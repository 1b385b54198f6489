package parser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec/lang"
)

// genModel returns a syntactically valid model of at least size bytes,
// every construct of the language repeated with fresh names.
func genModel(size int) []byte {
	var b bytes.Buffer
	b.WriteString("model big // generated\nimport \"std/gle\"\n")
	b.WriteString("sim { dt = 10ms; duration = 30s; batch = 4; method = gle; learn_after = 5s }\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `
// block %[1]d
const tau%[1]d = 10ms
param beta%[1]d = 0.5 learnable
fn sq%[1]d(x, y) = (x - y) ^ 2 / 2
neuron kind%[1]d = gle(tau_m = 1ms, tau_r = 2.5E-3s, phi = softplus)
input x%[1]d[2] = sine(freq = 0.3Hz, phase = 1.0) + 0.5 * cosine(freq = 1kHz) - step(at = 1s, height = .5)
population h%[1]d[3] : kind%[1]d(tau_m = [0.5, 0.7, 0.9] learnable, b = 0.1)
connect x%[1]d -> h%[1]d W%[1]d : sparse(p = 0.1, seed = %[1]d) = [[0.3, -0.1], [0.2, 0.4], [1e-3, 2]] plastic
teacher T%[1]d = model("teacher.vle", x = x%[1]d)
energy {
  mismatch(h%[1]d) + beta%[1]d * mse(h%[1]d.r, T%[1]d.y.r) /* inline */
  0.5 * sumsq(W%[1]d @ x%[1]d.r - h%[1]d.u); logsumexp(-h%[1]d.uhat_m ^ 2)
}
learn { lr = 0.003, lr.W%[1]d = 0.01; optimizer = adam }
record h%[1]d.r, h%[1]d.u, W%[1]d every 10 steps to "run%[1]d.csv"
`, i)
	}
	return b.Bytes()
}

func TestGeneratedModel(t *testing.T) {
	src := genModel(50 << 10)
	f, err := Parse("gen.vle", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Decls) < 100 {
		t.Errorf("only %d decls", len(f.Decls))
	}
	checkAllPositions(t, "gen.vle", reflectValue(f))
}

// TestDeepNesting feeds 10,000 levels of every kind of nesting: each must
// give the depth error quickly, never a stack overflow.
func TestDeepNesting(t *testing.T) {
	const n = 10000
	for name, src := range map[string]string{
		"parens":   "const x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"brackets": "const x = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n),
		"calls":    "const x = " + strings.Repeat("f(", n) + "1" + strings.Repeat(")", n),
		"unary":    "const x = " + strings.Repeat("-", n) + "1",
		"power":    "const x = 1" + strings.Repeat("^1", n),
		"mixed":    "const x = " + strings.Repeat("-(+[2^", n),
		"unclosed": "const x = " + strings.Repeat("(", n),
	} {
		start := time.Now()
		_, err := Parse("deep.vle", []byte(src))
		d := lang.Diagnostics(err)
		if len(d) != 1 || !strings.Contains(d[0].Msg, "expression nested too deeply (more than 500 levels)") {
			t.Errorf("%s: got %v", name, err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("%s: took %v", name, el)
		}
	}
	// 500 levels are fine.
	src := "const x = " + strings.Repeat("(", 490) + "1" + strings.Repeat(")", 490)
	if _, err := Parse("ok.vle", []byte(src)); err != nil {
		t.Errorf("490 parentheses: %v", err)
	}
}

// TestLargeInput feeds 10 MB of bad input of several kinds: each must
// give positioned errors, not a panic, in bounded time. A valid 10 MB
// model parses too, at the speed BenchmarkParse reports; that takes tens
// of seconds and runs only with VLEC_LONG_TESTS=1.
func TestLargeInput(t *testing.T) {
	const size = 10 << 20
	model := genModel(64 << 10)
	model = append(model, "/*"...)
	model = append(model, bytes.Repeat([]byte("comment\n"), size/8)...)
	model = append(model, "*/\n"...)
	if os.Getenv("VLEC_LONG_TESTS") != "" {
		model = genModel(size)
	}
	for name, src := range map[string][]byte{
		"binary":        bytes.Repeat([]byte{0, 1, 2, 0xff, 'a'}, size/5),
		"control":       bytes.Repeat([]byte("const x = 1\x01\n"), size/14),
		"an error each": bytes.Repeat([]byte("const = 1\n"), size/10),
		"stray chars":   bytes.Repeat([]byte("$"), size),
		"one comment":   append([]byte("/*"), bytes.Repeat([]byte("x"), size)...),
		"one string":    append([]byte("const s = \""), bytes.Repeat([]byte("x"), size)...),
		"one sum":       append([]byte("const x = 1"), bytes.Repeat([]byte(" + 1"), size/4)...),
		"open parens":   bytes.Repeat([]byte("("), size),
		"error at end":  append(model[:len(model):len(model)], "const = 1\n"...),
	} {
		start := time.Now()
		_, err := Parse("large.vle", src)
		d := lang.Diagnostics(err)
		if len(d) == 0 || len(d) > maxErrors+1 {
			t.Errorf("%s: %d errors", name, len(d))
		}
		for _, e := range d {
			if !e.Pos.IsValid() || strings.Contains(e.Msg, "internal error") {
				t.Errorf("%s: %v", name, e)
			}
		}
		t.Logf("%s: %v, %d errors, first: %v", name, time.Since(start), len(d), d[0])
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.vle", []byte("model m\nconst x = 1\n"))
	f, src, err := ParseFile(good)
	if err != nil || f.Model.Name.Name != "m" || len(src) != 20 || f.Name != good {
		t.Errorf("ParseFile(good) = %v, %q, %v", f, src, err)
	}
	big := write("big.vle", make([]byte, MaxFileSize+1))
	bad := write("bad.vle", []byte("model m\nconst s = \"a\xffb\"\n"))
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.vle"), "missing.vle: no such file"},
		{dir, ": is a directory, not a .vle file"},
		{big, "big.vle: file too large (16777217 bytes; the limit is 16 MiB)"},
		{bad, "bad.vle:2:13: invalid UTF-8 encoding"},
	} {
		_, _, err := ParseFile(tc.path)
		d := lang.Diagnostics(err)
		if len(d) != 1 || !strings.Contains(d[0].Error(), tc.want) {
			t.Errorf("ParseFile(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	src := genModel(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.vle", src); err != nil {
			b.Fatal(err)
		}
	}
}
