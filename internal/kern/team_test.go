package kern

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTeam: a team's pass gives the bits of the two halves run one after
// the other (upper half into g, lower half into a scratch added to g),
// for every subset of the parts, sizes above and below TeamMin; and it
// agrees with a plain loop to rounding.
func TestTeam(t *testing.T) {
	team := NewTeam(512)
	defer team.Close()
	r := rand.New(rand.NewPCG(3, 4))
	vec := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	for _, size := range [][2]int{{513, 300}, {400, 512}, {2, 1 << 16}, {301, 3}} {
		m, n := size[0], size[1]
		if n > 512 {
			team = NewTeam(n)
			defer team.Close()
		}
		for mode := 1; mode < 8; mode++ {
			w0, x, e, a, c := vec(m*n), vec(n), vec(m), vec(m), vec(n)
			fwd, tr, upd := mode&1 != 0, mode&2 != 0, mode&4 != 0
			args := func(w []float64) (xs, ys, es, gs []float64, alpha float64, as, cs []float64) {
				if fwd {
					xs, ys = x, make([]float64, m)
				}
				if tr {
					es, gs = e, make([]float64, n)
				}
				if upd {
					alpha, as, cs = 0.3, a, c
				}
				return
			}
			// the team
			w1 := append([]float64(nil), w0...)
			x1, y1, e1, g1, al, a1, c1 := args(w1)
			s1 := team.Synapse(m, n, w1, x1, y1, e1, g1, al, a1, c1)
			// the halves by hand (or the whole pass below TeamMin)
			w2 := append([]float64(nil), w0...)
			x2, y2, e2, g2, _, a2, c2 := args(w2)
			var s2 float64
			if m*n < TeamMin {
				s2 = Synapse(m, n, w2, x2, y2, e2, g2, al, a2, c2)
			} else {
				h := m / 2
				cut := func(s []float64, lower bool) []float64 {
					switch {
					case s == nil:
						return nil
					case lower:
						return s[h:]
					}
					return s[:h]
				}
				var part []float64
				if tr {
					part = make([]float64, n)
				}
				s2 = Synapse(h, n, w2[:h*n], x2, cut(y2, false), cut(e2, false), g2, al, cut(a2, false), c2)
				s2 += Synapse(m-h, n, w2[h*n:], x2, cut(y2, true), cut(e2, true), part, al, cut(a2, true), c2)
				for j := range part {
					g2[j] += part[j]
				}
			}
			same := func(name string, u, v []float64) {
				for i := range u {
					if math.Float64bits(u[i]) != math.Float64bits(v[i]) {
						t.Fatalf("%dx%d mode %d: %s[%d] = %v, halves give %v", m, n, mode, name, i, u[i], v[i])
					}
				}
			}
			same("W", w1, w2)
			same("y", y1, y2)
			same("g", g1, g2)
			if math.Float64bits(s1) != math.Float64bits(s2) {
				t.Fatalf("%dx%d mode %d: sum %v, halves give %v", m, n, mode, s1, s2)
			}
			// and against plain loops, to rounding
			if tr {
				for j := 0; j < n; j += 37 {
					want, mag := 0.0, 0.0
					for i := range m {
						want += w0[i*n+j] * e[i]
						mag += math.Abs(w0[i*n+j] * e[i])
					}
					if math.Abs(g1[j]-want) > 1e-13*mag {
						t.Fatalf("%dx%d mode %d: g[%d] = %v, want %v", m, n, mode, j, g1[j], want)
					}
				}
			}
		}
	}
}

// BenchmarkTeam: n4's largest pass (1000 x 1000, all three parts), whole
// on one core and split between two.
func BenchmarkTeam(b *testing.B) {
	const m, n = 1000, 1000
	w := make([]float64, m*n)
	x, g, c := make([]float64, n), make([]float64, n), make([]float64, n)
	y, e, a := make([]float64, m), make([]float64, m), make([]float64, m)
	b.Run("one", func(b *testing.B) {
		b.SetBytes(16 * m * n)
		for b.Loop() {
			Synapse(m, n, w, x, y, e, g, 1e-12, a, c)
		}
	})
	b.Run("team", func(b *testing.B) {
		team := NewTeam(n)
		defer team.Close()
		b.SetBytes(16 * m * n)
		for b.Loop() {
			team.Synapse(m, n, w, x, y, e, g, 1e-12, a, c)
		}
	})
}
