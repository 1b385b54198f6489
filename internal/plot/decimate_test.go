package plot

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDecimator(t *testing.T) {
	spike := func(i int) float64 {
		if i == 31337 {
			return 50
		}
		return math.Sin(float64(i) / 100)
	}
	tests := []struct {
		name      string
		n         int
		columns   int
		y         func(i int) float64
		maxPoints int     // the envelope has at most this many points
		lo, hi    float64 // Range
		nonFinite int
		whole     bool // every sample comes back
	}{
		{"short series comes back whole", 50, 100, func(i int) float64 { return float64(i * i) }, 50, 0, 49 * 49, 0, true},
		{"exactly 2 x columns stays whole", 200, 100, func(i int) float64 { return float64(i) }, 200, 0, 199, 0, true},
		{"long sine: bounded, extremes kept", 100000, 100, func(i int) float64 { return math.Sin(float64(i) / 100) }, 400, -1, 1, 0, false},
		{"a one-sample spike survives", 100000, 100, spike, 400, -1, 50, 0, false},
		{"non-finite values are counted, not kept", 1000, 100, func(i int) float64 {
			switch i % 10 {
			case 3:
				return math.NaN()
			case 7:
				return math.Inf(1)
			}
			return 1
		}, 400, 1, 1, 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Decimator{Columns: tc.columns}
			for i := range tc.n {
				d.Add(float64(i)*0.01, tc.y(i))
			}
			xs, ys := d.Envelope()
			if len(xs) > tc.maxPoints || len(xs) != len(ys) {
				t.Errorf("envelope has %d x and %d y, want at most %d", len(xs), len(ys), tc.maxPoints)
			}
			lo, hi, ok := d.Range()
			if !ok || math.Abs(lo-tc.lo) > 1e-4 || math.Abs(hi-tc.hi) > 1e-9 {
				t.Errorf("Range = %v, %v, %v; want %v, %v", lo, hi, ok, tc.lo, tc.hi)
			}
			if got := d.NonFinite(); got != tc.nonFinite {
				t.Errorf("NonFinite = %d, want %d", got, tc.nonFinite)
			}
			if got, want := d.Len(), tc.n-tc.nonFinite; got != want {
				t.Errorf("Len = %d, want %d", got, want)
			}
			for i := 1; i < len(xs); i++ {
				if xs[i] < xs[i-1] {
					t.Fatalf("envelope x not in order at %d: %v after %v", i, xs[i], xs[i-1])
				}
			}
			if tc.whole {
				if len(xs) != tc.n {
					t.Fatalf("%d points, want all %d", len(xs), tc.n)
				}
				for i := range xs {
					if xs[i] != float64(i)*0.01 || ys[i] != tc.y(i) {
						t.Fatalf("point %d = (%v, %v), want (%v, %v)", i, xs[i], ys[i], float64(i)*0.01, tc.y(i))
					}
				}
			}
		})
	}
}

// Every bucket holds the extremes of the samples in its interval,
// checked against a brute force over the samples.
func TestDecimatorBucketExtremes(t *testing.T) {
	d := &Decimator{Columns: 10}
	y := func(i int) float64 { return math.Sin(float64(i)*0.37) * float64(i%17) }
	const n = 5000
	for i := range n {
		d.Add(float64(i), y(i))
	}
	for k, b := range d.buckets {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range n {
			x := float64(i)
			if d.index(x) == k {
				lo, hi = math.Min(lo, y(i)), math.Max(hi, y(i))
			}
		}
		if b.lo != lo || b.hi != hi {
			t.Fatalf("bucket %d: [%v, %v], brute force [%v, %v]", k, b.lo, b.hi, lo, hi)
		}
	}
	if len(d.buckets) < 10 || len(d.buckets) > 20 {
		t.Errorf("%d buckets, want 10 to 20", len(d.buckets))
	}
}

func TestDecimatorMean(t *testing.T) {
	// a constant is its own mean at any window
	d := &Decimator{Columns: 50}
	for i := range 10000 {
		d.Add(float64(i), 3)
	}
	for _, w := range []float64{0, 100, 2000} {
		_, ys := d.Mean(w)
		for _, y := range ys {
			if y != 3 {
				t.Fatalf("window %v: mean %v of a constant 3", w, y)
			}
		}
	}
	// without smoothing, a series kept whole comes back as it is, each
	// value at its own x
	d = &Decimator{Columns: 50}
	for i := range 12 {
		d.Add(0.05*float64(i), float64(i*i))
	}
	xs, ys := d.Mean(0)
	for i := range 12 {
		if math.Abs(xs[i]-0.05*float64(i)) > 1e-15 || ys[i] != float64(i*i) {
			t.Fatalf("Mean(0) point %d = (%v, %v), want (%v, %v)", i, xs[i], ys[i], 0.05*float64(i), i*i)
		}
	}
	// a cost that falls 20 decades: its running mean stays positive and
	// follows it (a prefix sum would cancel the late values to 0)
	d = &Decimator{Columns: 100}
	for i := range 20000 {
		d.Add(float64(i), math.Pow(10, -float64(i)/1000))
	}
	xs, ys = d.Mean(200)
	for i := range ys {
		if !(ys[i] > 0) {
			t.Fatalf("mean %v at x = %v is not positive", ys[i], xs[i])
		}
	}
	if last := ys[len(ys)-1]; last > 1e-18 || last < 1e-21 {
		t.Errorf("last mean %v, want about 1e-20", last)
	}
	// a window of w averages about w of the series: the mean of a sawtooth
	// of period 10 over a window of 1000 is its average, 4.5
	d = &Decimator{Columns: 100}
	for i := range 100000 {
		d.Add(float64(i), float64(i%10))
	}
	_, ys = d.Mean(5000)
	for _, y := range ys[len(ys)/4 : 3*len(ys)/4] {
		if math.Abs(y-4.5) > 0.01 {
			t.Fatalf("running mean %v of a sawtooth of mean 4.5", y)
		}
	}
}

func TestDecimatorOrder(t *testing.T) {
	d := &Decimator{Columns: 10}
	d.Add(1, 1)
	d.Add(2, 2)
	d.Add(1.5, 100) // earlier than the last: dropped
	d.Add(math.NaN(), 5)
	d.Add(3, 3)
	xs, ys := d.Envelope()
	if len(xs) != 3 || ys[2] != 3 {
		t.Fatalf("envelope %v %v, want the three ordered samples", xs, ys)
	}
}

func TestDecimatorLogWidth(t *testing.T) {
	// Width set: a series whose spacing shrinks (log time) keeps fine
	// buckets where it is dense
	d := &Decimator{Columns: 100, Width: 1e-3}
	for i := 1; i <= 100000; i++ {
		d.Add(math.Log10(float64(i)), float64(i))
	}
	if len(d.buckets) < 100 || len(d.buckets) > 200 {
		t.Fatalf("%d buckets, want 100 to 200", len(d.buckets))
	}
	if d.width > 5.0/100 {
		t.Errorf("bucket width %v decades, want at most 5 decades / 100 columns", d.width)
	}
}

// Non-finite values before the first finite one do not place the
// buckets: a log-time series may start below x = 0.
func TestDecimatorLeadingNaN(t *testing.T) {
	d := &Decimator{Columns: 10, Width: 1e-3}
	d.Add(-3, math.NaN())
	for i := range 100 {
		d.Add(-2+float64(i)*0.01, float64(i))
	}
	xs, ys := d.Envelope()
	if d.NonFinite() != 1 || len(xs) == 0 || xs[0] != -2 || ys[0] != 0 {
		t.Fatalf("envelope starts at (%v, %v) of %d points, %d non-finite", xs[0], ys[0], len(xs), d.NonFinite())
	}
}

// Random streams (NaN, infinities, repeated and decreasing x, any
// Width): never a panic, and the extremes kept are those of the finite
// samples the decimator accepts.
func TestDecimatorRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		d := &Decimator{Columns: 1 + rng.IntN(20)}
		if rng.IntN(2) == 0 {
			d.Width = rng.Float64() * 0.1
		}
		lo, hi, last, seen := math.Inf(1), math.Inf(-1), math.Inf(-1), false
		x := rng.NormFloat64() * 10
		for range rng.IntN(3000) {
			x += []float64{0, 0.01, 1, -0.5, 1e3}[rng.IntN(5)]
			y := rng.NormFloat64()
			switch rng.IntN(20) {
			case 0:
				y = math.NaN()
			case 1:
				y = math.Inf(-1)
			}
			d.Add(x, y)
			if x >= last || !seen {
				last, seen = x, true
				if !math.IsNaN(y) && !math.IsInf(y, 0) {
					lo, hi = math.Min(lo, y), math.Max(hi, y)
				}
			}
		}
		glo, ghi, ok := d.Range()
		if ok != !math.IsInf(lo, 1) || ok && (glo != lo || ghi != hi) {
			t.Fatalf("trial %d: Range %v %v %v, want %v %v", trial, glo, ghi, ok, lo, hi)
		}
		if n := len(d.buckets); n > 2*d.Columns {
			t.Fatalf("trial %d: %d buckets for %d columns", trial, n, d.Columns)
		}
	}
}
