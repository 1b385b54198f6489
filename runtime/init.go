package runtime

import (
	"fmt"
	"github.com/vlec-dev/vlec/internal/npy"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// Random streams. An explicit seed in the model (glorot(seed = 1),
// sparse(0.1, seed = 3), ou(..., seed = 7)) fixes a stream by itself: the
// same seed gives the same numbers in every model. Without one (seed = 0)
// the stream derives from the sim seed (or --seed) and the name of the
// connection or input, so that different connections get different
// numbers.
func newRand(explicit, simSeed uint64, stream string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(stream))
	if explicit != 0 {
		return rand.New(rand.NewPCG(explicit, 0x5eed_0f_71ec))
	}
	return rand.New(rand.NewPCG(simSeed, h.Sum64()))
}

// initParams writes the initial value of every parameter: its Init, or for
// weights without one the connection's initialiser; then zeroes the
// weights off their connectivity mask.
func (s *Sim) initParams() error {
	s.masks = map[int][]bool{}
	for _, b := range s.prog.Buffers {
		v := s.vals[b.ID]
		switch {
		case b.Init != nil:
			if len(b.Init) != b.Size() {
				return fmt.Errorf("%s: %d initial values for %d entries", b.Name, len(b.Init), b.Size())
			}
			for r := 0; r < s.rows(b); r++ {
				copy(v[r*b.Size():], b.Init)
			}
		case b.Conn != nil:
			if err := s.initWeights(b, v); err != nil {
				return positioned(b.Conn.Pos, err)
			}
		}
		if b.Conn != nil {
			mask, err := s.mask(b)
			if err != nil {
				return err
			}
			if mask != nil {
				s.masks[b.ID] = mask
				for i, on := range mask {
					if !on {
						v[i] = 0
					}
				}
			}
		}
	}
	return nil
}

func (s *Sim) initWeights(b *schedule.Buffer, v []float64) error {
	c := b.Conn
	rows, cols := b.Shape.Rows(), b.Shape.Cols()
	in := c.Init
	switch in.Kind {
	case check.InitLiteral:
		if len(in.Literal) != rows {
			return fmt.Errorf("%s: literal has %d rows, needs %d", c.Name, len(in.Literal), rows)
		}
		for i, row := range in.Literal {
			if len(row) != cols {
				return fmt.Errorf("%s: literal row %d has %d values, needs %d", c.Name, i, len(row), cols)
			}
			copy(v[i*cols:], row)
		}
	case check.InitConstant:
		for i := range v {
			v[i] = in.A
		}
	case check.InitUniform, check.InitNormal, check.InitGlorot:
		rng := newRand(in.Seed, s.seed, "weights:"+c.Name)
		lo, hi := in.A, in.B
		if in.Kind == check.InitGlorot {
			l := math.Sqrt(6 / float64(rows+cols))
			lo, hi = -l, l
		}
		for i := range v {
			if i&0xffff == 0 && s.cancelled() != nil {
				return s.cancelled() // a huge matrix: stop soon after Ctrl-C
			}
			if in.Kind == check.InitNormal {
				v[i] = in.A + in.B*rng.NormFloat64()
			} else {
				v[i] = lo + (hi-lo)*rng.Float64()
			}
		}
	case check.InitFile:
		data, shape, err := weightFile(in)
		if err != nil {
			return fmt.Errorf("weights %s: %v", c.Name, err)
		}
		switch {
		case shape[0] == rows && shape[1] == cols:
			copy(v, data)
		case c.Topology == check.OneToOne && (shape[0] == 1 || shape[1] == 1) && len(data) == rows:
			for i, x := range data {
				v[i*cols+i] = x
			}
		default:
			return fmt.Errorf("weights %s: %s holds a %dx%d matrix, but %s -> %s needs %dx%d (rows = %s[%d], columns = %s[%d])",
				c.Name, in.File, shape[0], shape[1], c.Src.NodeName(), c.Dst.NodeName(), rows, cols,
				c.Dst.NodeName(), rows, c.Src.NodeName(), cols)
		}
	default:
		return fmt.Errorf("%s: unknown initialiser %q", c.Name, in.Kind)
	}
	return nil
}

// mask is the connectivity of a one_to_one or sparse weight matrix (nil
// for dense).
func (s *Sim) mask(b *schedule.Buffer) ([]bool, error) {
	c := b.Conn
	rows, cols := b.Shape.Rows(), b.Shape.Cols()
	switch c.Topology {
	case check.OneToOne:
		if rows != cols {
			return nil, fmt.Errorf("%s: one_to_one needs a square matrix, got %dx%d", c.Name, rows, cols)
		}
		m := make([]bool, rows*cols)
		for i := 0; i < rows; i++ {
			m[i*cols+i] = true
		}
		return m, nil
	case check.Sparse:
		rng := newRand(c.MaskSeed, s.seed, "mask:"+c.Name)
		m := make([]bool, rows*cols)
		for i := range m {
			m[i] = rng.Float64() < c.P
		}
		return m, nil
	}
	return nil, nil
}

// weightFile reads a weight matrix from a CSV or .npy file, or the array
// of an .npz archive (a checkpoint); its shape as rows and columns.
func weightFile(in check.Init) ([]float64, [2]int, error) {
	if in.Array == "" {
		return readMatrixFile(in.File)
	}
	z, err := npy.OpenArchive(in.File)
	if err != nil {
		return nil, [2]int{}, err
	}
	defer z.Close()
	data, shape, err := z.Read(in.Array)
	if err != nil {
		return nil, [2]int{}, err
	}
	if len(shape) != 2 {
		return nil, [2]int{}, fmt.Errorf("%s array %s has shape %s, not a matrix", in.File, in.Array, shapeText(shape))
	}
	if err := finiteNPY(in.File+" array "+in.Array, data, shape); err != nil {
		return nil, [2]int{}, err
	}
	return data, [2]int{shape[0], shape[1]}, nil
}
