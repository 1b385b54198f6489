package hdf5

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// Type is the element type of a dataset or attribute.
type Type int

// The element types. The writer writes all of them; the reader returns
// them for the matching HDF5 datatypes (big-endian numbers included).
const (
	Float64     Type = iota + 1 // IEEE 754 binary64 (H5T_IEEE_F64LE)
	Float32                     // IEEE 754 binary32 (H5T_IEEE_F32LE)
	Int8                        // signed integers (H5T_STD_I8LE ...)
	Int16                       //
	Int32                       //
	Int64                       // H5T_STD_I64LE
	Uint8                       // unsigned integers (H5T_STD_U8LE ...)
	Uint16                      //
	Uint32                      //
	Uint64                      //
	String                      // variable-length UTF-8 string (h5py's str)
	FixedString                 // fixed-length string of StringSize bytes
)

var typeNames = [...]string{
	Float64: "float64", Float32: "float32",
	Int8: "int8", Int16: "int16", Int32: "int32", Int64: "int64",
	Uint8: "uint8", Uint16: "uint16", Uint32: "uint32", Uint64: "uint64",
	String: "string", FixedString: "fixed-length string",
}

// String names the type ("float64", "string", ...).
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// IsInt tells whether t is one of the integer types.
func (t Type) IsInt() bool { return t >= Int8 && t <= Uint64 }

// IsFloat tells whether t is Float64 or Float32.
func (t Type) IsFloat() bool { return t == Float64 || t == Float32 }

// IsString tells whether t is String or FixedString.
func (t Type) IsString() bool { return t == String || t == FixedString }

// intSize is the size in bytes of an integer type.
func (t Type) intSize() int {
	switch t {
	case Int8, Uint8:
		return 1
	case Int16, Uint16:
		return 2
	case Int32, Uint32:
		return 4
	}
	return 8
}

func (t Type) signed() bool { return t >= Int8 && t <= Int64 }

// A Value is a typed array of any rank, or a scalar: the content of a
// dataset or of an attribute. Values are stored in row-major (C) order.
// A Value keeps the slice it was made from: do not change it until the
// file is written.
type Value struct {
	typ     Type
	shape   []int // nil for a scalar
	strSize int   // FixedString: bytes per element
	f64     []float64
	f32     []float32
	ints    []int64 // all integer types; Uint64 as its bit pattern
	strs    []string
}

// NewFloat64 makes a float64 value of the given shape (nil or empty for
// a scalar, which then holds one value).
func NewFloat64(shape []int, v []float64) *Value {
	return &Value{typ: Float64, shape: cloneShape(shape), f64: v}
}

// NewFloat32 makes a float32 value of the given shape.
func NewFloat32(shape []int, v []float32) *Value {
	return &Value{typ: Float32, shape: cloneShape(shape), f32: v}
}

// NewInt64 makes an int64 value of the given shape.
func NewInt64(shape []int, v []int64) *Value {
	return &Value{typ: Int64, shape: cloneShape(shape), ints: v}
}

// NewInt makes an integer value of the given integer type and shape;
// each element must fit the type (Uint64 elements are taken as their
// bit pattern).
func NewInt(t Type, shape []int, v []int64) *Value {
	return &Value{typ: t, shape: cloneShape(shape), ints: v}
}

// NewString makes a scalar variable-length UTF-8 string, as h5py writes
// a Python str.
func NewString(s string) *Value {
	return &Value{typ: String, strs: []string{s}}
}

// NewStrings makes an array of variable-length UTF-8 strings.
func NewStrings(shape []int, v []string) *Value {
	return &Value{typ: String, shape: cloneShape(shape), strs: v}
}

// NewFixedStrings makes an array (or, with an empty shape, a scalar) of
// fixed-length strings of size bytes each, null-padded, UTF-8.
func NewFixedStrings(size int, shape []int, v []string) *Value {
	return &Value{typ: FixedString, shape: cloneShape(shape), strSize: size, strs: v}
}

func cloneShape(shape []int) []int {
	if len(shape) == 0 {
		return nil
	}
	return slices.Clone(shape)
}

// Type is the element type.
func (v *Value) Type() Type { return v.typ }

// Shape is the size of each dimension; empty for a scalar. The caller
// must not change it.
func (v *Value) Shape() []int { return v.shape }

// IsScalar tells whether the value has a scalar dataspace.
func (v *Value) IsScalar() bool { return len(v.shape) == 0 }

// StringSize is the size in bytes of each element of a FixedString
// value, 0 for other types.
func (v *Value) StringSize() int {
	if v.typ == FixedString {
		return v.strSize
	}
	return 0
}

// Len is the number of elements: the product of the shape, 1 for a
// scalar.
func (v *Value) Len() int {
	n, _ := shapeLen(v.shape)
	return n
}

// shapeLen is the product of the dimensions, with an error for a
// negative dimension or an overflow.
func shapeLen(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > math.MaxInt32/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

// Float64s returns the elements of a Float64 value, or of a Float32
// value converted exactly.
func (v *Value) Float64s() ([]float64, error) {
	switch v.typ {
	case Float64:
		return v.f64, nil
	case Float32:
		out := make([]float64, len(v.f32))
		for i, x := range v.f32 {
			out[i] = float64(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("hdf5: %s value read as float64", v.typ)
}

// Float32s returns the elements of a Float32 value.
func (v *Value) Float32s() ([]float32, error) {
	if v.typ == Float32 {
		return v.f32, nil
	}
	return nil, fmt.Errorf("hdf5: %s value read as float32", v.typ)
}

// Int64s returns the elements of an integer value of any size; a
// Uint64 element above math.MaxInt64 is an error.
func (v *Value) Int64s() ([]int64, error) {
	if !v.typ.IsInt() {
		return nil, fmt.Errorf("hdf5: %s value read as int64", v.typ)
	}
	if v.typ == Uint64 {
		for _, x := range v.ints {
			if x < 0 {
				return nil, fmt.Errorf("hdf5: uint64 value %d does not fit int64", uint64(x))
			}
		}
	}
	return v.ints, nil
}

// Strings returns the elements of a String or FixedString value (for
// fixed-length strings without their padding).
func (v *Value) Strings() ([]string, error) {
	if v.typ.IsString() {
		return v.strs, nil
	}
	return nil, fmt.Errorf("hdf5: %s value read as string", v.typ)
}

// check validates a value before it is written.
func (v *Value) check() error {
	if v == nil {
		return fmt.Errorf("nil value")
	}
	if len(v.shape) > 32 {
		return fmt.Errorf("rank %d above HDF5's maximum of 32", len(v.shape))
	}
	n, err := shapeLen(v.shape)
	if err != nil {
		return err
	}
	var have int
	switch {
	case v.typ == Float64:
		have = len(v.f64)
	case v.typ == Float32:
		have = len(v.f32)
	case v.typ.IsInt():
		have = len(v.ints)
		if v.typ != Int64 && v.typ != Uint64 {
			bits := 8 * v.typ.intSize()
			for _, x := range v.ints {
				var ok bool
				if v.typ.signed() {
					ok = x >= -1<<(bits-1) && x < 1<<(bits-1)
				} else {
					ok = x >= 0 && x < 1<<bits
				}
				if !ok {
					return fmt.Errorf("%d does not fit %s", x, v.typ)
				}
			}
		}
	case v.typ.IsString():
		have = len(v.strs)
		if v.typ == FixedString && (v.strSize < 1 || v.strSize > math.MaxInt32) {
			return fmt.Errorf("fixed string size %d out of range", v.strSize)
		}
		for _, s := range v.strs {
			if err := checkString(s); err != nil {
				return err
			}
			if v.typ == FixedString && len(s) > v.strSize {
				return fmt.Errorf("string of %d bytes longer than the fixed size %d", len(s), v.strSize)
			}
		}
	default:
		return fmt.Errorf("unknown type %v", v.typ)
	}
	if have != n {
		return fmt.Errorf("%d values for shape %v (%d elements)", have, v.shape, n)
	}
	return nil
}

func checkString(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return fmt.Errorf("string %q contains a NUL byte", s)
		}
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("string %q is not valid UTF-8", s)
	}
	return nil
}
