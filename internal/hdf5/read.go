package hdf5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// Read reads an HDF5 file of the given size from r into memory: every
// group, dataset and attribute (see the package documentation for the
// subset of the format it understands). Anything else is an error that
// names the unsupported feature; malformed input is an error, never a
// panic.
func Read(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("hdf5: negative file size")
	}
	rd := &reader{
		r:      r,
		size:   uint64(size),
		objs:   map[uint64]any{},
		active: map[uint64]bool{},
		heaps:  map[uint64]map[uint16][]byte{},
		strs:   map[heapKey]string{},
		expand: 1032*uint64(size) + 16<<20,
	}
	root, err := rd.superblock()
	if err != nil {
		return nil, err
	}
	obj, err := rd.object(root, "/", 0)
	if err != nil {
		return nil, err
	}
	g, ok := obj.(*Group)
	if !ok {
		return nil, fmt.Errorf("hdf5: the root object is not a group")
	}
	return &File{Root: g}, nil
}

// ReadFile reads the named HDF5 file.
func ReadFile(name string) (*File, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return Read(bytes.NewReader(b), int64(len(b)))
}

type heapKey struct {
	addr uint64
	idx  uint32
}

type reader struct {
	r       io.ReaderAt
	size    uint64
	base    uint64
	so, sl  int            // size of offsets, size of lengths
	objs    map[uint64]any // objects read, by header address
	active  map[uint64]bool
	heaps   map[uint64]map[uint16][]byte // global heap collections
	strs    map[heapKey]string
	expand  uint64 // bytes left for data not stored as such in the file
	headers int
}

// read returns n bytes at the (relative) address addr.
func (r *reader) read(addr, n uint64) ([]byte, error) {
	a := addr + r.base
	if addr == undefAddr || a < addr || n > r.size || a > r.size-n {
		return nil, fmt.Errorf("hdf5: %d bytes at address %#x are outside the file (%d bytes)", n, addr, r.size)
	}
	b := make([]byte, n)
	if _, err := r.r.ReadAt(b, int64(a)); err != nil && !(err == io.EOF && n > 0) {
		return nil, fmt.Errorf("hdf5: reading %d bytes at %#x: %v", n, a, err)
	}
	return b, nil
}

// cursor decodes little-endian fields; reading past the end sets err
// and yields zeros.
type cursor struct {
	b      []byte
	off    int
	so, sl int
	err    error
	what   string
}

func (r *reader) cursor(b []byte, what string) *cursor {
	return &cursor{b: b, so: r.so, sl: r.sl, what: what}
}

func (c *cursor) bytes(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.off {
		c.err = fmt.Errorf("hdf5: truncated %s", c.what)
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *cursor) skip(n int) { c.bytes(n) }

func (c *cursor) uint(n int) uint64 {
	b := c.bytes(n)
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (c *cursor) u8() uint8   { return uint8(c.uint(1)) }
func (c *cursor) u16() uint16 { return uint16(c.uint(2)) }
func (c *cursor) u32() uint32 { return uint32(c.uint(4)) }
func (c *cursor) u64() uint64 { return c.uint(8) }

// addr reads an address; all ones (of any width) is undefAddr.
func (c *cursor) addr() uint64 {
	v := c.uint(c.so)
	if c.err == nil && c.so < 8 && v == 1<<(8*c.so)-1 {
		return undefAddr
	}
	return v
}

func (c *cursor) length() uint64 { return c.uint(c.sl) }

func (c *cursor) left() int { return len(c.b) - c.off }

// superblock finds and decodes the superblock (II.A) and returns the
// address of the root group's object header.
func (r *reader) superblock() (uint64, error) {
	var at uint64
	for {
		if at+8 > r.size {
			return 0, fmt.Errorf("hdf5: no HDF5 signature found (not an HDF5 file)")
		}
		b, err := r.read(at, 8)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(b, signature) {
			break
		}
		if at == 0 {
			at = 512
		} else {
			at *= 2
		}
	}
	head, err := r.read(at, min(r.size-at, 256))
	if err != nil {
		return 0, err
	}
	if len(head) < 16 {
		return 0, fmt.Errorf("hdf5: truncated superblock")
	}
	version := head[8]
	var sizes [2]byte
	switch version {
	case 0, 1:
		sizes = [2]byte{head[13], head[14]}
	case 2, 3:
		sizes = [2]byte{head[9], head[10]}
	default:
		return 0, fmt.Errorf("hdf5: superblock version %d not supported", version)
	}
	for _, s := range sizes {
		if s != 2 && s != 4 && s != 8 {
			return 0, fmt.Errorf("hdf5: address or length size %d not supported", s)
		}
	}
	r.so, r.sl = int(sizes[0]), int(sizes[1])
	c := r.cursor(head, "superblock")
	var root uint64
	if version <= 1 {
		c.skip(24)
		if version == 1 {
			c.skip(4) // indexed storage internal node K, reserved
		}
		r.base = c.addr()
		c.addr() // free-space info
		c.addr() // end of file
		c.addr() // driver info
		// Root group symbol table entry: name offset, header address.
		c.addr()
		root = c.addr()
		c.skip(24)
	} else {
		c.skip(12)
		r.base = c.addr()
		c.addr() // superblock extension (not needed to read)
		c.addr() // end of file
		root = c.addr()
		n := c.off
		sum := c.u32()
		if c.err == nil && Lookup3(head[:n], 0) != sum {
			return 0, fmt.Errorf("hdf5: superblock checksum mismatch")
		}
	}
	if c.err != nil {
		return 0, c.err
	}
	if r.base == undefAddr || r.base > r.size {
		return 0, fmt.Errorf("hdf5: base address %#x outside the file", r.base)
	}
	return root, nil
}

type hmsg struct {
	typ   uint16
	flags uint8
	data  []byte
}

const maxHeaderChunks = 4096

// header reads the messages of the object header at addr (IV.A.1,
// versions 1 and 2), following continuation messages.
func (r *reader) header(addr uint64) ([]hmsg, error) {
	r.headers++
	if r.headers > 1<<20 {
		return nil, fmt.Errorf("hdf5: too many object headers")
	}
	if addr == undefAddr || addr+r.base >= r.size {
		return nil, fmt.Errorf("hdf5: object header address %#x outside the file", addr)
	}
	pre, err := r.read(addr, min(16+16+4+8, r.size-(addr+r.base)))
	if err != nil {
		return nil, err
	}
	v2 := len(pre) >= 4 && string(pre[:4]) == "OHDR"
	var first []byte
	var order bool // v2: messages carry a creation order
	if v2 {
		c := r.cursor(pre, "object header")
		c.skip(4)
		if v := c.u8(); v != 2 {
			return nil, fmt.Errorf("hdf5: object header version %d not supported", v)
		}
		flags := c.u8()
		order = flags&0x04 != 0
		if flags&0x20 != 0 {
			c.skip(16) // access, modification, change and birth times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute phase change values
		}
		size := c.uint(1 << (flags & 3))
		if c.err != nil {
			return nil, c.err
		}
		if size > r.size {
			return nil, fmt.Errorf("hdf5: object header at %#x larger than the file", addr)
		}
		prefix := uint64(c.off)
		all, err := r.read(addr, prefix+size+4)
		if err != nil {
			return nil, err
		}
		if err := checkSum(all, "object header"); err != nil {
			return nil, err
		}
		first = all[prefix : prefix+size]
	} else {
		// Version 1: version, reserved, message count, reference count,
		// header size, padding to 8 bytes.
		if len(pre) < 16 || pre[0] != 1 {
			return nil, fmt.Errorf("hdf5: no object header at %#x (version %d)", addr, pre[0])
		}
		first, err = r.read(addr+16, uint64(binary.LittleEndian.Uint32(pre[8:])))
		if err != nil {
			return nil, err
		}
	}
	var msgs []hmsg
	seen := map[uint64]bool{addr: true}
	todo := [][]byte{first}
	for len(todo) > 0 {
		block := todo[0]
		todo = todo[1:]
		n := len(msgs)
		msgs, err = r.messages(block, v2, order, msgs)
		if err != nil {
			return nil, err
		}
		next, err := r.continuations(msgs[n:], seen)
		if err != nil {
			return nil, err
		}
		if len(seen) > maxHeaderChunks {
			return nil, fmt.Errorf("hdf5: too many object header chunks")
		}
		for _, ch := range next {
			b, err := r.read(ch[0], ch[1])
			if err != nil {
				return nil, err
			}
			if v2 {
				if len(b) < 8 || string(b[:4]) != "OCHK" {
					return nil, fmt.Errorf("hdf5: object header continuation without OCHK signature")
				}
				if err := checkSum(b, "object header continuation"); err != nil {
					return nil, err
				}
				b = b[4 : len(b)-4]
			}
			todo = append(todo, b)
		}
	}
	return msgs, nil
}

// continuations returns the chunks named by continuation messages in
// msgs that were not read yet, marking them seen.
func (r *reader) continuations(msgs []hmsg, seen map[uint64]bool) ([][2]uint64, error) {
	var out [][2]uint64
	for _, m := range msgs {
		if m.typ != msgContinuation {
			continue
		}
		c := r.cursor(m.data, "continuation message")
		a, n := c.addr(), c.length()
		if c.err != nil {
			return nil, c.err
		}
		if seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, [2]uint64{a, n})
	}
	return out, nil
}

func checkSum(b []byte, what string) error {
	if len(b) < 4 {
		return fmt.Errorf("hdf5: truncated %s", what)
	}
	n := len(b) - 4
	if Lookup3(b[:n], 0) != binary.LittleEndian.Uint32(b[n:]) {
		return fmt.Errorf("hdf5: %s checksum mismatch", what)
	}
	return nil
}

// messages decodes the header messages of one chunk.
func (r *reader) messages(b []byte, v2, order bool, msgs []hmsg) ([]hmsg, error) {
	c := r.cursor(b, "object header message")
	hsize := 8
	if v2 {
		hsize = 4
		if order {
			hsize = 6
		}
	}
	for c.left() >= hsize {
		var m hmsg
		if v2 {
			m.typ = uint16(c.u8())
			n := int(c.u16())
			m.flags = c.u8()
			if order {
				c.skip(2)
			}
			m.data = c.bytes(n)
		} else {
			m.typ = c.u16()
			n := int(c.u16())
			m.flags = c.u8()
			c.skip(3)
			m.data = c.bytes(n)
		}
		if c.err != nil {
			return nil, c.err
		}
		if m.typ == msgNIL {
			continue
		}
		if m.flags&0x80 != 0 && !knownMessage(m.typ) {
			return nil, fmt.Errorf("hdf5: unknown header message type %#x marked as required", m.typ)
		}
		msgs = append(msgs, m)
		if len(msgs) > 1<<20 {
			return nil, fmt.Errorf("hdf5: too many header messages")
		}
	}
	return msgs, nil
}

func knownMessage(t uint16) bool {
	switch t {
	case msgDataspace, msgLinkInfo, msgDatatype, msgFillOld, msgFill, msgLink, msgLayout,
		msgGroupInfo, msgFilters, msgAttribute, msgContinuation, msgSymbolTable, msgAttrInfo:
		return true
	}
	return false
}

func find(msgs []hmsg, typ uint16) *hmsg {
	for i := range msgs {
		if msgs[i].typ == typ {
			return &msgs[i]
		}
	}
	return nil
}

// object reads the group or dataset whose header is at addr.
func (r *reader) object(addr uint64, path string, depth int) (any, error) {
	if obj, ok := r.objs[addr]; ok {
		return obj, nil
	}
	if r.active[addr] {
		return nil, fmt.Errorf("hdf5: %s: link to a group containing it", path)
	}
	if depth > 1000 {
		return nil, fmt.Errorf("hdf5: %s: groups nested too deeply", path)
	}
	r.active[addr] = true
	defer delete(r.active, addr)
	msgs, err := r.header(addr)
	if err != nil {
		return nil, fmt.Errorf("%v (object %s)", err, path)
	}
	for _, m := range msgs {
		switch m.typ {
		case msgDataspace, msgDatatype, msgLayout, msgFilters, msgAttribute:
			if m.flags&0x02 != 0 {
				return nil, fmt.Errorf("hdf5: %s: shared header messages (committed datatypes, shared dataspaces) are not supported", path)
			}
		}
	}
	attrs, err := r.attributes(msgs, path)
	if err != nil {
		return nil, err
	}
	var obj any
	switch {
	case find(msgs, msgLayout) != nil:
		d, err := r.dataset(msgs, path)
		if err != nil {
			return nil, err
		}
		d.attrs = attrs
		obj = d
	case find(msgs, msgSymbolTable) != nil || find(msgs, msgLinkInfo) != nil ||
		find(msgs, msgLink) != nil || find(msgs, msgGroupInfo) != nil:
		g := &Group{attrs: attrs}
		if err := r.links(g, msgs, path, depth); err != nil {
			return nil, err
		}
		obj = g
	case find(msgs, msgDatatype) != nil:
		return nil, fmt.Errorf("hdf5: %s: committed (named) datatypes are not supported", path)
	default:
		return nil, fmt.Errorf("hdf5: %s: object is neither a group nor a dataset", path)
	}
	r.objs[addr] = obj
	return obj, nil
}

// links reads the members of a group: link messages (compact storage)
// or a symbol table (v1 B-tree and local heap).
func (r *reader) links(g *Group, msgs []hmsg, path string, depth int) error {
	add := func(name string, addr uint64) error {
		if name == "" || g.groups[name] != nil || g.datasets[name] != nil {
			return fmt.Errorf("hdf5: %s: empty or repeated link name %q", path, name)
		}
		child, err := r.object(addr, joinPath(path, name), depth+1)
		if err != nil {
			return err
		}
		switch c := child.(type) {
		case *Group:
			if g.groups == nil {
				g.groups = map[string]*Group{}
			}
			g.groups[name] = c
		case *Dataset:
			if g.datasets == nil {
				g.datasets = map[string]*Dataset{}
			}
			g.datasets[name] = c
		}
		return nil
	}
	if m := find(msgs, msgSymbolTable); m != nil {
		c := r.cursor(m.data, "symbol table message")
		btree, heap := c.addr(), c.addr()
		if c.err != nil {
			return c.err
		}
		return r.symbolTable(btree, heap, path, add)
	}
	if m := find(msgs, msgLinkInfo); m != nil {
		c := r.cursor(m.data, "link info message")
		if v := c.u8(); v != 0 {
			return fmt.Errorf("hdf5: %s: link info message version %d not supported", path, v)
		}
		if c.u8()&1 != 0 {
			c.skip(8)
		}
		heap, names := c.addr(), c.addr()
		if c.err != nil {
			return c.err
		}
		if heap != undefAddr {
			msgs, err := r.denseMessages(heap, names, 5, 4, path+" links")
			if err != nil {
				return err
			}
			for _, m := range msgs {
				name, addr, err := r.link(m, path)
				if err != nil {
					return err
				}
				if err := add(name, addr); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range msgs {
		if m.typ != msgLink {
			continue
		}
		name, addr, err := r.link(m.data, path)
		if err != nil {
			return err
		}
		if err := add(name, addr); err != nil {
			return err
		}
	}
	return nil
}

// link decodes a link message (IV.A.2.g); only hard links are
// supported.
func (r *reader) link(b []byte, path string) (string, uint64, error) {
	c := r.cursor(b, "link message")
	if v := c.u8(); v != 1 {
		return "", 0, fmt.Errorf("hdf5: %s: link message version %d not supported", path, v)
	}
	flags := c.u8()
	var ltype uint8
	if flags&0x08 != 0 {
		ltype = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // character set
	}
	n := c.uint(1 << (flags & 3))
	if n > uint64(len(b)) {
		return "", 0, fmt.Errorf("hdf5: %s: truncated link message", path)
	}
	name := string(c.bytes(int(n)))
	addr := c.addr()
	if c.err != nil {
		return "", 0, c.err
	}
	switch ltype {
	case 0:
		return name, addr, nil
	case 1:
		return "", 0, fmt.Errorf("hdf5: %s: soft link %q is not supported", path, name)
	case 64:
		return "", 0, fmt.Errorf("hdf5: %s: external link %q is not supported", path, name)
	}
	return "", 0, fmt.Errorf("hdf5: %s: link %q of type %d is not supported", path, name, ltype)
}

// symbolTable walks an old-style group: a v1 B-tree of symbol table
// nodes whose names are in a local heap (III.A.1, III.B, III.C, III.D).
func (r *reader) symbolTable(btree, heapAddr uint64, path string, add func(string, uint64) error) error {
	hb, err := r.read(heapAddr, uint64(8+2*r.sl+r.so))
	if err != nil {
		return err
	}
	c := r.cursor(hb, "local heap")
	if string(c.bytes(4)) != "HEAP" {
		return fmt.Errorf("hdf5: %s: no local heap signature", path)
	}
	c.skip(4)
	dsize := c.length()
	c.length() // free list
	daddr := c.addr()
	if c.err != nil {
		return c.err
	}
	heap, err := r.read(daddr, dsize)
	if err != nil {
		return err
	}
	seen := map[uint64]bool{}
	var walk func(addr uint64, depth int) error
	walk = func(addr uint64, depth int) error {
		if seen[addr] || depth > 64 {
			return fmt.Errorf("hdf5: %s: malformed group B-tree", path)
		}
		seen[addr] = true
		level, children, err := r.btreeNode(addr, 0, r.sl)
		if err != nil {
			return fmt.Errorf("%v (group %s)", err, path)
		}
		for _, ch := range children {
			if level > 0 {
				if err := walk(ch.addr, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := r.symbolNode(ch.addr, heap, path, add); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(btree, 0)
}

type btreeChild struct {
	key  []byte
	addr uint64
}

// btreeNode reads a version 1 B-tree node (III.A.1) of the given type
// whose keys are keySize bytes; each child comes with the key before
// it.
func (r *reader) btreeNode(addr uint64, typ uint8, keySize int) (int, []btreeChild, error) {
	hdr, err := r.read(addr, uint64(8+2*r.so))
	if err != nil {
		return 0, nil, err
	}
	c := r.cursor(hdr, "B-tree node")
	if string(c.bytes(4)) != "TREE" {
		return 0, nil, fmt.Errorf("hdf5: no B-tree node signature at %#x", addr)
	}
	if t := c.u8(); t != typ {
		return 0, nil, fmt.Errorf("hdf5: B-tree node of type %d, expected %d", t, typ)
	}
	level := int(c.u8())
	n := int(c.u16())
	body, err := r.read(addr+uint64(len(hdr)), uint64(n)*uint64(keySize+r.so)+uint64(keySize))
	if err != nil {
		return 0, nil, err
	}
	c = r.cursor(body, "B-tree node")
	children := make([]btreeChild, n)
	for i := range children {
		children[i].key = c.bytes(keySize)
		children[i].addr = c.addr()
	}
	if c.err != nil {
		return 0, nil, c.err
	}
	return level, children, nil
}

// symbolNode reads a symbol table node (III.B) and adds its entries.
func (r *reader) symbolNode(addr uint64, heap []byte, path string, add func(string, uint64) error) error {
	hdr, err := r.read(addr, 8)
	if err != nil {
		return err
	}
	if string(hdr[:4]) != "SNOD" {
		return fmt.Errorf("hdf5: %s: no symbol table node signature at %#x", path, addr)
	}
	n := uint64(binary.LittleEndian.Uint16(hdr[6:]))
	entrySize := uint64(2*r.so + 24)
	body, err := r.read(addr+8, n*entrySize)
	if err != nil {
		return err
	}
	c := r.cursor(body, "symbol table node")
	for range n {
		off := c.uint(r.so)
		obj := c.addr()
		c.skip(24)
		if c.err != nil {
			return c.err
		}
		if off >= uint64(len(heap)) {
			return fmt.Errorf("hdf5: %s: link name outside the local heap", path)
		}
		name := heap[off:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		} else {
			return fmt.Errorf("hdf5: %s: unterminated link name in the local heap", path)
		}
		if err := add(string(name), obj); err != nil {
			return err
		}
	}
	return nil
}

// attributes decodes the attributes of an object: attribute messages
// in its header and, with dense attribute storage, in a fractal heap.
func (r *reader) attributes(msgs []hmsg, path string) (map[string]*Value, error) {
	var raw [][]byte
	for _, m := range msgs {
		if m.typ == msgAttribute {
			raw = append(raw, m.data)
		}
	}
	if m := find(msgs, msgAttrInfo); m != nil {
		c := r.cursor(m.data, "attribute info message")
		if v := c.u8(); v != 0 {
			return nil, fmt.Errorf("hdf5: %s: attribute info message version %d not supported", path, v)
		}
		if c.u8()&1 != 0 {
			c.skip(2) // maximum creation index
		}
		heap, names := c.addr(), c.addr()
		if c.err != nil {
			return nil, c.err
		}
		if heap != undefAddr {
			dense, err := r.denseMessages(heap, names, 8, 0, path+" attributes")
			if err != nil {
				return nil, err
			}
			raw = append(raw, dense...)
		}
	}
	var attrs map[string]*Value
	for _, b := range raw {
		name, v, err := r.attribute(b, path)
		if err != nil {
			return nil, err
		}
		if attrs == nil {
			attrs = map[string]*Value{}
		}
		attrs[name] = v
	}
	return attrs, nil
}

// attribute decodes an attribute message (IV.A.2.m, versions 1-3).
func (r *reader) attribute(b []byte, path string) (string, *Value, error) {
	c := r.cursor(b, "attribute message")
	version := c.u8()
	flags := c.u8()
	nameSize, dtSize, dsSize := int(c.u16()), int(c.u16()), int(c.u16())
	padded := func(n int) int { return n }
	switch version {
	case 1:
		padded = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		return "", nil, fmt.Errorf("hdf5: %s: attribute message version %d not supported", path, version)
	}
	if flags&3 != 0 {
		return "", nil, fmt.Errorf("hdf5: %s: attributes with shared datatypes or dataspaces are not supported", path)
	}
	name := c.bytes(padded(nameSize))
	dt := c.bytes(padded(dtSize))
	ds := c.bytes(padded(dsSize))
	if c.err != nil {
		return "", nil, fmt.Errorf("%v (%s)", c.err, path)
	}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	apath := fmt.Sprintf("%s attribute %q", path, name)
	typ, err := r.datatype(dt, apath)
	if err != nil {
		return "", nil, err
	}
	shape, err := r.dataspace(ds, apath)
	if err != nil {
		return "", nil, err
	}
	v, err := r.decode(typ, shape, c.b[c.off:], apath)
	if err != nil {
		return "", nil, err
	}
	return string(name), v, nil
}

// dataspace decodes a dataspace message (IV.A.2.b, versions 1 and 2)
// into a shape, nil for a scalar.
func (r *reader) dataspace(b []byte, path string) ([]int, error) {
	c := r.cursor(b, "dataspace message")
	version := c.u8()
	rank := int(c.u8())
	c.u8() // flags: maximum dimensions and permutation present (ignored)
	switch version {
	case 1:
		c.skip(5)
	case 2:
		switch t := c.u8(); t {
		case 0:
			rank = 0
		case 1:
		case 2:
			return nil, fmt.Errorf("hdf5: %s: null dataspace (empty value) is not supported", path)
		default:
			return nil, fmt.Errorf("hdf5: %s: dataspace type %d", path, t)
		}
	default:
		return nil, fmt.Errorf("hdf5: %s: dataspace message version %d not supported", path, version)
	}
	if rank > 32 {
		return nil, fmt.Errorf("hdf5: %s: rank %d above 32", path, rank)
	}
	var shape []int
	for range rank {
		d := c.length()
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("hdf5: %s: dimension %d too large", path, d)
		}
		shape = append(shape, int(d))
	}
	if c.err != nil {
		return nil, fmt.Errorf("%v (%s)", c.err, path)
	}
	if _, err := shapeLen(shape); err != nil {
		return nil, fmt.Errorf("hdf5: %s: %v", path, err)
	}
	return shape, nil
}

// dtype is a decoded datatype.
type dtype struct {
	t    Type
	size int  // bytes per element in the file
	be   bool // big-endian numbers
	pad  int  // string padding: 0 null-terminated, 1 null-padded, 2 space-padded
}

// datatype decodes a datatype message (IV.A.2.d) of a supported class:
// integers, IEEE floats, fixed-length and variable-length strings.
func (r *reader) datatype(b []byte, path string) (dtype, error) {
	c := r.cursor(b, "datatype message")
	cv := c.u8()
	bits := uint32(c.u8()) | uint32(c.u8())<<8 | uint32(c.u8())<<16
	size := c.u32()
	if c.err != nil {
		return dtype{}, fmt.Errorf("%v (%s)", c.err, path)
	}
	class, version := cv&0x0f, cv>>4
	if version < 1 || version > 4 {
		return dtype{}, fmt.Errorf("hdf5: %s: datatype version %d not supported", path, version)
	}
	d := dtype{size: int(size), be: bits&1 != 0}
	switch class {
	case 0: // fixed-point
		off, prec := c.u16(), c.u16()
		if c.err != nil {
			return dtype{}, fmt.Errorf("%v (%s)", c.err, path)
		}
		signed := bits&0x08 != 0
		if off != 0 || int(prec) != 8*d.size {
			return dtype{}, fmt.Errorf("hdf5: %s: integer with bit offset %d and precision %d in %d bytes is not supported", path, off, prec, d.size)
		}
		types := map[int][2]Type{1: {Uint8, Int8}, 2: {Uint16, Int16}, 4: {Uint32, Int32}, 8: {Uint64, Int64}}
		t, ok := types[d.size]
		if !ok {
			return dtype{}, fmt.Errorf("hdf5: %s: %d-byte integers are not supported", path, d.size)
		}
		d.t = t[0]
		if signed {
			d.t = t[1]
		}
	case 1: // floating-point
		if bits&0x40 != 0 {
			return dtype{}, fmt.Errorf("hdf5: %s: VAX floating-point is not supported", path)
		}
		off, prec := c.u16(), c.u16()
		eloc, esize, mloc, msize := c.u8(), c.u8(), c.u8(), c.u8()
		bias := c.u32()
		if c.err != nil {
			return dtype{}, fmt.Errorf("%v (%s)", c.err, path)
		}
		sign := (bits >> 8) & 0xff
		norm := (bits >> 4) & 3
		switch {
		case d.size == 8 && off == 0 && prec == 64 && eloc == 52 && esize == 11 && mloc == 0 && msize == 52 && bias == 1023 && sign == 63 && norm == 2:
			d.t = Float64
		case d.size == 4 && off == 0 && prec == 32 && eloc == 23 && esize == 8 && mloc == 0 && msize == 23 && bias == 127 && sign == 31 && norm == 2:
			d.t = Float32
		default:
			return dtype{}, fmt.Errorf("hdf5: %s: %d-byte floating-point type other than IEEE binary32/binary64 is not supported", path, d.size)
		}
	case 3: // string
		d.t = FixedString
		d.pad = int(bits & 0x0f)
		if d.size < 1 {
			return dtype{}, fmt.Errorf("hdf5: %s: fixed-length string of size 0", path)
		}
	case 9: // variable-length
		if bits&0x0f != 1 {
			return dtype{}, fmt.Errorf("hdf5: %s: variable-length sequences (other than strings) are not supported", path)
		}
		d.t = String
		d.pad = int(bits>>4) & 0x0f
		if d.size != 4+r.so+4 {
			return dtype{}, fmt.Errorf("hdf5: %s: variable-length string element of %d bytes", path, d.size)
		}
	default:
		names := map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enumeration (h5py bool)", 10: "array"}
		name := names[class]
		if name == "" {
			name = fmt.Sprintf("class %d", class)
		}
		return dtype{}, fmt.Errorf("hdf5: %s: %s datatype is not supported", path, name)
	}
	return d, nil
}

// decode turns raw data (at least the elements of shape) into a Value.
func (r *reader) decode(d dtype, shape []int, raw []byte, path string) (*Value, error) {
	n, err := shapeLen(shape)
	if err != nil {
		return nil, fmt.Errorf("hdf5: %s: %v", path, err)
	}
	if uint64(n)*uint64(d.size) > uint64(len(raw)) {
		return nil, fmt.Errorf("hdf5: %s: %d bytes of data for %d elements of %d bytes", path, len(raw), n, d.size)
	}
	v := &Value{typ: d.t, shape: shape}
	var order binary.ByteOrder = binary.LittleEndian
	if d.be {
		order = binary.BigEndian
	}
	switch d.t {
	case Float64:
		v.f64 = make([]float64, n)
		for i := range v.f64 {
			v.f64[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		}
	case Float32:
		v.f32 = make([]float32, n)
		for i := range v.f32 {
			v.f32[i] = math.Float32frombits(order.Uint32(raw[4*i:]))
		}
	case FixedString:
		v.strSize = d.size
		v.strs = make([]string, n)
		for i := range v.strs {
			s := raw[i*d.size : (i+1)*d.size]
			switch d.pad {
			case 0: // null-terminated
				if j := bytes.IndexByte(s, 0); j >= 0 {
					s = s[:j]
				}
			case 2:
				s = bytes.TrimRight(s, " ")
			default:
				s = bytes.TrimRight(s, "\x00")
			}
			v.strs[i] = string(s)
		}
	case String:
		v.strs = make([]string, n)
		for i := range v.strs {
			c := r.cursor(raw[i*d.size:(i+1)*d.size], "variable-length string")
			length, addr, idx := c.u32(), c.addr(), c.u32()
			if c.err != nil {
				return nil, c.err
			}
			if length == 0 {
				continue
			}
			s, err := r.heapString(addr, idx, length)
			if err != nil {
				return nil, fmt.Errorf("%v (%s)", err, path)
			}
			v.strs[i] = s
		}
	default: // integers
		v.ints = make([]int64, n)
		size := d.size
		for i := range v.ints {
			e := raw[i*size : (i+1)*size]
			var u uint64
			if d.be {
				for _, x := range e {
					u = u<<8 | uint64(x)
				}
			} else {
				for j := size - 1; j >= 0; j-- {
					u = u<<8 | uint64(e[j])
				}
			}
			if d.t.signed() && size < 8 && u&(1<<(8*size-1)) != 0 {
				u |= ^uint64(0) << (8 * size) // sign extension
			}
			v.ints[i] = int64(u)
		}
	}
	return v, nil
}

// heapString returns the first length bytes of a global heap object.
func (r *reader) heapString(addr uint64, idx, length uint32) (string, error) {
	key := heapKey{addr, idx}
	if s, ok := r.strs[key]; ok && len(s) == int(length) {
		return s, nil
	}
	objs, ok := r.heaps[addr]
	if !ok {
		var err error
		if objs, err = r.collection(addr); err != nil {
			return "", err
		}
		r.heaps[addr] = objs
	}
	if idx > math.MaxUint16 {
		return "", fmt.Errorf("hdf5: global heap object index %d", idx)
	}
	obj, ok := objs[uint16(idx)]
	if !ok {
		return "", fmt.Errorf("hdf5: no object %d in the global heap collection at %#x", idx, addr)
	}
	if uint64(length) > uint64(len(obj)) {
		return "", fmt.Errorf("hdf5: string of %d bytes in a global heap object of %d", length, len(obj))
	}
	s := string(obj[:length])
	r.strs[key] = s
	return s, nil
}

// collection reads a global heap collection (III.E).
func (r *reader) collection(addr uint64) (map[uint16][]byte, error) {
	hdr, err := r.read(addr, uint64(8+r.sl))
	if err != nil {
		return nil, err
	}
	c := r.cursor(hdr, "global heap collection")
	if string(c.bytes(4)) != "GCOL" {
		return nil, fmt.Errorf("hdf5: no global heap collection at %#x", addr)
	}
	if v := c.u8(); v != 1 {
		return nil, fmt.Errorf("hdf5: global heap collection version %d not supported", v)
	}
	c.skip(3)
	size := c.length()
	if c.err != nil {
		return nil, c.err
	}
	b, err := r.read(addr, size)
	if err != nil {
		return nil, err
	}
	objs := map[uint16][]byte{}
	c = r.cursor(b, "global heap collection")
	c.skip(8 + r.sl)
	for c.left() >= 8+r.sl {
		idx := c.u16()
		c.skip(6)
		n := c.length()
		if idx == 0 {
			break // free space
		}
		if n > uint64(c.left()) {
			return nil, fmt.Errorf("hdf5: global heap object of %d bytes overruns its collection", n)
		}
		objs[idx] = c.bytes(int(n))
		c.skip(min(c.left(), int(align8(n)-n)))
	}
	return objs, nil
}
