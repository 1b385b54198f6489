// Package npytest builds NumPy .npy files by hand for the tests of the
// data-file readers (the interpreter's and the generated code's).
package npytest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// V1 returns the bytes of a .npy file in the format's version 1.0: the
// magic string \x93NUMPY, version 1 0, the header's length as a
// little-endian uint16, the header (a Python dict padded with spaces and
// ended by a newline so that the data starts at a multiple of 64 bytes),
// then the values in C order, stored as descr (<f8, <f4 or <i8) in the
// given shape.
func V1(descr string, shape []int, values []float64) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	out := append([]byte("\x93NUMPY"), 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(dict)))
	out = append(out, dict...)
	for _, v := range values {
		switch descr {
		case "<f8":
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		case "<f4":
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(v)))
		case "<i8":
			out = binary.LittleEndian.AppendUint64(out, uint64(int64(v)))
		default:
			panic("npytest: descr " + descr)
		}
	}
	return out
}

// Array is one array of an .npz archive built by NPZ.
type Array struct {
	Name   string
	Descr  string
	Shape  []int
	Values []float64
}

// NPZ returns the bytes of an uncompressed .npz archive of the arrays.
func NPZ(arrays ...Array) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, a := range arrays {
		w, err := z.CreateHeader(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Store})
		if err != nil {
			panic(err)
		}
		w.Write(V1(a.Descr, a.Shape, a.Values))
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
