package runtime_test

import (
	"testing"

	"github.com/vlec-dev/vlec/runtime"
)

// The exact-gradient sweep on the benchmark networks of examples/bench
// (their free dynamics, see BENCHMARKS.md): one iteration is one sweep of
// `window` steps (forward, then reverse with each step recomputed);
// steps/s counts window steps.
func benchSweep(b *testing.B, name string, window int, checkpoint bool) {
	fwd, rev := compileFree(b, "../examples/bench/"+name+".vle")
	sim, err := runtime.New(fwd, runtime.Options{Steps: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	sw, err := runtime.NewSweep(sim, rev, runtime.SweepOptions{Window: window, Checkpoint: checkpoint})
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.Run(window); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := sw.Run(window); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*window)/b.Elapsed().Seconds(), "steps/s")
}

// benchFree steps the free dynamics alone, for comparison.
func benchFree(b *testing.B, name string) {
	fwd, _ := compileFree(b, "../examples/bench/"+name+".vle")
	sim, err := runtime.New(fwd, runtime.Options{Steps: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := sim.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkFreeN1(b *testing.B)      { benchFree(b, "n1") }
func BenchmarkFreeN2(b *testing.B)      { benchFree(b, "n2") }
func BenchmarkFreeN3(b *testing.B)      { benchFree(b, "n3") }
func BenchmarkFreeN4(b *testing.B)      { benchFree(b, "n4") }
func BenchmarkSweepN1(b *testing.B)     { benchSweep(b, "n1", 1000, false) }
func BenchmarkSweepN1Ckpt(b *testing.B) { benchSweep(b, "n1", 1000, true) }
func BenchmarkSweepN2(b *testing.B)     { benchSweep(b, "n2", 1000, false) }
func BenchmarkSweepN2Ckpt(b *testing.B) { benchSweep(b, "n2", 1000, true) }
func BenchmarkSweepN3(b *testing.B)     { benchSweep(b, "n3", 1000, false) }
func BenchmarkSweepN3Ckpt(b *testing.B) { benchSweep(b, "n3", 1000, true) }
func BenchmarkSweepN4(b *testing.B)     { benchSweep(b, "n4", 100, false) }
func BenchmarkSweepN4Ckpt(b *testing.B) { benchSweep(b, "n4", 100, true) }
func BenchmarkSweepN5Ckpt(b *testing.B) { benchSweep(b, "n5", 100, true) }
