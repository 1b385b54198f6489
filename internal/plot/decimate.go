package plot

import "math"

// A bucket summarises the samples of one x interval: their extremes with
// where they occur, and their sum and count for means.
type bucket struct {
	lo, hi   float64 // the smallest and the largest value
	xlo, xhi float64 // where they occur (the first occurrence)
	sum      float64 // of the values
	sx       float64 // of the x, for the mean's place
	n        int
}

func (b *bucket) add(x, y float64) {
	if b.n == 0 || y < b.lo {
		b.lo, b.xlo = y, x
	}
	if b.n == 0 || y > b.hi {
		b.hi, b.xhi = y, x
	}
	b.sum += y
	b.sx += x
	b.n++
}

func (b *bucket) merge(o *bucket) {
	if o.n == 0 {
		return
	}
	if b.n == 0 {
		*b = *o
		return
	}
	if o.lo < b.lo {
		b.lo, b.xlo = o.lo, o.xlo
	}
	if o.hi > b.hi {
		b.hi, b.xhi = o.hi, o.xhi
	}
	b.sum += o.sum
	b.sx += o.sx
	b.n += o.n
}

// A Decimator reduces a stream of samples (x, y), x non-decreasing, to
// at most 2 x Columns buckets of equal width in x, keeping each bucket's
// smallest and largest value (min/max decimation: drawn through them, a
// line covers every value the full series takes in that pixel column)
// and its mean. It needs neither the length nor the range of the stream
// in advance: it starts with one bucket per sample spacing and doubles
// the width, merging neighbours, whenever the buckets would exceed
// 2 x Columns. So a series of at most 2 x Columns evenly spaced samples
// comes back whole, and memory is bounded whatever the length. Non-finite values are
// counted (NonFinite) but not kept.
type Decimator struct {
	// Columns is the least number of buckets kept once the stream is
	// longer (there are up to twice as many): at least the number of
	// pixel columns drawn into.
	Columns int
	// Width, when positive, is the bucket width to start with instead of
	// the spacing of the first two samples: for samples whose spacing
	// shrinks (times on a log axis), where the first spacing would leave
	// the rest coarse.
	Width float64

	x0, width float64  // the origin and width of the buckets; width 0 until known
	started   bool     // x0 is set: a finite sample was added
	seen      bool     // last is set: any sample was added
	buckets   []bucket // bucket i covers [x0 + i*width, x0 + (i+1)*width)
	first     []bucket // samples seen before the width is known (same x)
	nonFinite int
	last      float64
}

// Add adds the sample (x, y). Samples with a smaller x than the previous
// one are dropped (a recording's time never decreases).
func (d *Decimator) Add(x, y float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || d.seen && x < d.last {
		return
	}
	d.last, d.seen = x, true
	if math.IsNaN(y) || math.IsInf(y, 0) {
		d.nonFinite++
		return
	}
	if !d.started {
		// the first finite sample places the buckets
		d.x0, d.started = x, true
		if d.Width > 0 {
			d.width = d.Width
		}
	}
	if d.width == 0 {
		if x == d.x0 {
			if len(d.first) == 0 {
				d.first = append(d.first, bucket{})
			}
			d.first[0].add(x, y)
			return
		}
		d.width = x - d.x0
		d.buckets = append(d.buckets[:0], d.first...)
		d.first = nil
	}
	i := d.index(x)
	for i >= 2*max(d.Columns, 1) {
		d.halve()
		i = d.index(x)
	}
	for len(d.buckets) <= i {
		d.buckets = append(d.buckets, bucket{})
	}
	d.buckets[i].add(x, y)
}

// index is the bucket of x; rounding keeps samples on a regular grid
// in their own bucket.
func (d *Decimator) index(x float64) int {
	f := (x - d.x0) / d.width
	i := math.Floor(f + 1e-9*math.Max(1, math.Abs(f)))
	switch {
	case i > math.MaxInt32:
		return math.MaxInt32
	case i < 0: // x below x0 by rounding
		return 0
	}
	return int(i)
}

// halve doubles the bucket width, merging neighbouring buckets.
func (d *Decimator) halve() {
	n := (len(d.buckets) + 1) / 2
	for i := range n {
		b := d.buckets[2*i]
		if 2*i+1 < len(d.buckets) {
			b.merge(&d.buckets[2*i+1])
		}
		d.buckets[i] = b
	}
	d.buckets = d.buckets[:n]
	d.width *= 2
}

// NonFinite is the number of NaN or infinite values added.
func (d *Decimator) NonFinite() int { return d.nonFinite }

// Len is the number of finite samples kept so far, summed over buckets.
func (d *Decimator) Len() int {
	n := 0
	for _, b := range d.all() {
		n += b.n
	}
	return n
}

func (d *Decimator) all() []bucket {
	if d.width == 0 {
		return d.first
	}
	return d.buckets
}

// Envelope returns the decimated series: per non-empty bucket its
// smallest and its largest value at the x where each occurs, in the
// order they occur (one point when both are the same sample).
func (d *Decimator) Envelope() (xs, ys []float64) {
	for _, b := range d.all() {
		if b.n == 0 {
			continue
		}
		switch {
		case b.xlo == b.xhi:
			xs, ys = append(xs, b.xlo), append(ys, b.lo)
		case b.xlo < b.xhi:
			xs, ys = append(xs, b.xlo, b.xhi), append(ys, b.lo, b.hi)
		default:
			xs, ys = append(xs, b.xhi, b.xlo), append(ys, b.hi, b.lo)
		}
	}
	return xs, ys
}

// Mean returns the series smoothed by a running mean over a window of
// width x (0: the buckets' own means), one point per non-empty bucket:
// the mean of the samples of the buckets within window/2 of it, at the
// mean x of those samples.
func (d *Decimator) Mean(window float64) (xs, ys []float64) {
	all := d.all()
	k := 0
	if d.width > 0 && window > d.width {
		k = int(window / d.width / 2)
	}
	// direct sums: a prefix sum would cancel away a cost that fell by
	// many decades
	for i, b := range all {
		if b.n == 0 {
			continue
		}
		sum, sx, n := 0.0, 0.0, 0
		for _, o := range all[max(0, i-k):min(len(all), i+k+1)] {
			sum, sx, n = sum+o.sum, sx+o.sx, n+o.n
		}
		xs = append(xs, sx/float64(n))
		ys = append(ys, sum/float64(n))
	}
	return xs, ys
}

// Range returns the smallest and the largest finite value kept, and
// whether there is one.
func (d *Decimator) Range() (lo, hi float64, ok bool) {
	for _, b := range d.all() {
		if b.n == 0 {
			continue
		}
		if !ok || b.lo < lo {
			lo = b.lo
		}
		if !ok || b.hi > hi {
			hi = b.hi
		}
		ok = true
	}
	return lo, hi, ok
}

// PositiveMin returns the smallest positive value among the buckets'
// extremes and means, for a log scale; false when there is none.
func (d *Decimator) PositiveMin() (float64, bool) {
	m, ok := 0.0, false
	for _, b := range d.all() {
		for _, v := range []float64{b.lo, b.hi, b.sum / float64(max(b.n, 1))} {
			if b.n > 0 && v > 0 && (!ok || v < m) {
				m, ok = v, true
			}
		}
	}
	return m, ok
}

// xRange is the x of the first and the last sample kept.
func (d *Decimator) xRange() (lo, hi float64) {
	all := d.all()
	first, last := true, 0.0
	for _, b := range all {
		if b.n == 0 {
			continue
		}
		if first {
			lo, first = math.Min(b.xlo, b.xhi), false
		}
		last = math.Max(b.xlo, b.xhi)
	}
	return lo, last
}
