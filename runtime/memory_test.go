package runtime

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/lang"
)

func compileText(t *testing.T, text string) *vlec.Compiled {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c
}

// tinyModel's buffers, counted by hand (batch 4, float64):
//
//	W        param  2x3       48 bytes
//	x        input  3 x 4     96
//	y.u, y.e, y.v, y.uhat_r   states, 2 x 4, two halves each: 4 x 128 = 512
//	y.udot, y.ebar, y.vdot, y.I, W @ x   temporaries 2 x 4: 5 x 64 = 320
//	y.b, y.tau_m, y.tau_r     params 2: 3 x 16 = 48
//
// 1024 bytes in all; the batched product W @ x (4 x 2 from 3) packs, per
// worker, an A block of 8 x 3, a B block of 8 x 3 and the two edge
// panels 8 x 3: 96 values, 768 bytes.
const tinyModel = `model tiny
import "std/gle"
sim { dt = 1ms; duration = 10ms; batch = 4 }
input x[3] = 0.5
population y[2] : gle(tau_m = 20ms, tau_r = 1ms)
connect x -> y W = 0.1
energy { mismatch(y) }
`

func TestEstimateMemoryByHand(t *testing.T) {
	c := compileText(t, tinyModel)
	est := EstimateMemory(c.Program)
	parts := map[string]int64{}
	var sum, buffers int64
	for _, p := range est.Parts {
		parts[p.What] += p.Bytes
		sum += p.Bytes
		if !strings.HasPrefix(p.What, "packing") && !strings.HasPrefix(p.What, "registers") {
			buffers += p.Bytes
		}
	}
	for what, want := range map[string]int64{"W": 48, "x": 96, "y.u (2 halves)": 128, "y.udot": 64, "y.tau_m": 16} {
		if parts[what] != want {
			t.Errorf("%s: %d bytes, want %d", what, parts[what], want)
		}
	}
	if buffers != 1024 {
		t.Errorf("buffers: %d bytes, want 1024 (%v)", buffers, est.Parts)
	}
	workers := int64(goruntime.GOMAXPROCS(0))
	if p := parts[packingName(int(workers))]; p != 768*workers {
		t.Errorf("packing: %d bytes, want %d (%v)", p, 768*workers, est.Parts)
	}
	if est.Bytes != sum {
		t.Errorf("total %d, the parts sum to %d", est.Bytes, sum)
	}
	for i := 1; i < len(est.Parts); i++ {
		if est.Parts[i].Bytes > est.Parts[i-1].Bytes {
			t.Errorf("parts not largest first: %v", est.Parts)
		}
	}
}

func packingName(workers int) string {
	return fmt.Sprintf("packing of matrix products (%d workers)", workers)
}

// midModel has a dense, a sparse and a one_to_one connection, Adam,
// batch 4 and a noise input, so that the estimate's every part is
// exercised at sizes where they dominate the allocation.
const midModel = `model mid
import "std/gle"
sim { dt = 1ms; duration = 10ms; batch = 4%s }
input x[300] = sine(freq = 1Hz) + ou(tau = 10ms, sigma = 0.1)
population h[600] : gle(tau_m = 20ms, tau_r = 1ms, phi = tanh)
population y[50] : gle(tau_m = 20ms, tau_r = 1ms)
population z[50] : gle(tau_m = 20ms, tau_r = 1ms)
connect x -> h W0 = glorot() plastic
connect h -> y W1 = glorot() plastic
connect y -> z W2 : one_to_one = constant(1)
connect h -> h Wr : sparse(p = 0.1) = normal(0, 0.01) plastic
energy { mismatch(h) + mismatch(y) + mismatch(z) + 0.1 * mse(z.r, 0.3) }
learn { lr = 0.01; optimizer = adam%s }
`

// TestEstimateMemoryMatchesAllocation compares the estimate with what New
// (and, for method adjoint, the training sweep) allocates.
func TestEstimateMemoryMatchesAllocation(t *testing.T) {
	for _, c := range []struct{ name, sim, learn string }{
		{"gle", "", ""},
		{"adjoint", "; method = adjoint", "; window = 5ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			comp := compileText(t, strings.Replace(strings.Replace(midModel, "%s", c.sim, 1), "%s", c.learn, 1))
			est := EstimateMemory(comp.Program)
			goruntime.GC()
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			sim, err := New(comp.Program, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			if w := comp.Model.Learn.Window; w > 0 {
				rev, err := adjoint.Reverse(comp.Program)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := NewSweep(sim, rev, SweepOptions{Window: w}); err != nil {
					t.Fatal(err)
				}
			}
			goruntime.ReadMemStats(&after)
			got := int64(after.TotalAlloc - before.TotalAlloc)
			r := float64(est.Bytes) / float64(got)
			t.Logf("estimate %s, allocated %s (ratio %.3f)", FormatBytes(est.Bytes), FormatBytes(got), r)
			if r < 0.9 || r > 1.15 {
				t.Errorf("estimate %s, allocated %s (ratio %.2f); parts %v", FormatBytes(est.Bytes), FormatBytes(got), r, est.Parts[:5])
			}
		})
	}
}

// TestMemoryLimit: New refuses a model that needs more than MaxMemory,
// before allocating, at the declaration of its largest part; a model
// whose size overflows any machine is refused whatever the limit.
func TestMemoryLimit(t *testing.T) {
	c := compileText(t, tinyModel)
	est := EstimateMemory(c.Program)
	if _, err := New(c.Program, Options{MaxMemory: est.Bytes}); err != nil {
		t.Fatalf("at the estimate: %v", err)
	}
	_, err := New(c.Program, Options{MaxMemory: est.Bytes - 1})
	var list lang.ErrorList
	want := "model tiny needs about " + FormatBytes(est.Bytes) + " of memory, more than --max-memory " + FormatBytes(est.Bytes-1)
	if !errors.As(err, &list) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v", err)
	}

	huge := compileText(t, `model huge
import "std/gle"
sim { dt = 1ms; duration = 10ms; batch = 2147483648 }
input x[1] = 0
population h[1048576] : gle(tau_m = 20ms)
connect x -> h W = 1
connect h -> h R = 0.001
energy { mismatch(h) }
`)
	before := heapAlloc()
	_, err = New(huge.Program, Options{})
	if err == nil || !strings.Contains(err.Error(), "model huge needs about") {
		t.Fatalf("error %v", err)
	}
	if d := lang.Diagnostics(err); d[0].Pos.Line != 5 {
		t.Errorf("at %v, want the population h (line 5)", d[0].Pos)
	}
	if grown := heapAlloc() - before; grown > 1<<26 {
		t.Errorf("the refusal allocated %s", FormatBytes(int64(grown)))
	}
}

func heapAlloc() uint64 {
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.TotalAlloc
}

func TestSaturatingArithmetic(t *testing.T) {
	if got := mul(1<<31, 1<<20, 1<<20, 8); got != math.MaxInt64 {
		t.Errorf("mul overflowed to %d", got)
	}
	if got := add(math.MaxInt64-1, 2); got != math.MaxInt64 {
		t.Errorf("add overflowed to %d", got)
	}
	if got := mul(3, 5, 8); got != 120 {
		t.Errorf("mul = %d", got)
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"512", 512}, {"8GiB", 8 << 30}, {"8G", 8 << 30}, {"1.5 GiB", 3 << 29}, {"16GB", 16e9}, {"512MiB", 512 << 20},
		{"2TiB", 2 << 40}, {"100kB", 1e5}, {"4k", 4096},
		{"0", -1}, {"-3GiB", -1}, {"8XB", -1}, {"GiB", -1}, {"1e30", -1}, {"", -1},
	} {
		got, err := ParseBytes(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("%q: %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 1536: "1.5 KiB", 80 << 30: "80.0 GiB", 8 << 40: "8.0 TiB", math.MaxInt64: "8.0 EiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestMeminfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meminfo")
	text := "MemTotal:       24683548 kB\nMemFree:         1000 kB\nMemAvailable:   24313544 kB\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if kb, ok := meminfo(path, "MemAvailable"); !ok || kb != 24313544 {
		t.Errorf("MemAvailable %d %v", kb, ok)
	}
	if _, ok := meminfo(path, "SwapFree"); ok {
		t.Error("a missing field was found")
	}
	if _, ok := meminfo(filepath.Join(t.TempDir(), "none"), "MemAvailable"); ok {
		t.Error("a missing file was read")
	}
}
