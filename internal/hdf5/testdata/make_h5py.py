# Writes testdata/h5py.h5 with h5py (Debian: python3-h5py), as NIR's
# nir.write does: h5py's default (oldest) file format, gzip-compressed
# chunked arrays, variable-length UTF-8 strings, scalars, attributes;
# and testdata/h5py_latest.h5, the same in the latest file format
# (libver="latest": dense link and attribute storage for more than 8,
# fixed array and single-chunk indexes) with 12 extra links and 10
# extra attributes.
# TestReadH5py reads them; run this script only to regenerate them:
#   cd internal/hdf5/testdata && /usr/bin/python3 make_h5py.py
import h5py
import numpy as np


def write(f, extra):
    f.create_dataset("version", data="1.0.6", dtype=h5py.string_dtype())
    node = f.create_group("node")
    node.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    node.create_dataset("edges", data=[("input", "lif"), ("lif", "output")])
    lif = node.create_group("nodes").create_group("lif")
    lif.create_dataset("type", data="LIF", dtype=h5py.string_dtype())
    lif.create_dataset("tau", data=np.arange(5, dtype=np.float32) / 4, compression="gzip")
    lif.create_dataset(
        "w", data=np.arange(3 * 7 * 2, dtype=np.float64).reshape(3, 7, 2) - 20,
        compression="gzip", shuffle=True, chunks=(2, 3, 2))
    lif.create_dataset("groups", data=1)
    lif.create_dataset("dt", data=0.5)
    lif.create_dataset("shape", data=np.array([3, -4]))
    lif.create_dataset("i32", data=np.array([-3, 4], dtype=np.int32))
    lif.create_dataset("u16be", data=np.array([3, 65535], dtype=">u2"))
    lif.create_dataset("fixed", data=np.array([b"ab", b"cde"], dtype="S4"))
    lif.attrs["__type__"] = "TimeGriddedData"
    lif.attrs["dt"] = 0.25
    lif.attrs["n_neurons"] = 7
    node.create_group("metadata").create_dataset("empty", data=np.asarray([]))
    if extra:
        g = f.create_group("extra")
        for i in range(12):
            g.create_dataset("d%02d" % i, data=i)
            if i < 10:
                g.attrs["a%d" % i] = float(i)


with h5py.File("h5py.h5", "w") as f:
    write(f, False)
with h5py.File("h5py_latest.h5", "w", libver="latest") as f:
    write(f, True)
