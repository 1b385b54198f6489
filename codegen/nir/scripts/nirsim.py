#!/usr/bin/python3
"""nirsim.py NET.nir REF.h5 [SUBSTEPS]: step a NIR graph of LI, CubaLI,
Affine, Linear, Scale, Input and Output nodes with numpy, from the file alone, and
compare it with a reference trajectory.

REF.h5 holds "dt" (the reference's step, s), one dataset per Input node
(steps x size: the input at t = n dt) and one per Output node (steps x
size: the reference's output after step n). The graph is NIR's
continuous-time system: an LI node is tau du/dt = v_leak - u + r I with I
the sum of its incoming edges, a CubaLI node tau_syn ds/dt = -s + w_in I,
tau_mem du/dt = v_leak - u + r s (its output u); Affine, Linear and Scale are instantaneous
maps of the sum of their inputs. It is integrated by forward Euler with
SUBSTEPS (default 10) steps per reference step, the inputs interpolated
linearly. The static nodes are evaluated in topological order, LI nodes
being the sources; an edge closing a cycle of static nodes (a recurrent
connection: rate -> weight -> current -> rate) reads the value of the
previous substep. The output at t = n dt is compared with the
reference's after step n, from n = 1 on (vlec's step 0 reads the rates
"as left by step -1" from its initialisation, a convention of its own).
Prints the largest absolute difference and the largest
output magnitude, as "maxerr E scale S".
"""
import sys

import h5py
import numpy as np


def text(v):
    v = v[()]
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def load(path):
    with h5py.File(path, "r") as f:
        g = f["node"]
        nodes = {}
        for name, ng in g["nodes"].items():
            nodes[name] = {k: ng[k][()] for k in ng.keys() if k not in ("metadata",)}
            nodes[name]["type"] = text(ng["type"])
        edges = [(a.decode(), b.decode()) for a, b in g["edges"][()].reshape(-1, 2)]
    return nodes, edges


def main():
    net, ref = sys.argv[1], sys.argv[2]
    sub = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    nodes, edges = load(net)
    preds = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
    with h5py.File(ref, "r") as f:
        dt = float(f["dt"][()])
        data = {k: f[k][()] for k in f.keys() if k != "dt"}
    for n, d in nodes.items():
        if d["type"] not in ("LI", "CubaLI", "Affine", "Linear", "Scale", "Input", "Output"):
            sys.exit(f"node {n}: type {d['type']} is not simulated")
    # Topological order of the static nodes; LI nodes are sources.
    order, state, back = [], {}, set()

    def visit(n):
        if state.get(n) == 2 or nodes[n]["type"] in ("LI", "CubaLI"):
            return
        state[n] = 1
        for p in preds[n]:
            if state.get(p) == 1:
                back.add((p, n))  # closes a cycle: read the previous value
            else:
                visit(p)
        state[n] = 2
        order.append(n)

    for n in sorted(nodes):
        visit(n)
    size = {}
    for n, d in nodes.items():
        t = d["type"]
        if t in ("Input", "Output"):
            size[n] = int(np.atleast_1d(d["shape"])[0])
        elif t in ("Affine", "Linear"):
            size[n] = d["weight"].shape[0]
        elif t == "Scale":
            size[n] = d["scale"].shape[0]
        elif t == "CubaLI":
            size[n] = d["tau_mem"].shape[0]
        else:
            size[n] = d["tau"].shape[0]
    val = {n: np.zeros(size[n]) for n in nodes}
    u = {n: np.zeros(size[n]) for n in nodes if nodes[n]["type"] in ("LI", "CubaLI")}
    syn = {n: np.zeros(size[n]) for n in nodes if nodes[n]["type"] == "CubaLI"}
    inputs = [n for n in nodes if nodes[n]["type"] == "Input"]
    outputs = [n for n in nodes if nodes[n]["type"] == "Output"]
    steps = data[inputs[0]].shape[0]
    h = dt / sub

    def insum(n, prev):
        s = 0.0
        for p in preds[n]:
            s = s + (prev[p] if (p, n) in back else val[p])
        return s

    def evaluate(t_frac, k):
        for n in u:
            val[n] = u[n]
        prev = dict(val)
        for n in order:
            d = nodes[n]
            t = d["type"]
            if t == "Input":
                x = data[n]
                x0 = x[min(k, steps - 1)]
                x1 = x[min(k + 1, steps - 1)]
                val[n] = x0 + t_frac * (x1 - x0)
            elif t == "Output":
                val[n] = insum(n, prev)
            elif t == "Affine":
                val[n] = d["weight"] @ insum(n, prev) + d["bias"]
            elif t == "Linear":
                val[n] = d["weight"] @ insum(n, prev)
            elif t == "Scale":
                val[n] = d["scale"] * insum(n, prev)

    maxerr, scale = 0.0, 0.0
    for k in range(steps):
        for s in range(sub):
            evaluate(s / sub, k)
            if s == 0 and k > 0:
                for o in outputs:
                    want = data[o][k]
                    maxerr = max(maxerr, float(np.max(np.abs(val[o] - want))))
                    scale = max(scale, float(np.max(np.abs(want))))
            for n in u:
                d = nodes[n]
                I = insum(n, val)
                if d["type"] == "CubaLI":
                    s_old = syn[n]
                    syn[n] = s_old + h / d["tau_syn"] * (d["w_in"] * I - s_old)
                    u[n] = u[n] + h / d["tau_mem"] * (d["v_leak"] - u[n] + d["r"] * s_old)
                else:
                    u[n] = u[n] + h / d["tau"] * (d["v_leak"] - u[n] + d["r"] * I)
    print(f"maxerr {maxerr:.6g} scale {scale:.6g}")


if __name__ == "__main__":
    main()
