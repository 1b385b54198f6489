package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// EncodeHeader returns the version 1.0 header of a little-endian float64 array
// of the given shape in C order, padded with spaces to pad bytes in all
// (0: to the next multiple of 64, as NumPy pads, so that the data are
// aligned). A writer that does not yet know the final shape reserves the
// header with a larger pad and rewrites it in place.
func EncodeHeader(shape []int, pad int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", sh)
	total := 10 + len(dict) + 1
	if pad == 0 {
		pad = (total + 63) / 64 * 64
	}
	dict += strings.Repeat(" ", pad-total) + "\n"
	out := []byte("\x93NUMPY\x01\x00")
	out = binary.LittleEndian.AppendUint16(out, uint16(len(dict)))
	return append(out, dict...)
}

// AppendFloats appends xs to buf as little-endian float64 values.
func AppendFloats(buf []byte, xs []float64) []byte {
	for _, x := range xs {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
	}
	return buf
}

// Encode returns the .npy file of a float64 array of the given shape
// holding values in C order.
func Encode(shape []int, values []float64) []byte {
	h := EncodeHeader(shape, 0)
	return AppendFloats(append(make([]byte, 0, len(h)+8*len(values)), h...), values)
}
