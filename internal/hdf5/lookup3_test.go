package hdf5

import "testing"

// The published test vectors of lookup3.c's driver (driver5 and the
// empty-input cases).
func TestLookup3Vectors(t *testing.T) {
	for _, c := range []struct {
		in      string
		initval uint32
		want    uint32
	}{
		{"", 0, 0xdeadbeef},
		{"", 0xdeadbeef, 0xbd5b7dde},
		{"Four score and seven years ago", 0, 0x17770551},
		{"Four score and seven years ago", 1, 0xcd628161},
	} {
		if got := Lookup3([]byte(c.in), c.initval); got != c.want {
			t.Errorf("Lookup3(%q, %#x) = %#08x, want %#08x", c.in, c.initval, got, c.want)
		}
	}
}
