package hdf5

import (
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// The on-disk sizes this writer uses: 8-byte addresses and lengths.
const (
	sizeOffsets = 8
	sizeLengths = 8
	undefAddr   = math.MaxUint64

	// CompactMax is the largest raw data size, in bytes, that a dataset
	// stores in its object header (compact layout); larger data is
	// stored contiguously after the headers.
	CompactMax = 256

	// MaxLinks is the most links (subgroups and datasets) a group may
	// have: the writer stores all of them in the group's object header
	// (compact link storage), whose group info message records the
	// limit in a 16-bit field. Dense ("new style" fractal heap and
	// B-tree) link storage is not implemented.
	MaxLinks = 65535

	// maxMessage is the largest message data a v2 object header holds.
	maxMessage = 65535

	// Global heap collections: at least 4096 bytes (the C library reads
	// that much), objects numbered from 1 with 16-bit indexes.
	gcolMin      = 4096
	gcolMaxBytes = 1 << 20
	gcolMaxObjs  = 65535
)

// Header message types (File Format Specification IV.A.2).
const (
	msgNIL          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgLayout       = 0x08
	msgGroupInfo    = 0x0a
	msgFilters      = 0x0b
	msgAttribute    = 0x0c
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

var signature = []byte{0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}

// Write writes f to w as an HDF5 file (see the package documentation
// for the format subset). The same tree always gives the same bytes.
func Write(w io.Writer, f *File) error {
	b, err := f.MarshalBinary()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes f to the named file.
func WriteFile(name string, f *File) error {
	b, err := f.MarshalBinary()
	if err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// WriteTo writes f to w as an HDF5 file; it implements io.WriterTo.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	b, err := f.MarshalBinary()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// MarshalBinary returns f as the bytes of an HDF5 file.
func (f *File) MarshalBinary() ([]byte, error) {
	root := f.Root
	if root == nil {
		root = &Group{}
	}
	w := &writer{refs: map[*Value][]heapRef{}}
	if err := w.collect(root, "/", 0, map[*Group]bool{}); err != nil {
		return nil, err
	}
	// Pass 1 sizes every object header (addresses do not change sizes),
	// pass 2 encodes them with the addresses laid out after pass 1.
	for i := range w.objs {
		hdr, err := w.header(w.objs[i])
		if err != nil {
			return nil, fmt.Errorf("hdf5: %s: %v", w.objs[i].path, err)
		}
		w.objs[i].size = uint64(len(hdr))
	}
	pos := uint64(superblockSize)
	for i := range w.objs {
		pos = align8(pos)
		w.objs[i].addr = pos
		pos += w.objs[i].size
	}
	for i := range w.objs {
		o := &w.objs[i]
		if o.ds != nil && o.contiguous {
			pos = align8(pos)
			o.dataAddr = pos
			pos += o.dataSize
		}
	}
	for i := range w.colls {
		pos = align8(pos)
		w.colls[i].addr = pos
		pos += w.colls[i].size
	}
	eof := pos
	w.addrOf = map[any]uint64{}
	for _, o := range w.objs {
		w.addrOf[o.key] = o.addr
	}

	out := make([]byte, 0, eof)
	out = append(out, superblock(eof, w.objs[0].addr)...)
	for i := range w.objs {
		o := &w.objs[i]
		hdr, err := w.header(*o)
		if err != nil {
			return nil, fmt.Errorf("hdf5: %s: %v", o.path, err)
		}
		if uint64(len(hdr)) != o.size {
			return nil, fmt.Errorf("hdf5: internal error: header of %s changed size", o.path)
		}
		out = pad(out, o.addr)
		out = append(out, hdr...)
	}
	for i := range w.objs {
		o := &w.objs[i]
		if o.ds != nil && o.contiguous {
			out = pad(out, o.dataAddr)
			out = w.appendRaw(out, o.ds.Value)
		}
	}
	for i := range w.colls {
		out = pad(out, w.colls[i].addr)
		out = w.colls[i].appendTo(out)
	}
	if uint64(len(out)) != eof {
		return nil, fmt.Errorf("hdf5: internal error: wrote %d bytes, laid out %d", len(out), eof)
	}
	return out, nil
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// pad appends zero bytes to b up to length n.
func pad(b []byte, n uint64) []byte {
	for uint64(len(b)) < n {
		b = append(b, 0)
	}
	return b
}

// object is a group or dataset to be written, in depth-first order.
type object struct {
	path       string
	key        any // *Group or *Dataset
	g          *Group
	ds         *Dataset
	contiguous bool
	dataSize   uint64
	size, addr uint64
	dataAddr   uint64
}

type heapRef struct {
	coll int
	idx  uint32
}

type writer struct {
	objs   []object
	colls  []gcol
	refs   map[*Value][]heapRef // heap objects of variable-length strings
	addrOf map[any]uint64
}

// collect lists the objects depth first, links in name order, checks
// names and values, and places variable-length strings in heaps.
func (w *writer) collect(g *Group, path string, depth int, onPath map[*Group]bool) error {
	if onPath[g] {
		return fmt.Errorf("hdf5: %s: group contains itself", path)
	}
	if depth > 1000 {
		return fmt.Errorf("hdf5: %s: groups nested too deeply", path)
	}
	onPath[g] = true
	defer delete(onPath, g)
	if g.Len() > MaxLinks {
		return fmt.Errorf("hdf5: %s: %d links, above the %d of compact link storage (dense link storage is not implemented)", path, g.Len(), MaxLinks)
	}
	w.objs = append(w.objs, object{path: path, key: g, g: g})
	if err := w.collectAttrs(path, g.attrs); err != nil {
		return err
	}
	for _, name := range g.Names() {
		if err := checkName(name); err != nil {
			return fmt.Errorf("hdf5: %s: link %v", path, err)
		}
		sub := joinPath(path, name)
		if cg, ok := g.groups[name]; ok {
			if cg == nil {
				return fmt.Errorf("hdf5: %s: nil group", sub)
			}
			if err := w.collect(cg, sub, depth+1, onPath); err != nil {
				return err
			}
			continue
		}
		d := g.datasets[name]
		if d == nil || d.Value == nil {
			return fmt.Errorf("hdf5: %s: nil dataset", sub)
		}
		if err := d.check(); err != nil {
			return fmt.Errorf("hdf5: %s: %v", sub, err)
		}
		o := object{path: sub, key: d, ds: d}
		o.dataSize = uint64(d.Len()) * uint64(elemSize(d.Value))
		o.contiguous = o.dataSize > CompactMax
		w.objs = append(w.objs, o)
		if err := w.collectAttrs(sub, d.attrs); err != nil {
			return err
		}
		w.place(d.Value)
	}
	return nil
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func (w *writer) collectAttrs(path string, attrs map[string]*Value) error {
	for _, name := range sortedKeys(attrs) {
		if name == "" || len(name) >= math.MaxUint16 || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
			return fmt.Errorf("hdf5: %s: bad attribute name %q", path, name)
		}
		v := attrs[name]
		if err := v.check(); err != nil {
			return fmt.Errorf("hdf5: %s: attribute %q: %v", path, name, err)
		}
		w.place(v)
	}
	return nil
}

func checkName(name string) error {
	switch {
	case name == "" || name == ".":
		return fmt.Errorf("name %q not allowed", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("name %q is not valid UTF-8", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("name %q contains '/' or NUL", name)
	}
	return nil
}

// place puts the strings of a String value into global heap
// collections (once per value).
func (w *writer) place(v *Value) {
	if v.typ != String {
		return
	}
	if _, done := w.refs[v]; done {
		return
	}
	refs := make([]heapRef, len(v.strs))
	for i, s := range v.strs {
		objSize := 16 + align8(uint64(len(s)))
		if len(w.colls) == 0 {
			w.colls = append(w.colls, gcol{used: 16})
		}
		c := &w.colls[len(w.colls)-1]
		if len(c.objs) == gcolMaxObjs || (len(c.objs) > 0 && c.used+objSize > gcolMaxBytes) {
			w.colls = append(w.colls, gcol{used: 16})
			c = &w.colls[len(w.colls)-1]
		}
		c.objs = append(c.objs, s)
		c.used += objSize
		c.size = c.used
		if c.size < gcolMin {
			c.size = gcolMin
		}
		if free := c.size - c.used; free > 0 && free < 16 {
			c.size += 16 // room for the free-space object's header
		}
		refs[i] = heapRef{coll: len(w.colls) - 1, idx: uint32(len(c.objs))}
	}
	w.refs[v] = refs
}

func sortedKeys(m map[string]*Value) []string { return slices.Sorted(maps.Keys(m)) }

// gcol is a global heap collection (III.E) being built.
type gcol struct {
	objs       []string
	used, size uint64
	addr       uint64
}

func (c *gcol) appendTo(b []byte) []byte {
	start := len(b)
	b = append(b, 'G', 'C', 'O', 'L', 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, c.size)
	for i, s := range c.objs {
		b = binary.LittleEndian.AppendUint16(b, uint16(i+1))
		b = binary.LittleEndian.AppendUint16(b, 0) // reference count
		b = append(b, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
		b = pad(b, uint64(start)+align8(uint64(len(b)-start)))
	}
	if free := c.size - c.used; free >= 16 {
		// Object 0: the free space, its size counting its own header.
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint64(b, free)
	}
	return pad(b, uint64(start)+c.size)
}

const superblockSize = 48

// superblock encodes a version 2 superblock (II.A).
func superblock(eof, root uint64) []byte {
	b := append([]byte{}, signature...)
	b = append(b, 2, sizeOffsets, sizeLengths, 0)
	b = binary.LittleEndian.AppendUint64(b, 0)         // base address
	b = binary.LittleEndian.AppendUint64(b, undefAddr) // no superblock extension
	b = binary.LittleEndian.AppendUint64(b, eof)
	b = binary.LittleEndian.AppendUint64(b, root)
	return binary.LittleEndian.AppendUint32(b, Lookup3(b, 0))
}

type message struct {
	typ   byte
	flags byte
	data  []byte
}

// header encodes the version 2 object header (IV.A.1.b) of o.
func (w *writer) header(o object) ([]byte, error) {
	var msgs []message
	var attrs map[string]*Value
	if o.g != nil {
		attrs = o.g.attrs
		names := o.g.Names()
		linfo := []byte{0, 0}
		linfo = binary.LittleEndian.AppendUint64(linfo, undefAddr) // no fractal heap
		linfo = binary.LittleEndian.AppendUint64(linfo, undefAddr) // no name index
		msgs = append(msgs, message{typ: msgLinkInfo, data: linfo})
		ginfo := []byte{0, 0}
		if len(names) > 8 {
			// Phase change values: compact storage up to len(names)
			// links (the default of 8 is exceeded).
			ginfo = []byte{0, 1}
			ginfo = binary.LittleEndian.AppendUint16(ginfo, uint16(len(names)))
			ginfo = binary.LittleEndian.AppendUint16(ginfo, 6)
		}
		msgs = append(msgs, message{typ: msgGroupInfo, data: ginfo})
		for _, name := range names {
			var target any = o.g.datasets[name]
			if sub, ok := o.g.groups[name]; ok {
				target = sub
			}
			msgs = append(msgs, message{typ: msgLink, data: linkMessage(name, w.addrOf[target])})
		}
	} else {
		d := o.ds
		attrs = d.attrs
		msgs = append(msgs,
			message{typ: msgDataspace, data: dataspace(d.Value)},
			message{typ: msgDatatype, flags: 1, data: datatype(d.Value)})
		var layout []byte
		if o.contiguous {
			// Fill value v3: late allocation, fill value written if set,
			// no fill value defined.
			msgs = append(msgs, message{typ: msgFill, flags: 1, data: []byte{3, 2 | 2<<2}})
			layout = []byte{3, 1}
			layout = binary.LittleEndian.AppendUint64(layout, o.dataAddr)
			layout = binary.LittleEndian.AppendUint64(layout, o.dataSize)
		} else {
			// Compact data must be allocated early.
			msgs = append(msgs, message{typ: msgFill, flags: 1, data: []byte{3, 1 | 2<<2}})
			layout = []byte{3, 0}
			layout = binary.LittleEndian.AppendUint16(layout, uint16(o.dataSize))
			layout = w.appendRaw(layout, d.Value)
		}
		msgs = append(msgs, message{typ: msgLayout, data: layout})
	}
	if len(attrs) > 0 {
		// Attribute info (IV.A.2.v), without dense storage: the C library
		// counts the attributes of a version 2 object header only when
		// it has this message (else h5py's len(obj.attrs) is 0 and
		// h5repack drops them).
		ainfo := []byte{0, 0}
		ainfo = binary.LittleEndian.AppendUint64(ainfo, undefAddr) // no fractal heap
		ainfo = binary.LittleEndian.AppendUint64(ainfo, undefAddr) // no name index
		msgs = append(msgs, message{typ: msgAttrInfo, data: ainfo})
	}
	for _, name := range sortedKeys(attrs) {
		msgs = append(msgs, message{typ: msgAttribute, data: w.attribute(name, attrs[name])})
	}
	return objectHeader(msgs)
}

// objectHeader lays out messages in a single-chunk v2 object header.
func objectHeader(msgs []message) ([]byte, error) {
	var chunk uint64
	for _, m := range msgs {
		if len(m.data) > maxMessage {
			return nil, fmt.Errorf("header message of type %#x is %d bytes, above the %d a message can hold (dense attribute storage is not implemented)", m.typ, len(m.data), maxMessage)
		}
		chunk += 4 + uint64(len(m.data))
	}
	var flags byte
	var sizeField int
	switch {
	case chunk <= math.MaxUint8:
		flags, sizeField = 0, 1
	case chunk <= math.MaxUint16:
		flags, sizeField = 1, 2
	case chunk <= math.MaxUint32:
		flags, sizeField = 2, 4
	default:
		flags, sizeField = 3, 8
	}
	b := []byte{'O', 'H', 'D', 'R', 2, flags}
	b = appendUint(b, chunk, sizeField)
	for _, m := range msgs {
		b = append(b, m.typ)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(m.data)))
		b = append(b, m.flags)
		b = append(b, m.data...)
	}
	return binary.LittleEndian.AppendUint32(b, Lookup3(b, 0)), nil
}

func appendUint(b []byte, v uint64, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// linkMessage encodes a hard link (IV.A.2.g).
func linkMessage(name string, addr uint64) []byte {
	var flags byte
	var lenSize int
	switch {
	case len(name) <= math.MaxUint8:
		flags, lenSize = 0, 1
	case len(name) <= math.MaxUint16:
		flags, lenSize = 1, 2
	default:
		flags, lenSize = 2, 4
	}
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			ascii = false
		}
	}
	if !ascii {
		flags |= 0x10 // character set field present
	}
	b := []byte{1, flags}
	if !ascii {
		b = append(b, 1) // UTF-8
	}
	b = appendUint(b, uint64(len(name)), lenSize)
	b = append(b, name...)
	return binary.LittleEndian.AppendUint64(b, addr)
}

// dataspace encodes a version 2 dataspace message (IV.A.2.b).
func dataspace(v *Value) []byte {
	if v.IsScalar() {
		return []byte{2, 0, 0, 0}
	}
	b := []byte{2, byte(len(v.shape)), 0, 1}
	for _, d := range v.shape {
		b = binary.LittleEndian.AppendUint64(b, uint64(d))
	}
	return b
}

// datatype encodes a datatype message (IV.A.2.d), version 1.
func datatype(v *Value) []byte {
	var b []byte
	switch t := v.typ; {
	case t == Float64:
		b = []byte{0x11, 0x20, 63, 0, 8, 0, 0, 0}
		b = append(b, 0, 0, 64, 0, 52, 11, 0, 52)
		b = binary.LittleEndian.AppendUint32(b, 1023)
	case t == Float32:
		b = []byte{0x11, 0x20, 31, 0, 4, 0, 0, 0}
		b = append(b, 0, 0, 32, 0, 23, 8, 0, 23)
		b = binary.LittleEndian.AppendUint32(b, 127)
	case t.IsInt():
		var bits byte
		if t.signed() {
			bits = 0x08
		}
		size := t.intSize()
		b = []byte{0x10, bits, 0, 0}
		b = binary.LittleEndian.AppendUint32(b, uint32(size))
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(8*size))
	case t == FixedString:
		// Null-padded, UTF-8.
		b = []byte{0x13, 0x01 | 0x10, 0, 0}
		b = binary.LittleEndian.AppendUint32(b, uint32(v.strSize))
	case t == String:
		// Variable-length string, null-terminated, UTF-8; its base type
		// is an unsigned byte.
		b = []byte{0x19, 0x01, 0x01, 0}
		b = binary.LittleEndian.AppendUint32(b, 4+sizeOffsets+4)
		b = append(b, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0)
	}
	return b
}

func elemSize(v *Value) int {
	switch t := v.typ; {
	case t == Float64:
		return 8
	case t == Float32:
		return 4
	case t.IsInt():
		return t.intSize()
	case t == FixedString:
		return v.strSize
	}
	return 4 + sizeOffsets + 4 // variable-length element
}

// appendRaw appends the raw data of v: little-endian numbers, padded
// strings, or for variable-length strings their length and global heap
// ID.
func (w *writer) appendRaw(b []byte, v *Value) []byte {
	switch t := v.typ; {
	case t == Float64:
		for _, x := range v.f64 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	case t == Float32:
		for _, x := range v.f32 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	case t.IsInt():
		n := t.intSize()
		for _, x := range v.ints {
			b = appendUint(b, uint64(x), n)
		}
	case t == FixedString:
		for _, s := range v.strs {
			b = append(b, s...)
			b = append(b, make([]byte, v.strSize-len(s))...)
		}
	case t == String:
		refs := w.refs[v]
		for i, s := range v.strs {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
			// An empty string has a heap object too: address 0 would
			// mean a null string.
			b = binary.LittleEndian.AppendUint64(b, w.colls[refs[i].coll].addr)
			b = binary.LittleEndian.AppendUint32(b, refs[i].idx)
		}
	}
	return b
}

// attribute encodes a version 3 attribute message (IV.A.2.m).
func (w *writer) attribute(name string, v *Value) []byte {
	dt, ds := datatype(v), dataspace(v)
	b := []byte{3, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)+1))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dt)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ds)))
	b = append(b, 1) // UTF-8 name
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, dt...)
	b = append(b, ds...)
	return w.appendRaw(b, v)
}
