package hdf5

import (
	"encoding/binary"
	"math/bits"
)

// Lookup3 returns Bob Jenkins' lookup3 hash "hashlittle" of data with
// the given initial value. HDF5 checksums its version 2 metadata (the
// superblock, object headers and their continuation chunks, ...) with
// Lookup3(bytes, 0) stored little-endian after the checksummed bytes
// (File Format Specification, section I.C and appendix "Lookup3").
func Lookup3(data []byte, initval uint32) uint32 {
	a := 0xdeadbeef + uint32(len(data)) + initval
	b, c := a, a
	// Every full block of 12 bytes but the last is mixed in.
	for len(data) > 12 {
		a += binary.LittleEndian.Uint32(data[0:])
		b += binary.LittleEndian.Uint32(data[4:])
		c += binary.LittleEndian.Uint32(data[8:])
		a, b, c = lookup3Mix(a, b, c)
		data = data[12:]
	}
	if len(data) == 0 {
		// Only reached for empty input: a length that is a multiple
		// of 12 keeps its last block for the final step.
		return c
	}
	// The last 1..12 bytes, zero-padded to 12, then the final mix.
	var tail [12]byte
	copy(tail[:], data)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	return lookup3Final(a, b, c)
}

func lookup3Mix(a, b, c uint32) (uint32, uint32, uint32) {
	a -= c
	a ^= bits.RotateLeft32(c, 4)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 6)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 8)
	b += a
	a -= c
	a ^= bits.RotateLeft32(c, 16)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 19)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 4)
	b += a
	return a, b, c
}

func lookup3Final(a, b, c uint32) uint32 {
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}
