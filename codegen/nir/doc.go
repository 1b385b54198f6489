// Package nir exports a vlec model's forward network, with its current
// parameters, as a graph of NIR, the Neuromorphic Intermediate
// Representation (github.com/neuromorphs/NIR), and imports such graphs
// back as .vle models. The files are HDF5 in the layout of NIR's
// nir.write (internal/hdf5 writes and reads them). `vlec export nir` and
// `vlec import nir` (cmd/vlec/nir.go) are the commands.
//
// # What the graph computes
//
// A population p of the GLE family, with its errors at zero (the free
// forward dynamics: errors only nudge the membrane while the network
// learns, through gamma e), is
//
//	tau_m du/dt = -u + I,   I = sum_c W_c r_src(c) + b
//	r = phi(u + tau_r du/dt) = phi((1-k) u + k I),   k = tau_r / tau_m
//
// (the prospective rate without a derivative, since tau_m du/dt = I - u).
// Time is in seconds. NIR's nodes express this when phi is affine:
//
//	construct                 NIR nodes (names)
//	input x[n]                Input x, shape (n,)
//	population p[n]           LI p: tau = tau_m, r = 1, v_leak = 0
//	                          Scale p_I (scale 1): the junction summing the
//	                          population's input currents into I
//	                          Scale p_ku = 1-k (from p), Scale p_kI = k
//	                          (from p_I), summed by Scale p_r (scale 1):
//	                          the rate; Affine p_r (identity weight, bias c)
//	                          instead when phi(x) = a x + c has c != 0, the
//	                          slope a multiplying both scales
//	connect s -> p W          Affine W (weight [dst][src], NIR's (out, in);
//	                          bias b of p) for the first connection into p,
//	                          Linear W for the others; edges s_r (or the
//	                          Input s) -> W -> p_I; a recurrent connection
//	                          p -> p is a cycle p_r -> W -> p_I -> p_kI -> p_r
//	output                    Output p_out, shape (n,), from p_r for every
//	                          population that feeds no other population
//	                          (else the last one declared)
//
// NIR sums the edges arriving at a node. Everything vlec-specific goes in
// the graph's "metadata" group, never as a node dataset (NIR's reader
// refuses unknown datasets): vlec.model, vlec.generator, vlec.time_unit
// ("s"), vlec.dt, vlec.duration, vlec.exact ("true" when every activation
// is affine), vlec.outputs, vlec.parameters (the checkpoint or "initial
// values"), vlec.equations, vlec.approximations and vlec.notes; per
// population vlec.pop.P.phi, .phi_affine ([a, c]), .phi_export (how phi
// was replaced), .tau_r, .gamma, .learnable; per connection
// vlec.conn.W.plastic and .topology; per input vlec.input.X.stimulus (its
// source text, so that an import gets the same inputs; absent for data
// set inputs), and vlec.decls, the model file's consts and functions the
// stimuli use (source text, in the file's order).
//
// # What is refused or left out
//
// NIR has no tanh, sigmoid, softplus, relu or exp node. By default
// (Options.Phi = PhiError) such a population is refused with its name;
// PhiLinearize replaces phi by its tangent at Options.At, a x + c, and
// PhiDrop by the identity; each is recorded in the metadata and returned
// in Result.Approximations, and the graph is then not exact. A user fn
// that is affine (such as vlec import's `fn phi_h(v) = 0.5 * v + 0.7`)
// is exact; other user fns are refused by PhiLinearize (use PhiDrop).
// Teachers, data sets and energy terms other than the mismatch do not
// change the forward network (they nudge it through errors while it
// learns): they are left out with a note, and so is an input that no
// connection reads (a target only the energy reads). Sparse and one_to_one
// connections are exported as dense matrices whose absent entries are 0,
// with a note. A population without an incoming connection (its current
// a constant bias) is refused. A file is written through a temporary file
// renamed into place: an error leaves nothing half-written.
//
// # Import
//
// Import reads graphs of Input, Output, LI, CubaLI, Affine, Linear and
// Scale nodes and writes a .vle model with every population's energy
// term mismatch(P), ready for a teacher and a loss to train it with GLE.
//
// An LI node in the pattern above (LI with r = 1 and v_leak = 0, any
// names) is one population: tau_r = k tau_m, phi linear (or
// `fn phi_P(v) = a * v + c` when the rate is another affine function, the
// same for every neuron). vlec's metadata, when present, gives the exact
// tau_r, gamma, learnable, dt, duration and the inputs' stimuli, and
// which connections are plastic; export, import, export gives the same
// graph, also through a file NIR's own nir.write rewrote
// (testdata/lin_nirwrite.nir; NIR's nir.read, which checks the types
// along the edges, reads the exported files).
//
// Any other LI node is a graph made elsewhere, whose membrane v is the
// node's output: it is a population with tau_r = dt. Under vlec's
// synchronous forward Euler scheme the prospective potential u + tau_r
// du/dt is then the membrane of the same step, u(k), so the imported
// model is forward Euler of NIR's definitions at the model's dt (inputs
// at step k, every other value from step k-1), to rounding
// (TestImportForeignGraph, against an Euler integration of the graph
// written from NIR's definitions; and within O(dt/tau) of the continuous
// system, TestIntegratorAgreesForeign). Keep tau_r equal to dt when
// changing dt. The LI's r and v_leak fold into the population's input
// weights (rows scaled by r) and bias (r b + v_leak): tau du/dt = -u +
// r I + v_leak. A CubaLI node (tau_syn dI/dt = -I + w_in x, tau_mem
// dv/dt = v_leak - v + r I) becomes two populations of that kind: NAME_syn
// (tau_syn, its inputs' weights scaled by w_in) and NAME (tau_mem), joined
// by a fixed one_to_one connection of weight r, with bias v_leak.
//
// The connections into a population are traced back from its current
// (the junction, or the LI's own input) through Affine, Linear and Scale
// nodes to the sources they read (Input nodes and populations), summing
// what arrives at a node as NIR does: a chain of linear nodes becomes one
// matrix, the product of the chain, named after the Affine or Linear
// node nearest the population (suffixed with the source and target when
// that node feeds several populations, whose copies then learn apart);
// the biases along the way become the population's bias b. An Input or a
// population read without a weight node becomes a fixed one_to_one
// connection P_SRC_DST. In a graph made elsewhere every connection with
// a weight node is plastic; an imported model says in comments how each
// matrix was made, and the command prints the same as notes. The
// weights are literals (a matrix of more than MaxLiteral weights a .npy
// file beside the model, which `file("MODEL.W.npy")` reads). Without
// vlec.dt in the metadata dt is ImportOptions.Dt (`--dt`), else 1 ms,
// shortened to the shortest time constant; the inputs' stimuli are 0,
// to be replaced.
//
// An Input node without edges is left out with a note. Refused, with the
// node's name: other node types (spiking LIF, CubaLIF,
// IF and Threshold, the leakless integrator I, convolutions, pooling,
// Delay, Flatten, nested graphs); an Output that reads anything but one
// population's rate (put an LI node before it); a cycle of linear nodes
// without an LI node (an algebraic loop, which a step cannot order); a
// composed matrix of more than 2^25 entries; sizes that disagree along an
// edge; a --dt longer than a time constant. A malformed or foreign file
// is an error, never a panic (FuzzImport).
//
// # Tests
//
// scripts/nircheck.py checks files against NIR's rules with h5py (version,
// known node types with exactly their required and optional datasets,
// edges naming existing nodes, shapes agreeing along edges, Input and
// Output present); scripts/nirsim.py steps an exported graph with numpy
// from the file alone and compares it with vlec's simulation (see
// TestIntegratorAgrees for the tolerance and why). Both run under
// /usr/bin/python3 with h5py and numpy; the tests skip without them unless
// VLEC_H5DUMP=1, as CI sets it.
package nir
