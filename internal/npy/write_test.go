package npy

import (
	"bytes"
	"testing"
)

// Encode writes what Decode reads back, with NumPy's 64-byte alignment.
func TestEncodeRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{3}, {2, 3}, {1, 1, 2}, {0}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		values := make([]float64, n)
		for i := range values {
			values[i] = float64(i)*0.25 - 1
		}
		b := Encode(shape, values)
		if h := len(EncodeHeader(shape, 0)); h%64 != 0 {
			t.Errorf("%v: header of %d bytes", shape, h)
		}
		got, gotShape, err := Decode(bytes.NewReader(b), "x.npy", int64(len(b)))
		if err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		if len(gotShape) != len(shape) || len(got) != n {
			t.Fatalf("%v: read %v, %d values", shape, gotShape, len(got))
		}
		for i := range got {
			if got[i] != values[i] {
				t.Errorf("%v: value %d = %v, want %v", shape, i, got[i], values[i])
			}
		}
	}
}
