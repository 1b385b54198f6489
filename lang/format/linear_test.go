package format

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/parser"
)

// longSum is a constant that sums n+1 ones: n binary operators in one
// left-leaning chain, the shape that made the formatter quadratic.
func longSum(n int) string {
	return "model big\nconst x = 1" + strings.Repeat(" + 1", n) + "\n"
}

// mixed spreads about n operators over every construct whose layout the
// formatter measures: energy terms over several lines with comments,
// selectors, parentheses, a weight list with one row per line, call
// arguments one per line.
func mixed(n int) string {
	var b strings.Builder
	b.WriteString("model big\nimport \"std/gle\"\nsim { dt = 1ms; duration = 1s }\n")
	row := func(k int) string { return "1" + strings.Repeat(" + 2 * 3", k) }
	b.WriteString("const w = [\n")
	for i := 0; i < n/40; i++ {
		fmt.Fprintf(&b, "  [%s, (%s)],\n", row(5), row(4))
	}
	b.WriteString("]\ninput x[2] = f(\n  a = 1")
	for i := 0; i < n/40; i++ {
		b.WriteString(" - t / 2 // go on\n  + t")
	}
	b.WriteString(",\n  b = 2,\n)\nenergy {\n")
	for i := 0; i < n/40; i++ {
		b.WriteString("  (h.r - y.r) @ h.u + mismatch(h) /* c */ +\n    -y.e ^ 2 * 0.5 - (W @ x.r).u\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// work formats src and returns how many nodes and operands the printer
// visited on the way.
func work(t *testing.T, src string) int {
	t.Helper()
	f, err := parser.Parse("big.vle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return render(f).work
}

// TestFormatLinear counts the formatter's work (node visits, not time)
// for an input and one twice its size: it must grow linearly. Asking every
// operand of a 20,000-operator sum for its start position, as the line
// measure once did, makes the ratio about 4.
func TestFormatLinear(t *testing.T) {
	for name, gen := range map[string]func(int) string{"sum": longSum, "mixed": mixed} {
		const n = 10_000
		small, large := work(t, gen(n)), work(t, gen(2*n))
		ratio := float64(large) / float64(small)
		t.Logf("%s: work %d for %d operators, %d for %d: ratio %.2f", name, small, n, large, 2*n, ratio)
		if small < n || ratio > 2.5 {
			t.Errorf("%s: formatting is not linear: work %d for %d operators, %d for %d (ratio %.2f, want <= 2.5)",
				name, small, n, large, 2*n, ratio)
		}
	}
}

// BenchmarkFormatLarge formats a 99,000-operator sum, within the parser's
// limit of 100,000 operators per declaration.
func BenchmarkFormatLarge(b *testing.B) {
	f, err := parser.Parse("big.vle", []byte(longSum(99_000)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		File(f)
	}
}
