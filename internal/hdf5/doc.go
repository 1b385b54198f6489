// Package hdf5 writes and reads a subset of HDF5, enough for the files
// of NIR, the Neuromorphic Intermediate Representation: a tree of
// groups holding n-dimensional numeric arrays, scalars and strings,
// with attributes. It is written from the HDF5 File Format
// Specification (version 3.0; section numbers below are that
// document's) and uses only the standard library.
//
// A File is built in memory (Group.Group, Group.SetFloat64, SetFloat32,
// SetInt64, SetString, SetStrings, Group.Set with any Value, SetAttr)
// and written with Write, File.WriteTo or WriteFile; Read and ReadFile
// load a whole file into the same structures, whose datasets give their
// Type, Shape and values (Float64s, Int64s, Strings).
//
// # What the writer writes
//
// Output is deterministic: the same tree gives the same bytes (links
// and attributes in byte order of their names, no timestamps).
//
//   - Superblock version 2 with its checksum (II.A), 8-byte addresses
//     and lengths, no superblock extension.
//   - Version 2 object headers, "OHDR", in a single chunk with its
//     checksum (IV.A.1.b).
//   - Groups with compact ("new style") link storage: a link info
//     message (IV.A.2.c) without fractal heap, a group info message
//     (IV.A.2.k) and one hard link message (IV.A.2.g) per member, up to
//     MaxLinks members. Dense link storage is not implemented.
//   - Datasets: a dataspace message version 2 (IV.A.2.b), scalar or
//     simple of any rank up to 32 (zero-sized dimensions allowed); a
//     datatype message version 1 (IV.A.2.d) for IEEE float64 and float32
//     little-endian, signed and unsigned 8- to 64-bit little-endian
//     integers, fixed-length null-padded UTF-8 strings, and
//     variable-length UTF-8 strings (class 9, whose elements point into
//     global heap collections, "GCOL", III.E; each collection is at
//     least 4096 bytes as the C library expects); a fill value message
//     version 3 (IV.A.2.f) without a fill value; a data layout message
//     version 3 (IV.A.2.i): compact (data in the header) up to
//     CompactMax bytes, contiguous after the object headers above that.
//     No chunking, no filters.
//   - Attributes: an attribute info message (IV.A.2.v) without dense
//     storage and attribute messages version 3 (IV.A.2.m) in the object
//     header, of the same types and shapes as datasets (compact
//     attribute storage: each attribute below 64 KiB).
//   - Checksums: Jenkins' lookup3 hashlittle with initial value 0
//     (Lookup3).
//
// h5py reads these files (variable-length strings come back as bytes,
// as from the files h5py writes itself), and so do h5dump and h5ls.
//
// # What the reader reads
//
// The files above, and those h5py writes with its default settings (as
// nir.write does) or in the latest format (libver="latest"):
//
//   - Superblock versions 0 to 3 (a user block before it is skipped);
//     2-, 4- and 8-byte addresses and lengths.
//   - Object headers version 1 and 2 with continuation chunks (IV.A.1);
//     version 2 checksums are verified.
//   - Groups in symbol tables: version 1 B-trees of symbol table nodes
//     with names in a local heap (III.A.1, III.B, III.C, III.D); in
//     compact link storage (hard link messages); or in dense link
//     storage: link messages in a fractal heap (III.G) indexed by a
//     version 2 B-tree (III.A.2, record type 5).
//   - Dataspaces versions 1 and 2; datatypes versions 1 to 4 of the
//     classes integer (1, 2, 4, 8 bytes, either byte order), IEEE
//     floating point (4 and 8 bytes, either byte order), fixed-length
//     string (null-terminated, null-padded or space-padded) and
//     variable-length string.
//   - Data layout versions 3 and 4: compact, contiguous (unallocated
//     data reads as zeros), and chunked with a version 1 B-tree index
//     (version 3) or a single-chunk, implicit or fixed array index
//     (version 4); filters deflate and shuffle (IV.A.2.l); missing
//     chunks read as zeros, not as a fill value.
//   - Attribute messages versions 1 to 3, in the object header or in
//     dense attribute storage (fractal heap, version 2 B-tree record
//     type 8).
//
// Everything else is an error that names the feature: chunk indexes of
// type extensible array or version 2 B-tree (datasets with unlimited
// dimensions); filters other than deflate and shuffle (fletcher32,
// szip, lzf, ...); fractal heaps with filters or huge objects; soft and
// external links; committed datatypes and shared messages; compound,
// enumeration (h5py's bool), array, reference, opaque, bitfield and time
// datatypes; variable-length sequences; null dataspaces; virtual
// datasets. Malformed input gives an error, never a panic: every field
// is bounds-checked against the file, and data that the file does not
// hold as such (decompressed or unwritten) is limited to about a
// thousand times the file size.
//
// # NIR's files
//
// nir.write (nir/serialization.py) stores a graph as: "version", a
// variable-length string scalar; a group "node" holding the graph's
// fields: "type" (a variable-length string scalar, "NIRGraph"), "edges"
// (variable-length strings of shape (number of edges, 2): source and
// target node names), "nodes" (one group per node, named by the node's
// name, recursively for subgraphs) and, when not empty, "metadata" (a
// group). Each node group has "type" (a string scalar such as "Affine",
// "LIF", "Conv2d", "Input") and its parameters: NumPy arrays as datasets
// of their dtype (float32 or float64 weights and time constants, int64
// shapes; gzip-compressed and chunked by current NIR), Python ints as
// int64 scalars, floats as float64 scalars, strs (such as a Conv
// padding "same") as variable-length string scalars. nir.write_data
// marks groups with string attributes "__type__" and stores dt, t_max
// (float64) and n_neurons (int64) as attributes.
package hdf5
