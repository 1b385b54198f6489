package runtime_test

import (
	"testing"

	"github.com/vlec-dev/vlec/runtime"
)

// The benchmark networks of examples/bench (see BENCHMARKS.md): one
// iteration is one step, learning on.
func benchModel(b *testing.B, name string) {
	prog := compile(b, "../examples/bench/"+name+".vle")
	sim, err := runtime.New(prog, runtime.Options{Steps: 1 << 40, NoGuard: false})
	if err != nil {
		b.Fatal(err)
	}
	for range 3 {
		if err := sim.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := sim.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkN1(b *testing.B) { benchModel(b, "n1") }
func BenchmarkN2(b *testing.B) { benchModel(b, "n2") }
func BenchmarkN3(b *testing.B) { benchModel(b, "n3") }
func BenchmarkN4(b *testing.B) { benchModel(b, "n4") }
func BenchmarkN5(b *testing.B) { benchModel(b, "n5") }
