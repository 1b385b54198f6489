package ir

import (
	"fmt"
	"strconv"
)

// Shape is the per-sample shape of a tensor expression: a scalar (rank 0),
// a vector [n] (rank 1) or a row-major matrix [m][n] (rank 2). The minibatch
// dimension is implicit and never part of a Shape.
type Shape struct {
	Rank int    // 0, 1 or 2
	Dims [2]int // Dims[:Rank] are the sizes; unused entries are zero
}

// Scalar is the shape of a single number.
func Scalar() Shape { return Shape{} }

// Vec is the shape of a vector of n entries.
func Vec(n int) Shape { return Shape{Rank: 1, Dims: [2]int{n, 0}} }

// Mat is the shape of a matrix with m rows and n columns. A weight matrix
// from a population of size in to one of size out is Mat(out, in).
func Mat(m, n int) Shape { return Shape{Rank: 2, Dims: [2]int{m, n}} }

// IsScalar reports whether s is the scalar shape.
func (s Shape) IsScalar() bool { return s.Rank == 0 }

// Rows is the number of rows of a matrix, or the length of a vector.
func (s Shape) Rows() int { return s.Dims[0] }

// Cols is the number of columns of a matrix.
func (s Shape) Cols() int { return s.Dims[1] }

// Size is the number of entries: 1 for a scalar, n for [n], m*n for [m][n].
func (s Shape) Size() int {
	switch s.Rank {
	case 0:
		return 1
	case 1:
		return s.Dims[0]
	}
	return s.Dims[0] * s.Dims[1]
}

// String prints a shape as Go-like dimensions: "[]" (scalar), "[3]", "[2][3]".
func (s Shape) String() string {
	switch s.Rank {
	case 0:
		return "[]"
	case 1:
		return "[" + strconv.Itoa(s.Dims[0]) + "]"
	}
	return fmt.Sprintf("[%d][%d]", s.Dims[0], s.Dims[1])
}

// valid reports whether s has a legal rank and positive sizes.
func (s Shape) valid() bool {
	switch s.Rank {
	case 0:
		return s.Dims == [2]int{}
	case 1:
		return s.Dims[0] > 0 && s.Dims[1] == 0
	case 2:
		return s.Dims[0] > 0 && s.Dims[1] > 0
	}
	return false
}

// broadcast returns the common shape of elementwise operands: every
// non-scalar operand must have the same shape, and scalars broadcast.
func broadcast(shapes ...Shape) (Shape, bool) {
	out := Scalar()
	for _, s := range shapes {
		if s.IsScalar() {
			continue
		}
		if !out.IsScalar() && out != s {
			return out, false
		}
		out = s
	}
	return out, true
}
