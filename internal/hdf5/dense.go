package hdf5

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Dense storage: the links of a group, or the attributes of an object,
// kept as messages in a fractal heap (III.G) and indexed by name in a
// version 2 B-tree (III.A.2). The reader walks the name index and
// fetches every message from the heap.

// fheap is a fractal heap header ("FRHP").
type fheap struct {
	addr        uint64
	idLen       int
	checksummed bool // direct blocks carry a checksum
	width       int
	start       uint64 // starting block size
	maxDirect   uint64 // maximum direct block size
	offSize     int    // bytes of a heap offset
	lenSize     int    // bytes of a managed object's length in a heap ID
	root        uint64
	rootRows    int
	blocks      []dblock // direct blocks, collected on first use
	walked      bool
}

type dblock struct {
	off, size, addr uint64
}

func (r *reader) fractalHeap(addr uint64, what string) (*fheap, error) {
	// The header's size depends only on the sizes of offsets and lengths
	// when there are no I/O filters.
	n := uint64(4 + 1 + 2 + 2 + 1 + 4 + r.sl + r.so + r.sl + r.so + 8*r.sl + 2 + 2*r.sl + 2 + 2 + r.so + 2 + 4)
	b, err := r.read(addr, n)
	if err != nil {
		return nil, err
	}
	c := r.cursor(b, "fractal heap header")
	if string(c.bytes(4)) != "FRHP" {
		return nil, fmt.Errorf("hdf5: %s: no fractal heap header at %#x", what, addr)
	}
	if v := c.u8(); v != 0 {
		return nil, fmt.Errorf("hdf5: %s: fractal heap version %d not supported", what, v)
	}
	h := &fheap{addr: addr}
	h.idLen = int(c.u16())
	if c.u16() != 0 {
		return nil, fmt.Errorf("hdf5: %s: fractal heap with I/O filters is not supported", what)
	}
	h.checksummed = c.u8()&0x02 != 0
	maxManaged := uint64(c.u32())
	c.length() // next huge object ID
	c.addr()   // huge object B-tree
	c.length() // free space
	c.addr()   // free space manager
	for range 8 {
		c.length() // managed and huge object statistics
	}
	h.width = int(c.u16())
	h.start = c.length()
	h.maxDirect = c.length()
	maxHeapBits := int(c.u16())
	c.u16() // starting rows in the root indirect block
	h.root = c.addr()
	h.rootRows = int(c.u16())
	if c.err != nil {
		return nil, c.err
	}
	if err := checkSum(b, "fractal heap header"); err != nil {
		return nil, err
	}
	if h.width < 1 || h.width > 1<<16 || !pow2(uint64(h.width)) || !pow2(h.start) || !pow2(h.maxDirect) ||
		h.maxDirect < h.start || h.maxDirect > 1<<40 || maxHeapBits < 1 || maxHeapBits > 64 || h.rootRows > 64 {
		return nil, fmt.Errorf("hdf5: %s: malformed fractal heap header", what)
	}
	h.offSize = (maxHeapBits + 7) / 8
	h.lenSize = min(encSize(maxManaged), (bits.Len64(h.maxDirect-1)+7)/8)
	return h, nil
}

func pow2(x uint64) bool { return x != 0 && x&(x-1) == 0 }

// encSize is the number of bytes the C library uses to encode values up
// to x: floor(log2(x))/8 + 1.
func encSize(x uint64) int {
	if x == 0 {
		return 1
	}
	return (bits.Len64(x)-1)/8 + 1
}

// rowSize is the size of the blocks in row i of the doubling table.
func (h *fheap) rowSize(i int) uint64 {
	if i == 0 {
		return h.start
	}
	return h.start << (i - 1)
}

// maxDirectRows is the number of rows of direct blocks.
func (h *fheap) maxDirectRows() int {
	return bits.Len64(h.maxDirect) - bits.Len64(h.start) + 2
}

// collect lists the heap's direct blocks by walking its indirect blocks.
func (r *reader) collectBlocks(h *fheap) error {
	if h.walked {
		return nil
	}
	h.walked = true
	if h.root == undefAddr {
		return nil
	}
	if h.rootRows == 0 {
		h.blocks = append(h.blocks, dblock{0, h.start, h.root})
		return nil
	}
	seen := map[uint64]bool{}
	var walk func(addr uint64, rows int, base uint64, depth int) error
	walk = func(addr uint64, rows int, base uint64, depth int) error {
		if seen[addr] || depth > 16 || rows > 64 {
			return fmt.Errorf("hdf5: malformed fractal heap")
		}
		seen[addr] = true
		direct := min(rows, h.maxDirectRows())
		n := uint64(rows * h.width)
		size := uint64(4+1+r.so+h.offSize) + n*uint64(r.so) + 4
		b, err := r.read(addr, size)
		if err != nil {
			return err
		}
		if string(b[:4]) != "FHIB" {
			return fmt.Errorf("hdf5: no fractal heap indirect block at %#x", addr)
		}
		if err := checkSum(b, "fractal heap indirect block"); err != nil {
			return err
		}
		c := r.cursor(b, "fractal heap indirect block")
		c.skip(4 + 1 + r.so + h.offSize)
		off := base
		for row := range rows {
			rs := h.rowSize(row)
			for range h.width {
				child := c.addr()
				if c.err != nil {
					return c.err
				}
				if child != undefAddr {
					if row < direct {
						h.blocks = append(h.blocks, dblock{off, rs, child})
						if len(h.blocks) > 1<<20 {
							return fmt.Errorf("hdf5: fractal heap with too many blocks")
						}
					} else {
						childRows := bits.Len64(rs) - bits.Len64(h.start*uint64(h.width)) + 1
						if err := walk(child, childRows, off, depth+1); err != nil {
							return err
						}
					}
				}
				off += rs
			}
		}
		return nil
	}
	return walk(h.root, h.rootRows, 0, 0)
}

// object returns the heap object that a heap ID names (managed objects
// only).
func (r *reader) heapObject(h *fheap, id []byte) ([]byte, error) {
	if len(id) < 1 {
		return nil, fmt.Errorf("hdf5: empty fractal heap ID")
	}
	if id[0]>>6 != 0 {
		return nil, fmt.Errorf("hdf5: fractal heap ID version %d not supported", id[0]>>6)
	}
	switch typ := (id[0] >> 4) & 3; typ {
	case 0:
	case 2: // tiny: the object is in the ID
		n := int(id[0]&0x0f) + 1
		if 1+n > len(id) {
			return nil, fmt.Errorf("hdf5: malformed tiny fractal heap ID")
		}
		return id[1 : 1+n], nil
	default:
		return nil, fmt.Errorf("hdf5: huge fractal heap objects are not supported")
	}
	c := r.cursor(id[1:], "fractal heap ID")
	off, n := c.uint(h.offSize), c.uint(h.lenSize)
	if c.err != nil {
		return nil, c.err
	}
	if err := r.collectBlocks(h); err != nil {
		return nil, err
	}
	for _, b := range h.blocks {
		if off < b.off || off-b.off >= b.size {
			continue
		}
		in := off - b.off
		if n > b.size-in {
			return nil, fmt.Errorf("hdf5: fractal heap object overruns its block")
		}
		if h.checksummed {
			// The block is checksummed as a whole; checking it once per
			// object is wasteful but simple, and blocks are small.
			blk, err := r.read(b.addr, b.size)
			if err != nil {
				return nil, err
			}
			hdr := 4 + 1 + r.so + h.offSize
			if len(blk) < hdr+4 || string(blk[:4]) != "FHDB" {
				return nil, fmt.Errorf("hdf5: no fractal heap direct block at %#x", b.addr)
			}
			// The checksum covers the whole block, its own field zeroed.
			sum := binary.LittleEndian.Uint32(blk[hdr:])
			clear(blk[hdr : hdr+4])
			if Lookup3(blk, 0) != sum {
				return nil, fmt.Errorf("hdf5: fractal heap direct block checksum mismatch")
			}
			return blk[in : in+n], nil
		}
		return r.read(b.addr+in, n)
	}
	return nil, fmt.Errorf("hdf5: fractal heap offset %#x in no direct block", off)
}

// btree2Records returns the records of a version 2 B-tree of the given
// type (III.A.2).
func (r *reader) btree2Records(addr uint64, typ uint8) ([][]byte, error) {
	n := uint64(4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + r.so + 2 + r.sl + 4)
	b, err := r.read(addr, n)
	if err != nil {
		return nil, err
	}
	c := r.cursor(b, "version 2 B-tree header")
	if string(c.bytes(4)) != "BTHD" {
		return nil, fmt.Errorf("hdf5: no version 2 B-tree header at %#x", addr)
	}
	if v := c.u8(); v != 0 {
		return nil, fmt.Errorf("hdf5: version 2 B-tree version %d not supported", v)
	}
	if t := c.u8(); t != typ {
		return nil, fmt.Errorf("hdf5: version 2 B-tree of type %d, expected %d", t, typ)
	}
	nodeSize := uint64(c.u32())
	recSize := uint64(c.u16())
	depth := int(c.u16())
	c.skip(2) // split and merge percentages
	root := c.addr()
	rootRecs := uint64(c.u16())
	c.length() // total records
	if c.err != nil {
		return nil, c.err
	}
	if err := checkSum(b, "version 2 B-tree header"); err != nil {
		return nil, err
	}
	if recSize == 0 || nodeSize < 10+recSize || nodeSize > 1<<24 || depth > 32 {
		return nil, fmt.Errorf("hdf5: malformed version 2 B-tree header")
	}
	// Per depth: the most records a node holds, and the most records a
	// subtree holds, with the sizes of their encodings.
	maxRec := make([]uint64, depth+1)
	cumRec := make([]uint64, depth+1)
	maxRecSize := make([]int, depth+1)
	cumRecSize := make([]int, depth+1)
	maxRec[0] = (nodeSize - 10) / recSize
	cumRec[0] = maxRec[0]
	maxRecSize[0] = encSize(maxRec[0])
	cumRecSize[0] = encSize(cumRec[0])
	for d := 1; d <= depth; d++ {
		ptr := uint64(r.so + maxRecSize[d-1])
		if d > 1 {
			ptr += uint64(cumRecSize[d-1])
		}
		if nodeSize < 10+ptr {
			return nil, fmt.Errorf("hdf5: malformed version 2 B-tree header")
		}
		maxRec[d] = (nodeSize - 10 - ptr) / (recSize + ptr)
		cumRec[d] = (maxRec[d]+1)*cumRec[d-1] + maxRec[d]
		if cumRec[d] < cumRec[d-1] { // overflow
			cumRec[d] = ^uint64(0)
		}
		maxRecSize[d] = encSize(maxRec[d])
		cumRecSize[d] = encSize(cumRec[d])
	}
	var out [][]byte
	seen := map[uint64]bool{}
	var walk func(addr uint64, nrec uint64, d int) error
	walk = func(addr uint64, nrec uint64, d int) error {
		if addr == undefAddr || nrec == 0 {
			return nil
		}
		if seen[addr] || nrec > maxRec[d] {
			return fmt.Errorf("hdf5: malformed version 2 B-tree")
		}
		seen[addr] = true
		b, err := r.read(addr, nodeSize)
		if err != nil {
			return err
		}
		sig := "BTLF"
		if d > 0 {
			sig = "BTIN"
		}
		c := r.cursor(b, "version 2 B-tree node")
		if string(c.bytes(4)) != sig {
			return fmt.Errorf("hdf5: no version 2 B-tree node (%s) at %#x", sig, addr)
		}
		c.skip(2)
		recs := make([][]byte, nrec)
		for i := range recs {
			recs[i] = c.bytes(int(recSize))
		}
		type child struct{ addr, n uint64 }
		var kids []child
		if d > 0 {
			for range nrec + 1 {
				k := child{c.addr(), c.uint(maxRecSize[d-1])}
				if d > 1 {
					c.uint(cumRecSize[d-1])
				}
				kids = append(kids, k)
			}
		}
		if c.err != nil {
			return c.err
		}
		if err := checkSum(b[:c.off+4], "version 2 B-tree node"); err != nil {
			return err
		}
		// Records in key order: child 0, record 0, child 1, ...
		for i, rec := range recs {
			if d > 0 {
				if err := walk(kids[i].addr, kids[i].n, d-1); err != nil {
					return err
				}
			}
			out = append(out, rec)
			if len(out) > 1<<22 {
				return fmt.Errorf("hdf5: version 2 B-tree with too many records")
			}
		}
		if d > 0 {
			return walk(kids[nrec].addr, kids[nrec].n, d-1)
		}
		return nil
	}
	if err := walk(root, rootRecs, depth); err != nil {
		return nil, err
	}
	return out, nil
}

// denseMessages returns the messages (links or attributes) of dense
// storage: a fractal heap and a name index of the given record type,
// whose records hold heap IDs at idOff.
func (r *reader) denseMessages(heapAddr, btreeAddr uint64, recType uint8, idOff int, what string) ([][]byte, error) {
	h, err := r.fractalHeap(heapAddr, what)
	if err != nil {
		return nil, err
	}
	recs, err := r.btree2Records(btreeAddr, recType)
	if err != nil {
		return nil, fmt.Errorf("%v (%s)", err, what)
	}
	var out [][]byte
	for _, rec := range recs {
		if idOff+h.idLen > len(rec) {
			return nil, fmt.Errorf("hdf5: %s: B-tree record shorter than a heap ID", what)
		}
		obj, err := r.heapObject(h, rec[idOff:idOff+h.idLen])
		if err != nil {
			return nil, fmt.Errorf("%v (%s)", err, what)
		}
		out = append(out, obj)
	}
	return out, nil
}
