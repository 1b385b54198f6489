package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// dataset reads a dataset's type, shape and data.
func (r *reader) dataset(msgs []hmsg, path string) (*Dataset, error) {
	ds, dt := find(msgs, msgDataspace), find(msgs, msgDatatype)
	if ds == nil || dt == nil {
		return nil, fmt.Errorf("hdf5: %s: dataset without dataspace or datatype message", path)
	}
	shape, err := r.dataspace(ds.data, path)
	if err != nil {
		return nil, err
	}
	typ, err := r.datatype(dt.data, path)
	if err != nil {
		return nil, err
	}
	n, _ := shapeLen(shape)
	need := uint64(n) * uint64(typ.size)
	var filters []filter
	if m := find(msgs, msgFilters); m != nil {
		if filters, err = r.filters(m.data, path); err != nil {
			return nil, err
		}
	}
	raw, err := r.layout(find(msgs, msgLayout).data, shape, typ.size, need, filters, path)
	if err != nil {
		return nil, err
	}
	v, err := r.decode(typ, shape, raw, path)
	if err != nil {
		return nil, err
	}
	return &Dataset{Value: v}, nil
}

// spend takes n bytes from the budget for data that the file does not
// hold as such (decompressed chunks, unwritten data): a bound on what a
// small malformed file can make the reader allocate.
func (r *reader) spend(n uint64, path string) error {
	if n > r.expand {
		return fmt.Errorf("hdf5: %s: %d bytes of data exceed the reader's limit for a file of %d bytes", path, n, r.size)
	}
	r.expand -= n
	return nil
}

// layout reads the raw data of a dataset as its data layout message
// (IV.A.2.i, version 3, or version 4 with a single-chunk or implicit
// index) describes it.
func (r *reader) layout(b []byte, shape []int, esize int, need uint64, filters []filter, path string) ([]byte, error) {
	c := r.cursor(b, "data layout message")
	version := c.u8()
	class := c.u8()
	if c.err != nil {
		return nil, fmt.Errorf("%v (%s)", c.err, path)
	}
	if version < 3 || version > 4 {
		return nil, fmt.Errorf("hdf5: %s: data layout message version %d not supported", path, version)
	}
	if class != 2 && len(filters) > 0 {
		return nil, fmt.Errorf("hdf5: %s: filters on a dataset that is not chunked", path)
	}
	switch class {
	case 0: // compact
		n := int(c.u16())
		data := c.bytes(n)
		if c.err != nil {
			return nil, fmt.Errorf("%v (%s)", c.err, path)
		}
		if uint64(len(data)) < need {
			return nil, fmt.Errorf("hdf5: %s: compact data of %d bytes for %d needed", path, len(data), need)
		}
		return data, nil
	case 1: // contiguous
		addr, size := c.addr(), c.length()
		if c.err != nil {
			return nil, fmt.Errorf("%v (%s)", c.err, path)
		}
		if addr == undefAddr { // never written: the fill value (zeros)
			if err := r.spend(need, path); err != nil {
				return nil, err
			}
			return make([]byte, need), nil
		}
		if size < need {
			return nil, fmt.Errorf("hdf5: %s: contiguous data of %d bytes for %d needed", path, size, need)
		}
		return r.read(addr, need)
	case 2: // chunked
		if len(shape) == 0 {
			return nil, fmt.Errorf("hdf5: %s: chunked scalar", path)
		}
		if err := r.spend(need, path); err != nil {
			return nil, err
		}
		out := make([]byte, need)
		if version == 3 {
			rank := int(c.u8())
			addr := c.addr()
			dims := make([]uint64, rank)
			for i := range dims {
				dims[i] = uint64(c.u32())
			}
			if c.err != nil {
				return nil, fmt.Errorf("%v (%s)", c.err, path)
			}
			if rank != len(shape)+1 || dims[rank-1] != uint64(esize) {
				return nil, fmt.Errorf("hdf5: %s: chunk dimensions %v do not match shape %v", path, dims, shape)
			}
			ch := chunking{r: r, shape: shape, dims: dims[:rank-1], esize: esize, filters: filters, out: out, path: path}
			if err := ch.check(); err != nil {
				return nil, err
			}
			if addr != undefAddr {
				if err := ch.btree(addr, map[uint64]bool{}, 0); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		flags := c.u8()
		rank := int(c.u8())
		enc := int(c.u8())
		if enc < 1 || enc > 8 {
			return nil, fmt.Errorf("hdf5: %s: chunk dimension size of %d bytes", path, enc)
		}
		dims := make([]uint64, rank)
		for i := range dims {
			dims[i] = c.uint(enc)
		}
		index := c.u8()
		if c.err != nil {
			return nil, fmt.Errorf("%v (%s)", c.err, path)
		}
		if rank != len(shape)+1 || dims[rank-1] != uint64(esize) {
			return nil, fmt.Errorf("hdf5: %s: chunk dimensions %v do not match shape %v", path, dims, shape)
		}
		ch := chunking{r: r, shape: shape, dims: dims[:rank-1], esize: esize, filters: filters, out: out, path: path}
		if err := ch.check(); err != nil {
			return nil, err
		}
		switch index {
		case 1: // single chunk
			size, mask := uint64(0), uint32(0)
			if flags&0x02 != 0 {
				size, mask = c.length(), c.u32()
			}
			addr := c.addr()
			if c.err != nil {
				return nil, fmt.Errorf("%v (%s)", c.err, path)
			}
			if size == 0 {
				size = ch.chunkBytes()
			}
			if addr != undefAddr {
				if err := ch.chunk(addr, size, mask, make([]uint64, len(shape))); err != nil {
					return nil, err
				}
			}
			return out, nil
		case 2: // implicit: chunks one after the other, unfiltered
			addr := c.addr()
			if c.err != nil {
				return nil, fmt.Errorf("%v (%s)", c.err, path)
			}
			if addr != undefAddr {
				if err := ch.implicit(addr); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		if index == 3 {
			c.u8() // page bits, also in the array's header
			addr := c.addr()
			if c.err != nil {
				return nil, fmt.Errorf("%v (%s)", c.err, path)
			}
			if addr != undefAddr {
				if err := ch.fixedArray(addr); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		names := map[uint8]string{4: "extensible array", 5: "version 2 B-tree"}
		name := names[index]
		if name == "" {
			name = fmt.Sprintf("type %d", index)
		}
		return nil, fmt.Errorf("hdf5: %s: chunk index %s is not supported", path, name)
	case 3:
		return nil, fmt.Errorf("hdf5: %s: virtual dataset layout is not supported", path)
	}
	return nil, fmt.Errorf("hdf5: %s: data layout class %d not supported", path, class)
}

// filter is one stage of a filter pipeline.
type filter struct {
	id       uint16
	optional bool
	params   []uint32
}

const (
	filterDeflate = 1
	filterShuffle = 2
)

// filters decodes a filter pipeline message (IV.A.2.l, versions 1 and 2);
// deflate and shuffle are supported.
func (r *reader) filters(b []byte, path string) ([]filter, error) {
	c := r.cursor(b, "filter pipeline message")
	version := c.u8()
	n := int(c.u8())
	if version == 1 {
		c.skip(6)
	} else if version != 2 {
		return nil, fmt.Errorf("hdf5: %s: filter pipeline message version %d not supported", path, version)
	}
	var out []filter
	for range n {
		var f filter
		f.id = c.u16()
		nameLen := 0
		if version == 1 || f.id >= 256 {
			nameLen = int(c.u16())
		}
		f.optional = c.u16()&1 != 0
		nvals := int(c.u16())
		if version == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		name := c.bytes(nameLen)
		if nvals > c.left()/4 {
			return nil, fmt.Errorf("hdf5: %s: truncated filter pipeline message", path)
		}
		for range nvals {
			f.params = append(f.params, c.u32())
		}
		if version == 1 && nvals%2 == 1 {
			c.skip(4)
		}
		if c.err != nil {
			return nil, fmt.Errorf("%v (%s)", c.err, path)
		}
		if f.id != filterDeflate && f.id != filterShuffle {
			label := map[uint16]string{3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32015: "zstd"}[f.id]
			if label == "" {
				label = string(bytes.TrimRight(name, "\x00"))
			}
			return nil, fmt.Errorf("hdf5: %s: filter %d (%s) is not supported", path, f.id, label)
		}
		out = append(out, f)
	}
	return out, nil
}

// chunking copies the chunks of a chunked dataset into its raw data.
type chunking struct {
	r       *reader
	shape   []int
	dims    []uint64 // chunk size in elements per dimension
	esize   int
	filters []filter
	out     []byte
	path    string
}

func (ch *chunking) check() error {
	size := uint64(ch.esize)
	for _, d := range ch.dims {
		if d == 0 || d > 1<<32 {
			return fmt.Errorf("hdf5: %s: chunk dimension %d", ch.path, d)
		}
		size *= d
		if size > 1<<32 {
			return fmt.Errorf("hdf5: %s: chunks of more than 4 GiB", ch.path)
		}
	}
	return nil
}

func (ch *chunking) chunkBytes() uint64 {
	size := uint64(ch.esize)
	for _, d := range ch.dims {
		size *= d
	}
	return size
}

// btree walks a version 1 B-tree of chunks (III.A.1, node type 1).
func (ch *chunking) btree(addr uint64, seen map[uint64]bool, depth int) error {
	if seen[addr] || depth > 64 {
		return fmt.Errorf("hdf5: %s: malformed chunk B-tree", ch.path)
	}
	seen[addr] = true
	rank := len(ch.dims) + 1
	keySize := 8 + 8*rank
	level, children, err := ch.r.btreeNode(addr, 1, keySize)
	if err != nil {
		return fmt.Errorf("%v (dataset %s)", err, ch.path)
	}
	for _, child := range children {
		if level > 0 {
			if err := ch.btree(child.addr, seen, depth+1); err != nil {
				return err
			}
			continue
		}
		k := child.key
		size := uint64(binary.LittleEndian.Uint32(k))
		mask := binary.LittleEndian.Uint32(k[4:])
		offs := make([]uint64, rank-1)
		for i := range offs {
			offs[i] = binary.LittleEndian.Uint64(k[8+8*i:])
		}
		if err := ch.chunk(child.addr, size, mask, offs); err != nil {
			return err
		}
	}
	return nil
}

// implicit reads the chunks of an implicit index: every chunk, in
// row-major order of chunk positions, unfiltered.
func (ch *chunking) implicit(addr uint64) error {
	if len(ch.filters) > 0 {
		return fmt.Errorf("hdf5: %s: filtered implicit chunk index", ch.path)
	}
	counts, total := ch.grid()
	size := ch.chunkBytes()
	pos := make([]uint64, len(ch.dims))
	for k := uint64(0); k < total; k++ {
		offs := make([]uint64, len(ch.dims))
		for i := range offs {
			offs[i] = pos[i] * ch.dims[i]
		}
		if err := ch.chunk(addr+k*size, size, 0, offs); err != nil {
			return err
		}
		for i := len(pos) - 1; i >= 0; i-- {
			if pos[i]++; pos[i] < counts[i] {
				break
			}
			pos[i] = 0
		}
	}
	return nil
}

// fixedArray reads the chunks of a fixed array index ("FAHD", "FADB"):
// one entry per chunk, in row-major order of chunk positions, its
// entries in pages when there are more than 2^page bits.
func (ch *chunking) fixedArray(addr uint64) error {
	r := ch.r
	b, err := r.read(addr, uint64(4+1+1+1+1+r.sl+r.so+4))
	if err != nil {
		return err
	}
	c := r.cursor(b, "fixed array header")
	if string(c.bytes(4)) != "FAHD" {
		return fmt.Errorf("hdf5: %s: no fixed array header at %#x", ch.path, addr)
	}
	if v := c.u8(); v != 0 {
		return fmt.Errorf("hdf5: %s: fixed array version %d not supported", ch.path, v)
	}
	client := c.u8()
	esize := int(c.u8())
	pageBits := int(c.u8())
	n := c.length()
	dblock := c.addr()
	if c.err != nil {
		return c.err
	}
	if err := checkSum(b, "fixed array header"); err != nil {
		return err
	}
	filtered := client == 1
	if client > 1 || (!filtered && esize != r.so) || (filtered && esize < r.so+5) || pageBits > 32 {
		return fmt.Errorf("hdf5: %s: malformed fixed array header", ch.path)
	}
	counts, total := ch.grid()
	if n != total {
		return fmt.Errorf("hdf5: %s: fixed array of %d entries for %d chunks", ch.path, n, total)
	}
	if dblock == undefAddr {
		return nil
	}
	pageLen := uint64(1) << pageBits
	paged := n > pageLen
	var npages uint64
	prefix := uint64(4 + 1 + 1 + r.so)
	if paged {
		npages = (n + pageLen - 1) / pageLen
		prefix += (npages + 7) / 8
	}
	// The entries, gathered from the data block or its pages.
	var entries []byte
	if !paged {
		if n > r.size {
			return fmt.Errorf("hdf5: %s: fixed array larger than the file", ch.path)
		}
		b, err := r.read(dblock, prefix+n*uint64(esize)+4)
		if err != nil {
			return err
		}
		if string(b[:4]) != "FADB" {
			return fmt.Errorf("hdf5: %s: no fixed array data block at %#x", ch.path, dblock)
		}
		if err := checkSum(b, "fixed array data block"); err != nil {
			return err
		}
		entries = b[prefix : len(b)-4]
	} else {
		b, err := r.read(dblock, prefix+4)
		if err != nil {
			return err
		}
		if string(b[:4]) != "FADB" {
			return fmt.Errorf("hdf5: %s: no fixed array data block at %#x", ch.path, dblock)
		}
		if err := checkSum(b, "fixed array data block"); err != nil {
			return err
		}
		bitmap := b[4+1+1+r.so : prefix]
		page := dblock + prefix + 4
		for p := uint64(0); p < npages; p++ {
			m := min(pageLen, n-p*pageLen)
			size := m*uint64(esize) + 4
			if bitmap[p/8]&(0x80>>(p%8)) == 0 {
				// Page never written: no chunks in it.
				for range m {
					entries = append(entries, undefBytes(r.so)...)
					entries = append(entries, make([]byte, esize-r.so)...)
				}
			} else {
				pb, err := r.read(page, size)
				if err != nil {
					return err
				}
				if err := checkSum(pb, "fixed array page"); err != nil {
					return err
				}
				entries = append(entries, pb[:len(pb)-4]...)
			}
			page += pageLen*uint64(esize) + 4
		}
	}
	pos := make([]uint64, len(ch.dims))
	for k := uint64(0); k < n; k++ {
		e := r.cursor(entries[k*uint64(esize):(k+1)*uint64(esize)], "fixed array entry")
		caddr := e.addr()
		size, mask := ch.chunkBytes(), uint32(0)
		if filtered {
			size = e.uint(esize - r.so - 4)
			mask = e.u32()
		}
		if e.err != nil {
			return e.err
		}
		if caddr != undefAddr {
			offs := make([]uint64, len(ch.dims))
			for i := range offs {
				offs[i] = pos[i] * ch.dims[i]
			}
			if err := ch.chunk(caddr, size, mask, offs); err != nil {
				return err
			}
		}
		for i := len(pos) - 1; i >= 0; i-- {
			if pos[i]++; pos[i] < counts[i] {
				break
			}
			pos[i] = 0
		}
	}
	return nil
}

func undefBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xff
	}
	return b
}

// grid is the number of chunks along each dimension, and in all.
func (ch *chunking) grid() ([]uint64, uint64) {
	counts := make([]uint64, len(ch.dims))
	total := uint64(1)
	for i, d := range ch.dims {
		counts[i] = (uint64(ch.shape[i]) + d - 1) / d
		total *= counts[i]
	}
	return counts, total
}

// chunk reads, unfilters and places one chunk whose first element is at
// offs.
func (ch *chunking) chunk(addr, size uint64, mask uint32, offs []uint64) error {
	for i, o := range offs {
		if o >= uint64(ch.shape[i]) {
			return nil // wholly outside the dataset
		}
	}
	want := ch.chunkBytes()
	data, err := ch.r.read(addr, size)
	if err != nil {
		return fmt.Errorf("%v (dataset %s)", err, ch.path)
	}
	for i := len(ch.filters) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<i) != 0 {
			continue // filter skipped for this chunk
		}
		f := ch.filters[i]
		switch f.id {
		case filterDeflate:
			if err := ch.r.spend(want, ch.path); err != nil {
				return err
			}
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("hdf5: %s: deflate: %v", ch.path, err)
			}
			data, err = io.ReadAll(io.LimitReader(zr, int64(want)+1))
			if err != nil {
				return fmt.Errorf("hdf5: %s: deflate: %v", ch.path, err)
			}
		case filterShuffle:
			n := ch.esize
			if len(f.params) > 0 {
				n = int(f.params[0])
			}
			data = unshuffle(data, n)
		}
	}
	if uint64(len(data)) != want {
		return fmt.Errorf("hdf5: %s: chunk of %d bytes, expected %d", ch.path, len(data), want)
	}
	// Copy the chunk row by row (runs along the last dimension),
	// clipped to the dataset.
	rank := len(ch.dims)
	last := rank - 1
	run := min(ch.dims[last], uint64(ch.shape[last])-offs[last])
	idx := make([]uint64, rank) // position inside the chunk; idx[last] stays 0
	for {
		inside := true
		var src, dst uint64
		for i := 0; i < rank; i++ {
			p := offs[i] + idx[i]
			if p >= uint64(ch.shape[i]) {
				inside = false
			}
			src = src*ch.dims[i] + idx[i]
			dst = dst*uint64(ch.shape[i]) + p
		}
		if inside {
			es := uint64(ch.esize)
			copy(ch.out[dst*es:(dst+run)*es], data[src*es:(src+run)*es])
		}
		i := last - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < ch.dims[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

// unshuffle undoes the shuffle filter: the first bytes of all elements,
// then the second bytes, and so on; trailing bytes stay as they are.
func unshuffle(b []byte, size int) []byte {
	if size <= 1 || len(b) < size {
		return b
	}
	n := len(b) / size
	out := make([]byte, len(b))
	for j := 0; j < size; j++ {
		for i := 0; i < n; i++ {
			out[i*size+j] = b[j*n+i]
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}
