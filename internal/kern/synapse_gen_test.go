package kern

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"
	"testing"
)

// The assembly synapse passes are generated: for each instruction set
// (AVX-512, AVX2/FMA) eight functions, one per subset of the parts
// (the empty one sums W only), from one template, so that a function
// does only the work of its parts with no branch in its loops; and the
// Go declarations and dispatch that call them. TestSynapseAsm checks
// that the files are what the generator writes;
//
//	go test ./internal/kern -run TestSynapseAsm -update
//
// rewrites them (write an empty synapse_amd64.s first if the one on disk
// does not assemble).

var update = flag.Bool("update", false, "rewrite the generated synapse files")

func TestSynapseAsm(t *testing.T) {
	goSrc, err := format.Source(genSynapseGo())
	if err != nil {
		t.Fatalf("generated Go: %v", err)
	}
	for _, f := range []struct {
		name string
		want []byte
	}{{"synapse_amd64.s", genSynapseAsm()}, {"synapse_gen_amd64.go", goSrc}} {
		if *update {
			if err := os.WriteFile(f.name, f.want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s differs from its generator (synapse_gen_test.go); run go test -run TestSynapseAsm -update", f.name)
		}
	}
}

// isa is an instruction set the synapse pass is generated for.
//
// Registers (Go assembler names). Integer: AX column offset in bytes, BX
// a, CX rows left, DX the end of the two-vector column blocks in bytes,
// SI row i of W, DI row i+1, R8 the row length in bytes (n*8; n*4 over
// float32), R9 x, R10 g, R11 c, R12 y, R13 e. Vector (V = Z or Y): V0, V1 row i's forward
// sums (column j in lane j mod 2w of the pair), V2, V3 row i+1's; V4, V5
// e[i], e[i+1]; V6, V7 s = alpha*a[i], alpha*a[i+1] (alpha read from the
// frame, no register left for it with AVX2); the two column blocks' x,
// W[i], W[i+1], g and c in temps[0]... and temps[1]...; V14, V15 the sum
// of W (column j in lane j mod 2w, as the forward sums); the tail mask
// (K1, or Y13 for VMASKMOVPD).
type isa struct {
	name  string // in function names
	title string // in comments
	v     string // vector register prefix
	width int    // numbers per vector (lanes)
	temps [2]int // first temporary of each column block
	// f32: float32 arithmetic over float32 operands (Synapse32): every
	// operand holds float32, 16 lanes per vector, the PS forms of the
	// instructions, g's sums in g itself; the sum of W in float32 lanes,
	// widened to float64 when returned. AVX-512 only.
	f32 bool
}

// op is the packed instruction base ("VADDP", "VMOVUP", "VFMADD231P")
// with its suffix for the lanes' type: S for float32, D for float64.
func (is isa) op(base string) string {
	if is.f32 {
		return base + "S"
	}
	return base + "D"
}

// es is the size in bytes of an entry of W, x, y, e, a, c.
func (is isa) es() int {
	if is.f32 {
		return 4
	}
	return 8
}

// shift is log2 of es.
func (is isa) shift() int {
	if is.f32 {
		return 2
	}
	return 3
}

// params are the assembly functions' parameters.
func (is isa) params() string {
	if is.f32 {
		return "m, n int, w, x, y, e, gs *float32, alpha float64, a, c *float32"
	}
	return "m, n int, w, x, y, e, gs *float64, alpha float64, a, c *float64"
}

// sliceParams are the dispatch function's operands.
func (is isa) sliceParams() string {
	if is.f32 {
		return "w, x, y, e, g []float32, alpha float64, a, c []float32"
	}
	return "w, x, y, e, g []float64, alpha float64, a, c []float64"
}

// elem is the Go type of W's entries.
func (is isa) elem() string {
	if is.f32 {
		return "float32"
	}
	return "float64"
}

// sumAcc is the first of the two accumulators of the sum of W (one per
// column block).
const sumAcc = 14

var (
	isaAVX512 = isa{name: "AVX512", title: "AVX-512", v: "Z", width: 8, temps: [2]int{8, 16}}
	// AVX2 has 16 vector registers: both blocks share their
	// temporaries (the loads rename them).
	isaAVX2      = isa{name: "AVX2", title: "AVX2/FMA", v: "Y", width: 4, temps: [2]int{8, 8}}
	isaAVX512F32 = isa{name: "AVX512", title: "AVX-512", v: "Z", width: 16, temps: [2]int{8, 16}, f32: true}
	isas         = []isa{isaAVX512, isaAVX2, isaAVX512F32}
)

type asmWriter struct {
	b    strings.Builder
	isa  isa
	mode int
}

func (w *asmWriter) ins(format string, args ...any) {
	fmt.Fprintf(&w.b, "\t"+format+"\n", args...)
}

func (w *asmWriter) label(l string) { fmt.Fprintf(&w.b, "%s:\n", l) }

func (w *asmWriter) has(part int) bool { return w.mode&part != 0 }

// reg is vector register i of the instruction set's width.
func (w *asmWriter) reg(i int) string { return fmt.Sprintf("%s%d", w.isa.v, i) }

// partLetters are the letters of a mode's parts: F forward, T
// transposed, U update; S (sum only) for none.
func partLetters(mode int) string {
	if mode == 0 {
		return "S"
	}
	s := ""
	for _, p := range []struct {
		bit    int
		letter string
	}{{partFwd, "F"}, {partTr, "T"}, {partUpd, "U"}} {
		if mode&p.bit != 0 {
			s += p.letter
		}
	}
	return s
}

// synapseFuncName is the function of an instruction set and a mode.
func synapseFuncName(is isa, mode int) string {
	if is.f32 {
		return "synapse32" + is.name + partLetters(mode)
	}
	return "synapse" + is.name + partLetters(mode)
}

func genSynapseAsm() []byte {
	var out strings.Builder
	out.WriteString(`// Code generated by TestSynapseAsm (synapse_gen_test.go); DO NOT EDIT.

#include "textflag.h"

// The fused synapse pass in assembly (see Synapse and synapse_amd64.go):
// y = W x, g += W^T e (g zero on entry) and W += s c^T with s = alpha a,
// each function computing the parts its name says (F, T, U; S none),
// and returning the sum of W after the pass. Every product is a fused
// multiply-add (VFMADD231PD; VFMADD231PS in the float32 synapse32
// functions). Column j of a row's forward sum accumulates in lane j mod
// 2w of two vectors of w numbers (w = 8 doubles for AVX-512, 4 for AVX2,
// 16 floats for AVX-512 over float32); their lanes are then added w to
// w, w/2 to w/2, ..., 1 to 1. The sum of W likewise, over the whole
// matrix, a pair of rows' two vectors added first; masked loads zero the
// lanes past the row's end, so that they add 0.

// synapseMask: 4 doubles from synapseMask+8*(4-r) enable lanes 0..r-1
// (the AVX2 tail of r = n%4 columns).
DATA synapseMask<>+0(SB)/8, $-1
DATA synapseMask<>+8(SB)/8, $-1
DATA synapseMask<>+16(SB)/8, $-1
DATA synapseMask<>+24(SB)/8, $-1
DATA synapseMask<>+32(SB)/8, $0
DATA synapseMask<>+40(SB)/8, $0
DATA synapseMask<>+48(SB)/8, $0
DATA synapseMask<>+56(SB)/8, $0
GLOBL synapseMask<>(SB), RODATA|NOPTR, $64
`)
	for _, is := range isas {
		for mode := range 8 {
			w := &asmWriter{isa: is, mode: mode}
			w.function()
			out.WriteString("\n")
			out.WriteString(w.b.String())
		}
	}
	return []byte(out.String())
}

// genSynapseGo writes the Go declarations of the functions and, per
// instruction set, the dispatch by mode.
func genSynapseGo() []byte {
	var b bytes.Buffer
	b.WriteString(`// Code generated by TestSynapseAsm (synapse_gen_test.go); DO NOT EDIT.

package kern

import "unsafe"
`)
	for _, is := range isas {
		for mode := range 8 {
			fmt.Fprintf(&b, "\n//go:noescape\nfunc %s(%s) float64\n", synapseFuncName(is, mode), is.params())
		}
	}
	for _, is := range isas {
		name, what := "synapse"+is.name, "W"
		if is.f32 {
			name, what = "synapse32"+is.name, "W as stored (float32)"
		}
		fmt.Fprintf(&b, `
// %[1]s runs a validated pass (m, n > 0, g cleared) of mode with
// %[2]s and returns the sum of %[4]s after it; only CPUs with %[2]s may
// call it.
func %[1]s(mode, m, n int, %[5]s) float64 {
	pw, px, py := unsafe.SliceData(w), unsafe.SliceData(x), unsafe.SliceData(y)
	pe, pg, pa, pc := unsafe.SliceData(e), unsafe.SliceData(g), unsafe.SliceData(a), unsafe.SliceData(c)
	switch mode {
`, name, is.title, is.elem(), what, is.sliceParams())
		for mode := range 8 {
			var parts []string
			for _, p := range []struct {
				bit  int
				name string
			}{{partFwd, "partFwd"}, {partTr, "partTr"}, {partUpd, "partUpd"}} {
				if mode&p.bit != 0 {
					parts = append(parts, p.name)
				}
			}
			if parts == nil {
				parts = []string{"0"}
			}
			fmt.Fprintf(&b, "case %s:\nreturn %s(m, n, pw, px, py, pe, pg, alpha, pa, pc)\n", strings.Join(parts, " | "), synapseFuncName(is, mode))
		}
		b.WriteString("}\npanic(\"kern.Synapse: bad mode\")\n}\n")
	}
	return b.Bytes()
}

// function writes the whole function of w's mode.
func (w *asmWriter) function() {
	name := synapseFuncName(w.isa, w.mode)
	fmt.Fprintf(&w.b, "// func %s(%s) float64\n", name, w.isa.params())
	fmt.Fprintf(&w.b, "TEXT ·%s(SB), NOSPLIT, $0-88\n", name)
	w.prologue()
	w.label("pairs")
	w.ins("CMPQ CX, $2")
	w.ins("JLT  single")
	w.rows(2)
	w.ins("SUBQ $2, CX")
	w.ins("JMP  pairs")
	w.b.WriteString("\n")
	w.label("single")
	w.ins("TESTQ CX, CX")
	w.ins("JEQ   done")
	w.rows(1)
	w.b.WriteString("\n")
	w.label("done")
	w.reduce(sumAcc, "ret+80(FP)", true)
	w.ins("VZEROUPPER")
	w.ins("RET")
}

// prologue loads the arguments, sets the tail mask to the low n%w lanes
// and clears the sum of W.
func (w *asmWriter) prologue() {
	wd := w.isa.width
	w.ins("MOVQ n+8(FP), DX")
	w.ins("MOVQ DX, R8")
	w.ins("SHLQ $%d, R8", w.isa.shift())
	w.ins("MOVQ DX, CX")
	w.ins("ANDQ $%d, CX", wd-1)
	if w.isa.v == "Z" {
		w.ins("MOVL $1, AX")
		w.ins("SHLL CX, AX")
		w.ins("DECL AX")
		w.ins("KMOVW AX, K1")
	} else {
		w.ins("NEGQ CX")
		w.ins("LEAQ synapseMask<>+32(SB), AX")
		w.ins("VMOVUPD (AX)(CX*8), Y13")
	}
	w.ins("ANDQ $-%d, DX", 2*wd)
	w.ins("SHLQ $%d, DX", w.isa.shift())
	w.ins("MOVQ m+0(FP), CX")
	w.ins("MOVQ w+16(FP), SI")
	if w.has(partFwd) {
		w.ins("MOVQ x+24(FP), R9")
		w.ins("MOVQ y+32(FP), R12")
	}
	if w.has(partTr) {
		w.ins("MOVQ e+40(FP), R13")
		w.ins("MOVQ gs+48(FP), R10")
	}
	if w.has(partUpd) {
		w.ins("MOVQ a+64(FP), BX")
		w.ins("MOVQ c+72(FP), R11")
	}
	for z := sumAcc; z < sumAcc+2; z++ {
		w.ins("%s %s, %s, %s", w.zero(), w.reg(z), w.reg(z), w.reg(z))
	}
	w.b.WriteString("\n")
}

// zero is the instruction that clears a vector register (xor with
// itself).
func (w *asmWriter) zero() string {
	if w.isa.v == "Y" {
		return "VXORPD"
	}
	return "VPXORQ"
}

// rows writes one pass over nr (1 or 2) rows starting at SI, with its
// labels prefixed by one or pair, and advances the row pointers.
func (w *asmWriter) rows(nr int) {
	p := map[int]string{1: "one", 2: "pair"}[nr]
	es := w.isa.es()
	vb := es * w.isa.width // bytes per vector
	if nr == 2 {
		w.ins("LEAQ (SI)(R8*1), DI")
	}
	for r := range nr {
		if w.has(partTr) {
			w.ins("%s %d(R13), %s", w.isa.op("VBROADCASTS"), es*r, w.reg(4+r))
		}
		if w.has(partUpd) {
			// s = alpha*a[i], in float64 (float32: a widened, the product
			// rounded to float32)
			w.ins("VMOVSD alpha+56(FP), X%d", 6+r)
			if w.isa.f32 {
				w.ins("VCVTSS2SD %d(BX), X24, X24", es*r)
				w.ins("VMULSD X24, X%d, X%d", 6+r, 6+r)
				w.ins("VCVTSD2SS X%d, X%d, X%d", 6+r, 6+r, 6+r)
				w.ins("VBROADCASTSS X%d, %s", 6+r, w.reg(6+r))
			} else {
				w.ins("VMULSD %d(BX), X%d, X%d", es*r, 6+r, 6+r)
				w.ins("VBROADCASTSD X%d, %s", 6+r, w.reg(6+r))
			}
		}
		if w.has(partFwd) {
			for _, z := range []int{2 * r, 2*r + 1} {
				w.ins("%s %s, %s, %s", w.zero(), w.reg(z), w.reg(z), w.reg(z))
			}
		}
	}
	w.ins("XORQ AX, AX")
	w.ins("TESTQ DX, DX")
	w.ins("JEQ   %sone", p)
	w.label(p + "two")
	w.block(nr, 0, 0, false)
	w.block(nr, vb, 1, false)
	w.ins("ADDQ $%d, AX", 2*vb)
	w.ins("CMPQ AX, DX")
	w.ins("JLT  %stwo", p)
	w.label(p + "one")
	w.ins("TESTQ $%d, R8", vb)
	w.ins("JEQ   %stail", p)
	w.block(nr, 0, 0, false)
	w.ins("ADDQ $%d, AX", vb)
	w.ins("TESTQ $%d, R8", vb-es)
	w.ins("JEQ   %ssum", p)
	w.block(nr, 0, 1, true)
	w.ins("JMP %ssum", p)
	w.label(p + "tail")
	w.ins("TESTQ $%d, R8", vb-es)
	w.ins("JEQ   %ssum", p)
	w.block(nr, 0, 0, true)
	w.label(p + "sum")
	if w.has(partFwd) {
		for r := range nr {
			w.reduce(2*r, fmt.Sprintf("%d(R12)", es*r), false)
		}
	}
	w.advance(nr)
}

// block writes one vector of columns of nr rows at AX+off: accumulator
// half acc (0 or 1) of the forward sums and of the sum of W, masked when
// masked (zeroing loads, masked stores).
func (w *asmWriter) block(nr, off, acc int, masked bool) {
	t := w.isa.temps[acc]
	zx, zg, zc := t, t+3, t+4
	zw := [2]int{t + 1, t + 2}
	rowReg := [2]string{"SI", "DI"}
	mov := w.isa.op("VMOVUP")
	addr := func(base string) string {
		if off == 0 {
			return fmt.Sprintf("(%s)(AX*1)", base)
		}
		return fmt.Sprintf("%d(%s)(AX*1)", off, base)
	}
	load := func(base string, z int) {
		switch {
		case !masked:
			w.ins("%s %s, %s", mov, addr(base), w.reg(z))
		case w.isa.v == "Z":
			w.ins("%s.Z %s, K1, %s", mov, addr(base), w.reg(z))
		default:
			w.ins("VMASKMOVPD %s, Y13, %s", addr(base), w.reg(z))
		}
	}
	store := func(z int, base string) {
		switch {
		case !masked:
			w.ins("%s %s, %s", mov, w.reg(z), addr(base))
		case w.isa.v == "Z":
			w.ins("%s %s, K1, %s", mov, w.reg(z), addr(base))
		default:
			w.ins("VMASKMOVPD %s, Y13, %s", w.reg(z), addr(base))
		}
	}
	fma := func(a, b, dst int) {
		w.ins("%s %s, %s, %s", w.isa.op("VFMADD231P"), w.reg(a), w.reg(b), w.reg(dst))
	}
	for r := range nr {
		load(rowReg[r], zw[r])
	}
	if w.has(partFwd) {
		load("R9", zx)
		for r := range nr {
			fma(zw[r], zx, 2*r+acc)
		}
	}
	if w.has(partTr) {
		load("R10", zg)
		for r := range nr {
			fma(zw[r], 4+r, zg)
		}
		store(zg, "R10")
	}
	if w.has(partUpd) {
		load("R11", zc)
		for r := range nr {
			fma(zc, 6+r, zw[r])
			store(zw[r], rowReg[r])
		}
	}
	// The sum of W: W[i] + W[i+1] (in the free x temporary), then into
	// the accumulator.
	add := func(a, b, dst int) { w.ins("%s %s, %s, %s", w.isa.op("VADDP"), w.reg(a), w.reg(b), w.reg(dst)) }
	sum := zw[0]
	if nr == 2 {
		add(zw[1], zw[0], zx)
		sum = zx
	}
	add(sum, sumAcc+acc, sumAcc+acc)
}

// reduce adds the lanes of the sums V(z), V(z+1) and stores the sum at
// dst: as the lanes' type, or (ret, with float32 lanes) widened to
// float64.
func (w *asmWriter) reduce(z int, dst string, ret bool) {
	add := w.isa.op("VADDP")
	w.ins("%s %s, %s, %s", add, w.reg(z+1), w.reg(z), w.reg(z))
	if w.isa.v == "Z" {
		w.ins("VEXTRACTF64X4 $1, Z%d, Y8", z)
		w.ins("%s Y8, Y%d, Y%d", add, z, z)
	}
	w.ins("VEXTRACTF128 $1, Y%d, X8", z)
	w.ins("%s X8, X%d, X%d", add, z, z)
	w.ins("VPERMILPD $1, X%d, X8", z)
	if !w.isa.f32 {
		w.ins("VADDSD X8, X%d, X%d", z, z)
		w.ins("VMOVSD X%d, %s", z, dst)
		return
	}
	w.ins("VADDPS X8, X%d, X%d", z, z)
	w.ins("VMOVSHDUP X%d, X8", z)
	w.ins("VADDSS X8, X%d, X%d", z, z)
	if ret {
		w.ins("VCVTSS2SD X%d, X%d, X%d", z, z, z)
		w.ins("VMOVSD X%d, %s", z, dst)
		return
	}
	w.ins("VMOVSS X%d, %s", z, dst)
}

// advance moves the row pointers past nr rows.
func (w *asmWriter) advance(nr int) {
	if nr == 1 {
		return // the last row
	}
	w.ins("LEAQ (DI)(R8*1), SI")
	step := 2 * w.isa.es()
	if w.has(partFwd) {
		w.ins("ADDQ $%d, R12", step)
	}
	if w.has(partTr) {
		w.ins("ADDQ $%d, R13", step)
	}
	if w.has(partUpd) {
		w.ins("ADDQ $%d, BX", step)
	}
}
