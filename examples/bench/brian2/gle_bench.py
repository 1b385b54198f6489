#!/usr/bin/env python3
"""vlec's benchmark networks (examples/bench/n1..n5.vle) as Brian2 models.

Each network is built in Brian2 so that one Brian2 time step is exactly one
step of vlec's synchronous forward-Euler scheme (`vlec derive --program`):

    x        = sine stimulus at t = k dt                     (input group)
    errors   ebar = phi'(uhat_r) * msg (hidden; msg = W^T e sent by the
             previous step), ebar = -beta (uhat_r - target) (output),
             vdot = (ebar - v) / tau_r, e' = v + tau_m vdot, v' = v + dt vdot
    products I = W @ r and msg = W^T @ e', both with W and r as step k-1
             left them (r not yet updated), e' the new error
    learning W += lr * mean_b(outer(e', r)), r as step k-1 left it
    membrane udot = (I + e' - u) / tau_m, uhat_r' = u + tau_r udot,
             u' = u + dt udot, r' = phi(uhat_r'), phi'(uhat_r')

Brian2 has no batch dimension: a network with batch B keeps B copies of
every neuron variable in the same neuron (u_0 .. u_{B-1}), one summed
variable per copy, and one weight per synapse shared by the copies, so the
model is vlec's (shared weights, batch-mean learning) and not B independent
networks.

Modes (run with the Python that has brian2, e.g. /usr/bin/python3 on Debian):

    gle_bench.py check [--net n2] [--steps 200] [--target numpy]
        vlec's trajectory against Brian2's, same initial weights (recorded
        by `vlec run` at step 0); exits 1 above --tol
    gle_bench.py time [--nets n1,...] [--repeats 3]
        steps/s and time to first result, Brian2 cpp_standalone and cython
        against vlec's interpreter and generated Go, interleaved
    gle_bench.py vlec-model NET STEPS
        the model file `check` runs with vlec (the benchmark network with
        records of the compared quantities)

See README.md beside this file.
"""

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

START = time.time()  # before brian2 is imported: time to first result

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
BENCH = os.path.normpath(os.path.join(HERE, ".."))
# Debian's pythran (imported by brian2) warns about numpy aliases on import
warnings.filterwarnings("ignore", category=FutureWarning)

NETS = ["n1", "n2", "n3", "n4", "n5"]

# The stimulus the script implements; a benchmark file with another one is
# refused rather than simulated differently.
SINE = "sine(freq = 0.5 + 0.1 * i + 0.05 * b, phase = 0.3 * i)"


class Spec:
    """What the script needs of a benchmark network, read from its .vle."""

    def __init__(self, path):
        self.path = path
        src = open(path).read()
        code = re.sub(r"//[^\n]*", "", src)

        def one(pattern, what):
            m = re.findall(pattern, code)
            if len(m) != 1:
                raise SystemExit(f"{path}: expected one {what} (pattern {pattern!r}), found {len(m)}: "
                                 "the model no longer has the shape gle_bench.py implements")
            return m[0]

        self.name = one(r"(?m)^model\s+(\w+)", "model name")
        self.dt = seconds(one(r"\bdt\s*=\s*([0-9.e]+\s*m?s)\b", "dt"))
        self.batch = int(one(r"\bbatch\s*=\s*(\d+)", "batch"))
        if one(r"\bmethod\s*=\s*(\w+)", "method") != "gle":
            raise SystemExit(f"{path}: only method = gle is implemented")
        if seconds(one(r"\blearn_after\s*=\s*([0-9.e]+\s*m?s)", "learn_after")) != 0:
            raise SystemExit(f"{path}: only learn_after = 0s is implemented")
        name, size, stim = one(r"input\s+(\w+)\[(\d+)\]\s*=\s*([^\n]+)", "input")
        if stim.strip() != SINE:
            raise SystemExit(f"{path}: input {name} is {stim.strip()!r}; the script implements {SINE!r}")
        self.inp = (name, int(size))
        self.pops = []  # (name, size, tau_m, tau_r, phi)
        for p in re.findall(r"population\s+(\w+)\[(\d+)\]\s*:\s*gle\(([^)]*)\)", code):
            args = dict(a.split("=") for a in p[2].replace(" ", "").split(","))
            if set(args) != {"tau_m", "tau_r", "phi"} or args["phi"] not in ("tanh", "linear"):
                raise SystemExit(f"{path}: population {p[0]}: only gle(tau_m, tau_r, phi = tanh|linear) is implemented")
            self.pops.append((p[0], int(p[1]), seconds(args["tau_m"]), seconds(args["tau_r"]), args["phi"]))
        self.conns = re.findall(r"connect\s+(\w+)\s*->\s*(\w+)\s+(\w+)\s*=\s*glorot\(seed\s*=\s*\d+\)\s+plastic", code)
        chain = [self.inp[0]] + [p[0] for p in self.pops]
        if [(c[0], c[1]) for c in self.conns] != list(zip(chain, chain[1:])):
            raise SystemExit(f"{path}: only a chain input -> populations with plastic glorot weights is implemented")
        energy = one(r"energy\s*\{([^}]*)\}", "energy block")
        terms = " + ".join(f"mismatch({p[0]})" for p in self.pops)
        out = self.pops[-1][0]
        m = re.fullmatch(r"\s*" + re.escape(terms) + r"\s+beta\s*\*\s*loss\(mse\(" + re.escape(out)
                         + r"\.r,\s*([0-9.e+-]+)\)\)\s*", energy)
        if not m:
            raise SystemExit(f"{path}: only the energy {terms} + beta * loss(mse({out}.r, TARGET)) is implemented")
        self.target = float(m.group(1))
        self.beta = float(one(r"const\s+beta\s*=\s*([0-9.e+-]+)", "const beta"))
        learn = one(r"learn\s*\{([^}]*)\}", "learn block")
        if not re.fullmatch(r"\s*lr\s*=\s*[0-9.e+-]+\s*", learn):
            raise SystemExit(f"{path}: only learn {{ lr = ... }} is implemented")
        self.lr = float(one(r"\blr\s*=\s*([0-9.e+-]+)", "lr"))
        for p in self.pops:
            if p[4] == "linear" and p is not self.pops[-1]:
                raise SystemExit(f"{path}: only the output population may be linear")


def seconds(s):
    s = s.replace(" ", "")
    if s.endswith("ms"):
        return float(s[:-2]) / 1000
    if s.endswith("s"):
        return float(s[:-1])
    raise SystemExit(f"time {s!r}: expected ms or s")


def spec_of(net):
    return Spec(os.path.join(BENCH, net + ".vle"))


# ---------------------------------------------------------------- the model


def build(spec, weights=None, record=False, seed=1, batch="shared"):
    """The network as Brian2 objects, in a Network. weights: {conn: [dst][src]}
    (vlec's layout); by default glorot uniform (the timing does not depend on
    the values). record: StateMonitors of the compared quantities, every step
    after the step.

    batch (when spec.batch = B > 1):
    shared       vlec's model: B copies of every neuron variable (u_0 ..
                 u_{B-1}) in one neuron, a summed variable per copy, one
                 weight per synapse shared by the copies, learning by the
                 batch mean. Exact, but B times the code objects.
    independent  the way Brian2 runs copies of a network: populations of
                 B x n neurons, B blocks of synapses, each copy with its own
                 weights learning from its own sample (same products per step
                 as vlec's batch, B times the weight memory; not vlec's model,
                 for timing only)."""
    import numpy as np
    import brian2 as b2

    B = spec.batch
    if batch == "independent":
        copies, G = range(1), B  # one set of variables, B copies of each population
        if weights is not None or record:
            raise SystemExit("batch independent is for timing only")
    else:
        copies, G = range(B), 1
    b2.defaultclock.dt = spec.dt * b2.second
    rng = np.random.default_rng(seed)
    objs = []

    # Input: x_b = sin(2 pi f_b t + phase), f_b = 0.5 + 0.1 i + 0.05 b,
    # evaluated once per step into a state variable (as a subexpression Brian2
    # would substitute it into every synapse of W0 and call sin per synapse).
    xname, nin = spec.inp
    eqs = [f"x_{b} : 1" for b in copies] + [f"f_{b} : 1 (constant)" for b in copies] + ["ph : 1 (constant)"]
    inp = b2.NeuronGroup(G * nin, "\n".join(eqs), name=xname)
    i = np.tile(np.arange(nin, dtype=float), G)
    for b in copies:
        bb = np.repeat(np.arange(G), nin) if G > 1 else b  # the batch index of every neuron
        setattr(inp, f"f_{b}", 0.5 + 0.1 * i + 0.05 * bb)
    inp.ph = 0.3 * i
    inp.run_regularly("\n".join(f"x_{b} = sin(2*pi*f_{b}*(t/second) + ph)" for b in copies),
                      when="start", order=0, name=xname + "_stimulus")
    objs.append(inp)

    groups = [inp]
    for k, (name, n, tau_m, tau_r, phi) in enumerate(spec.pops):
        hidden = phi == "tanh"
        has_msg = k + 1 < len(spec.pops)  # receives W^T e from the next population
        var = ["u", "v", "e", "uh", "I"] + (["r", "fp"] if hidden else []) + (["msg"] if has_msg else [])
        eqs = [f"{v}_{b} : 1" for v in var for b in copies]
        ns = {"DT": spec.dt, "TAU_M": tau_m, "TAU_R": tau_r, "BETA": spec.beta, "TARGET": spec.target}
        g = b2.NeuronGroup(G * n, "\n".join(eqs), namespace=ns, name=name)
        err, mem = [], []
        for b in copies:
            if hidden:
                ebar = f"fp_{b}*msg_{b}" if has_msg else "0"
            else:
                ebar = f"-(BETA*(uh_{b} - TARGET))"
            err += [f"vdot_{b} = ({ebar} - v_{b})/TAU_R",
                    f"e_{b} = v_{b} + TAU_M*vdot_{b}",
                    f"v_{b} = v_{b} + DT*vdot_{b}"]
            mem += [f"udot_{b} = (I_{b} + e_{b} - u_{b})/TAU_M",
                    f"uh_{b} = u_{b} + TAU_R*udot_{b}",
                    f"u_{b} = u_{b} + DT*udot_{b}"]
            if hidden:
                mem += [f"r_{b} = tanh(uh_{b})", f"fp_{b} = 1 - r_{b}*r_{b}"]
        g.run_regularly("\n".join(err), when="start", order=1, name=name + "_errors")
        g.run_regularly("\n".join(mem), when="start", order=4, name=name + "_membrane")
        objs.append(g)
        groups.append(g)

    syns = {}
    for k, (src, dst, wname) in enumerate(spec.conns):
        pre, post = groups[k], groups[k + 1]
        npre, npost = pre.N // G, post.N // G
        rate = "x" if k == 0 else "r"
        sends = k > 0  # a population sends its message back; the input does not
        eqs = ["w : 1"] + [f"I_{b}_post = w*{rate}_{b}_pre : 1 (summed)" for b in copies]
        if sends:
            eqs += [f"msg_{b}_pre = w*e_{b}_post : 1 (summed)" for b in copies]
        lim = math.sqrt(6 / (npre + npost))
        s = b2.Synapses(pre, post, "\n".join(eqs), namespace={"LR": spec.lr, "LIM": lim}, name=wname)
        if G > 1:
            # block b connects copy b of pre to copy b of post, pre-major
            s.connect(j=f"q + (i // {npre})*{npost} for q in range({npost})")
            s.w = "LIM*(2*rand() - 1)"
        else:
            # pre-major order: synapse (i, j) at index i * n_post + j
            ii = np.repeat(np.arange(npre), npost)
            jj = np.tile(np.arange(npost), npre)
            s.connect(i=ii, j=jj)
            if weights is not None:
                W = np.asarray(weights[wname], dtype=float)
                assert W.shape == (npost, npre), (wname, W.shape)
            else:
                W = rng.uniform(-lim, lim, size=(npost, npre))
            s.w = W[jj, ii]
        for upd in s.summed_updaters.values():
            upd.when, upd.order = "start", 2
        if len(copies) == 1:
            rule = f"w += LR*(e_0_post*{rate}_0_pre)"
        else:
            rule = "w += LR*((" + " + ".join(f"e_{b}_post*{rate}_{b}_pre" for b in copies) + f")/{B})"
        s.run_regularly(rule, when="start", order=3, name=wname + "_learn")
        objs.append(s)
        syns[wname] = s

    mons = {}
    if record:
        for name, _, _, _, phi in spec.pops:
            g = groups[[p[0] for p in spec.pops].index(name) + 1]
            # vlec's r of a linear population is uhat_r
            rv = "r" if phi == "tanh" else "uh"
            names = [f"{v}_{b}" for v in ("u", "e", rv) for b in copies]
            mons[name] = b2.StateMonitor(g, names, record=True, when="end", name=name + "_mon")
            objs.append(mons[name])
    net = b2.Network(*objs)
    return net, groups, syns, mons


# ---------------------------------------------------------------- check


def vlec_model(net, steps):
    """The benchmark model with records of every compared quantity:
    trajectories every step into traj.npz, weights at step 0 (the initial
    weights: at step 0 every error reaching a plastic weight's update is 0 or
    meets a rate of 0, so the weights leave step 0 unchanged) and at the last
    step into weights.npz."""
    spec = spec_of(net)
    src = open(spec.path).read()
    items = [f"{p[0]}.{q}" for p in spec.pops for q in ("u", "e", "r")]
    rec = (f'record {", ".join(items)} to "traj.npz"\n'
           f'record {", ".join(c[2] for c in spec.conns)} every {steps - 1} steps to "weights.npz"\n')
    out, n = re.subn(r"(?m)^record [^\n]*\n", "", src)
    if n != 1:
        raise SystemExit(f"{spec.path}: expected one record line, found {n}")
    return out + rec


def compare(name, ours, theirs):
    """Largest difference relative to the quantity's largest magnitude."""
    import numpy as np
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    if ours.shape != theirs.shape:
        raise SystemExit(f"{name}: shapes differ, vlec {ours.shape}, Brian2 {theirs.shape}")
    scale = float(np.max(np.abs(ours)))
    diff = float(np.max(np.abs(ours - theirs)))
    if not np.isfinite(diff):
        return name, scale, math.inf
    return name, scale, diff / scale if scale > 0 else diff


def cmd_check(a):
    spec = spec_of(a.net)
    steps = a.steps
    if steps < 2:
        raise SystemExit("--steps must be at least 2")
    tmp = tempfile.mkdtemp(prefix="gle_bench_check_")
    try:
        return check(a, spec, steps, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(a, spec, steps, tmp):
    import numpy as np
    if a.vlec_out:
        out = a.vlec_out
    else:
        model = os.path.join(tmp, a.net + ".vle")
        with open(model, "w") as f:
            f.write(vlec_model(a.net, steps))
        out = os.path.join(tmp, "out")
        cmd = a.vlec.split() + ["run", "-q", "--duration", f"{steps * spec.dt * 1000:g}ms", "-o", out, model]
        print("+", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    traj = np.load(os.path.join(out, "traj.npz"))
    wts = np.load(os.path.join(out, "weights.npz"))
    if list(traj["step"]) != list(range(steps)) or list(wts["step"]) != [0, steps - 1]:
        raise SystemExit(f"{out}: expected rows 0..{steps - 1} (traj) and 0, {steps - 1} (weights); "
                         f"was vlec run for {steps} steps of the model `vlec-model {a.net} {steps}` prints?")

    import brian2 as b2
    if a.target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=os.path.join(tmp, "cpp"))
    else:
        b2.prefs.codegen.target = a.target
    b2.prefs.core.default_float_dtype = np.float64
    w0 = {c[2]: wts[c[2]][0] for c in spec.conns}
    net, groups, syns, mons = build(spec, weights=w0, record=True)
    net.run(steps * spec.dt * b2.second)

    rows = []
    B = spec.batch
    for name, _, _, _, phi in spec.pops:
        m = mons[name]
        for q, bq in (("u", "u"), ("e", "e"), ("r", "r" if phi == "tanh" else "uh")):
            # vlec: [rows, batch, n]; Brian2: per copy b, [n, rows]
            theirs = np.stack([getattr(m, f"{bq}_{b}").T for b in range(B)], axis=1)
            rows.append(compare(f"{name}.{q}", traj[f"{name}.{q}"], theirs))
    for c in spec.conns:
        s = syns[c[2]]
        W = np.zeros_like(wts[c[2]][-1])
        W[np.asarray(s.j[:]), np.asarray(s.i[:])] = np.asarray(s.w[:])
        rows.append(compare(f"{c[2]} at step {steps - 1}", wts[c[2]][-1], W))
        # how far learning moved the weight, to show the comparison is not of constants
        moved = float(np.max(np.abs(wts[c[2]][-1] - wts[c[2]][0])))
        rows[-1] = rows[-1] + (moved,)

    print(f"{a.net}: vlec against Brian2 {b2.__version__} ({a.target} target), {steps} steps, batch {B}")
    print("quantity            max |value|     max |vlec - Brian2| / max |value|")
    worst = 0.0
    for r in rows:
        extra = f"   (learning moved it by up to {r[3]:.3g})" if len(r) > 3 else ""
        print(f"{r[0]:<18}  {r[1]:<14.6g}  {r[2]:.3g}{extra}")
        worst = max(worst, r[2])
    ok = worst <= a.tol
    print(f"worst {worst:.3g}, tolerance {a.tol:g}: {'agree' if ok else 'DIFFER'}")
    return 0 if ok else 1


# ---------------------------------------------------------------- timing


def child(a):
    """One Brian2 measurement in a fresh process: prints a JSON line.

    ttfr: builds the network and simulates its first second; reports the
    wall time from the parent's start of this process (--t0) to the end of
    that run, code generation and compilation included (the caches are the
    fresh directories given). Then, for cython, --rate-time seconds more of
    simulation in the same process give steps/s; for cpp_standalone the
    parent starts a second process (mode rate) in the same build directory
    (only the run's length differs, so make rebuilds only main.cpp) and
    steps/s is the duration of Brian2's own timer around the run loop."""
    import numpy as np
    import brian2 as b2
    spec = spec_of(a.net)
    b2.prefs.core.default_float_dtype = np.float64
    res = {"brian2": b2.__version__, "net": a.net, "target": a.target, "batch": a.batch}
    if a.target == "cython":
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = a.dir
        net, *_ = build(spec, batch=a.batch)
        net.run(a.first * b2.second)
        res["ttfr"] = time.time() - a.t0
        steps = int(round(a.first / spec.dt))
        # estimate the rate, then fill --rate-time; Brian2's own timer around
        # the run loop, as for cpp_standalone (run's set-up excluded)
        net.run(20 * spec.dt * b2.second)
        est = 20 / max(b2.device._last_run_time, 1e-9)
        n = max(20, int(est * a.rate_time))
        net.run(n * spec.dt * b2.second)
        el = b2.device._last_run_time
        res.update(steps=n, seconds=el, rate=n / el)
    else:
        b2.set_device("cpp_standalone", directory=a.dir, build_on_run=True)
        # Brian2's default is an unbounded `make -j`: hundreds of compilers at
        # once for the batch-shared models, which thrashes a 2-core machine
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count()}"]
        if a.threads:
            b2.prefs.devices.cpp_standalone.openmp_threads = a.threads
        net, *_ = build(spec, batch=a.batch)
        dur = a.first if a.mode == "ttfr" else a.duration
        net.run(dur * b2.second)
        n = int(round(dur / spec.dt))
        res["ttfr" if a.mode == "ttfr" else "build_and_run"] = time.time() - a.t0
        el = b2.device._last_run_time
        res.update(steps=n, seconds=el, rate=n / el)
    print(json.dumps(res))
    return 0


def spawn(args, env=None):
    t0 = time.time()
    p = subprocess.run([sys.executable, os.path.abspath(__file__)] + args + ["--t0", repr(t0)],
                       cwd=REPO, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def vlec_bench(vlec, net, backend, secs):
    p = subprocess.run([vlec, "bench", "--backend", backend, "--time", f"{secs}s",
                        os.path.join(BENCH, net + ".vle")], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"vlec bench {backend} {net}: {p.stderr}")
    # a header "model sizes batch steps/s steps", then one row per model
    lines = p.stdout.strip().splitlines()
    head = lines[0].split()
    row = [l.split() for l in lines[1:] if l.split()[:1] == [net]]
    if "steps/s" not in head or len(row) != 1 or len(row[0]) != len(head):
        raise SystemExit(f"vlec bench output not understood: {p.stdout!r}")
    return float(row[0][head.index("steps/s")].replace(",", ""))


def vlec_ttfr(vlec, net, backend, first, cache=None):
    spec = spec_of(net)
    out = tempfile.mkdtemp(prefix="gle_bench_vlec_")
    env = dict(os.environ)
    if cache:
        env["VLEC_CACHE_DIR"] = cache
    cmd = [vlec, "run", "-q", "--backend", backend, "--duration", f"{first * 1000:g}ms", "-o",
           os.path.join(out, "o"), os.path.join(BENCH, net + ".vle")]
    t = time.time()
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    el = time.time() - t
    shutil.rmtree(out, ignore_errors=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: {p.stderr}")
    return el


def cmd_time(a):
    vlec = a.vlec
    if not vlec:
        vlec = os.path.join(tempfile.mkdtemp(prefix="gle_bench_bin_"), "vlec")
        print(f"+ go build -o {vlec} ./cmd/vlec", file=sys.stderr)
        subprocess.run(["go", "build", "-o", vlec, "./cmd/vlec"], cwd=REPO, check=True)
    nets = a.nets.split(",")
    work = tempfile.mkdtemp(prefix="gle_bench_time_")
    results = []  # one dict per measurement
    for rep in range(a.repeats):
        for net in nets:
            first = a.first_n5 if net == "n5" else a.first
            meas = []
            # interleave: vlec interp, vlec go, Brian2 cython, Brian2 C++
            r = {"what": "vlec interp", "net": net, "rep": rep}
            r["rate"] = vlec_bench(vlec, net, "interp", a.vlec_time)
            r["ttfr"] = vlec_ttfr(vlec, net, "interp", first)
            meas.append(r)
            r = {"what": "vlec go", "net": net, "rep": rep}
            cache = os.path.join(work, f"vlec-cache-{net}-{rep}")
            r["ttfr"] = vlec_ttfr(vlec, net, "go", first, cache=cache)  # cold: empty cache
            r["ttfr_warm"] = vlec_ttfr(vlec, net, "go", first, cache=cache)
            r["rate"] = vlec_bench(vlec, net, "go", a.vlec_time)
            meas.append(r)
            d = os.path.join(work, f"cython-{net}-{rep}")
            bt = ["--batch", a.batch]
            c = spawn(["_child", "ttfr", "--net", net, "--target", "cython", "--dir", d,
                       "--first", str(first), "--rate-time", str(a.brian_time)] + bt)
            c2 = spawn(["_child", "ttfr", "--net", net, "--target", "cython", "--dir", d,
                        "--first", str(first), "--rate-time", "0"] + bt)  # warm cache
            meas.append({"what": "Brian2 cython", "net": net, "rep": rep, "rate": c["rate"],
                         "ttfr": c["ttfr"], "ttfr_warm": c2["ttfr"], "brian2": c["brian2"]})
            for threads in [0] + ([a.threads] if a.threads and net in a.threads_nets.split(",") else []):
                d = os.path.join(work, f"cpp-{net}-{rep}-{threads}")
                c = spawn(["_child", "ttfr", "--net", net, "--target", "cpp_standalone", "--dir", d,
                           "--first", str(first), "--threads", str(threads)] + bt)
                if c["seconds"] < a.brian_time:
                    # a longer run of the same build (only main.cpp changes)
                    dur = round(c["rate"] * a.brian_time) * spec_of(net).dt
                    c2 = spawn(["_child", "rate", "--net", net, "--target", "cpp_standalone", "--dir", d,
                                "--duration", repr(dur), "--threads", str(threads)] + bt)
                else:
                    c2 = c  # the first run was long enough
                meas.append({"what": "Brian2 C++" + (f" {threads} threads" if threads else ""), "net": net,
                             "rep": rep, "rate": c2["rate"], "ttfr": c["ttfr"], "brian2": c["brian2"]})
                shutil.rmtree(d, ignore_errors=True)
            for m in meas:
                print(json.dumps(m), flush=True)
            results += meas
    shutil.rmtree(work, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    summarize(results, nets)
    return 0


def summarize(results, nets):
    whats = []
    for r in results:
        if r["what"] not in whats:
            whats.append(r["what"])

    def agg(what, net, key):
        v = [r[key] for r in results if r["what"] == what and r["net"] == net and key in r]
        return (min(v), statistics.median(v)) if v else None

    print("\nsteps/s, median (min) of the repeats")
    print("net  " + "".join(f"{w:>22}" for w in whats) + "   interp/C++   go/C++")
    for net in nets:
        line = f"{net:<5}"
        for w in whats:
            s = agg(w, net, "rate")
            line += f"{s[1]:>14,.1f} ({s[0]:,.0f})" if s else " " * 22
        ci, cg, cc = (agg(w, net, "rate") for w in ("vlec interp", "vlec go", "Brian2 C++"))
        if ci and cg and cc:
            line += f"   {ci[1] / cc[1]:10.2f}   {cg[1] / cc[1]:6.2f}"
        print(line)
    print("\ntime to first result (s, cold; warm in brackets), median (min) of the repeats")
    for net in nets:
        line = f"{net:<5}"
        for w in whats:
            s, sw = agg(w, net, "ttfr"), agg(w, net, "ttfr_warm")
            line += f"{s[1]:>10.2f} ({s[0]:.2f})" if s else " " * 18
            line += f" [{sw[1]:.2f}]" if sw else ""
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("check", help="vlec's trajectory against Brian2's")
    c.add_argument("--net", default="n2", choices=NETS)
    c.add_argument("--steps", type=int, default=200)
    c.add_argument("--target", default="numpy", choices=["numpy", "cython", "cpp_standalone"])
    c.add_argument("--tol", type=float, default=1e-9,
                   help="largest accepted difference relative to the quantity's largest magnitude")
    c.add_argument("--vlec", default="go run ./cmd/vlec", help="command running vlec, from the repository root")
    c.add_argument("--vlec-out", help="a directory where vlec already ran `vlec-model NET STEPS` for STEPS steps")
    t = sub.add_parser("time", help="steps/s and time to first result")
    t.add_argument("--nets", default=",".join(NETS))
    t.add_argument("--repeats", type=int, default=3)
    t.add_argument("--vlec", help="vlec binary (default: go build ./cmd/vlec)")
    t.add_argument("--vlec-time", type=float, default=2, help="vlec bench --time, seconds")
    t.add_argument("--brian-time", type=float, default=3, help="wall seconds of Brian2's timed run")
    t.add_argument("--first", type=float, default=1.0, help="simulated seconds of the first result")
    t.add_argument("--first-n5", type=float, default=0.1,
                   help="the same for n5 (Brian2 needs minutes for its first second)")
    t.add_argument("--batch", default="independent", choices=["shared", "independent"],
                   help="how Brian2 runs the batch of n3 and n5 (see build)")
    t.add_argument("--threads", type=int, default=0, help="also time cpp_standalone with this many OpenMP threads")
    t.add_argument("--threads-nets", default="n4,n5")
    t.add_argument("--json", help="write every measurement here")
    m = sub.add_parser("vlec-model")
    m.add_argument("net", choices=NETS)
    m.add_argument("steps", type=int)
    ch = sub.add_parser("_child")
    ch.add_argument("mode", choices=["ttfr", "rate"])
    ch.add_argument("--net", required=True)
    ch.add_argument("--target", required=True)
    ch.add_argument("--dir", required=True)
    ch.add_argument("--first", type=float, default=1.0)
    ch.add_argument("--duration", type=float, default=1.0)
    ch.add_argument("--rate-time", type=float, default=3)
    ch.add_argument("--threads", type=int, default=0)
    ch.add_argument("--batch", default="shared", choices=["shared", "independent"])
    ch.add_argument("--t0", type=float, default=START)
    a = ap.parse_args()
    if a.mode == "check":
        return cmd_check(a)
    if a.mode == "time":
        return cmd_time(a)
    if a.mode == "vlec-model":
        sys.stdout.write(vlec_model(a.net, a.steps))
        return 0
    return child(a)


if __name__ == "__main__":
    sys.exit(main())
