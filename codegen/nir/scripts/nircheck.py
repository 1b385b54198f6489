#!/usr/bin/python3
"""nircheck.py FILE...: check NIR files against NIR's rules, with h5py.

The rules are those of NIR's reader (nir/serialization.py, read_node, and
the node classes of nir/ir): a "version" string; a group "node" of type
NIRGraph with "edges" (N x 2 strings) and "nodes"; every node of a known
type with exactly its required datasets and only its optional ones besides
(plus "type" and a "metadata" group); edges naming existing nodes; shapes
agreeing along every edge (a node's output shape is the next one's input
shape); at least one Input and one Output node. Prints "ok FILE: N nodes,
M edges" per good file; exits 1 after printing every problem otherwise.
"""
import sys

import h5py
import numpy as np

SPEC = {
    "Input": (["shape"], []),
    "Output": (["shape"], []),
    "Affine": (["weight", "bias"], []),
    "Linear": (["weight"], []),
    "Scale": (["scale"], []),
    "LI": (["tau", "r", "v_leak"], []),
    "LIF": (["tau", "r", "v_leak", "v_threshold"], ["v_reset"]),
    "CubaLI": (["tau_mem", "tau_syn", "r", "v_leak", "w_in"], []),
    "CubaLIF": (["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"], ["v_reset"]),
    "I": (["r"], []),
    "IF": (["r", "v_threshold"], ["v_reset"]),
    "Threshold": (["threshold"], []),
    "Delay": (["delay"], []),
    "Flatten": (["start_dim", "end_dim"], ["input_type"]),
    "Conv1d": (["weight", "stride", "padding", "dilation", "groups", "bias"], ["input_shape"]),
    "Conv2d": (["weight", "stride", "padding", "dilation", "groups", "bias"], ["input_shape"]),
    "SumPool2d": (["kernel_size", "stride", "padding"], []),
    "AvgPool2d": (["kernel_size", "stride", "padding"], []),
    "NIRGraph": (["nodes", "edges"], ["metadata"]),
}


def text(v):
    v = v[()]
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def shapes(typ, g):
    """The input and output shapes of a node, or None where unknown."""
    if typ in ("Input", "Output"):
        s = tuple(int(x) for x in np.atleast_1d(g["shape"][()]))
        return s, s
    if typ in ("Affine", "Linear"):
        w = g["weight"].shape
        return (w[-1],), (w[-2],)
    if typ == "Scale":
        s = g["scale"].shape
        return s, s
    if typ in ("LI", "LIF", "I", "IF"):
        s = g["r"].shape
        return s, s
    return None, None


def check_graph(g, path, errs, counts):
    if "type" not in g or text(g["type"]) != "NIRGraph":
        errs.append(f"{path}: type is not NIRGraph")
        return
    if "nodes" not in g or not isinstance(g["nodes"], h5py.Group):
        errs.append(f"{path}: no group nodes")
        return
    nodes = {}
    for name, ng in g["nodes"].items():
        np_ = f"{path}/nodes/{name}"
        if not isinstance(ng, h5py.Group) or "type" not in ng:
            errs.append(f"{np_}: not a node group with a type")
            continue
        typ = text(ng["type"])
        if typ not in SPEC:
            errs.append(f"{np_}: unknown node type {typ!r}")
            continue
        req, opt = SPEC[typ]
        if typ == "NIRGraph":
            check_graph(ng, np_, errs, counts)
            nodes[name] = (None, None)
            continue
        have = set(ng.keys()) - {"type", "metadata"}
        for r in req:
            if r not in have:
                errs.append(f"{np_}: {typ} without dataset {r!r}")
        for h in sorted(have - set(req) - set(opt)):
            errs.append(f"{np_}: {typ} has unknown dataset {h!r}")
        if "metadata" in ng and not isinstance(ng["metadata"], h5py.Group):
            errs.append(f"{np_}: metadata is not a group")
        try:
            nodes[name] = shapes(typ, ng) if not (set(req) - have) else (None, None)
        except Exception as e:  # malformed shapes
            errs.append(f"{np_}: {e}")
            nodes[name] = (None, None)
        if typ == "Affine" and "bias" in ng and "weight" in ng and ng["bias"].shape != (ng["weight"].shape[-2],):
            errs.append(f"{np_}: bias of shape {ng['bias'].shape}, weight {ng['weight'].shape}")
        if typ == "LI" and not (ng["tau"].shape == ng["r"].shape == ng["v_leak"].shape):
            errs.append(f"{np_}: tau, r and v_leak differ in shape")
        counts[typ] = counts.get(typ, 0) + 1
    if "edges" not in g:
        errs.append(f"{path}: no dataset edges")
        return
    edges = g["edges"][()]
    if edges.size and (edges.ndim != 2 or edges.shape[1] != 2):
        errs.append(f"{path}/edges: shape {edges.shape}, want (N, 2)")
        return
    for i, (a, b) in enumerate(edges.reshape(-1, 2)):
        a = a.decode("utf8") if isinstance(a, bytes) else a
        b = b.decode("utf8") if isinstance(b, bytes) else b
        if a not in nodes or b not in nodes:
            errs.append(f"{path}/edges[{i}]: {a} -> {b} names a missing node")
            continue
        out, inp = nodes[a][1], nodes[b][0]
        if out is not None and inp is not None and tuple(out) != tuple(inp):
            errs.append(f"{path}/edges[{i}]: {a} -> {b}: output shape {tuple(out)} into input shape {tuple(inp)}")
    counts["edges"] = counts.get("edges", 0) + len(edges.reshape(-1, 2))
    counts["nodes"] = counts.get("nodes", 0) + len(nodes)


def check(path):
    errs, counts = [], {}
    with h5py.File(path, "r") as f:
        if "version" not in f:
            errs.append("no /version")
        else:
            text(f["version"])
        if "node" not in f:
            errs.append("no group /node")
        else:
            check_graph(f["node"], "/node", errs, counts)
    if not counts.get("Input"):
        errs.append("no Input node")
    if not counts.get("Output"):
        errs.append("no Output node")
    return errs, counts


def main():
    bad = False
    for path in sys.argv[1:]:
        errs, counts = check(path)
        for e in errs:
            print(f"{path}: {e}")
        bad = bad or bool(errs)
        if not errs:
            print(f"ok {path}: {counts.get('nodes', 0)} nodes, {counts.get('edges', 0)} edges")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
