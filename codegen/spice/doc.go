// Package spice exports a vlec model as an analog circuit: a
// self-contained SPICE netlist that ngspice simulates in batch mode
// (`ngspice -b NET.cir`). Every element is generated from the derived
// equations (ir/derive, as `vlec derive` prints them) and the step
// program's parameter values: the exporter walks the symbolic
// expressions of the input currents, the rates, the instantaneous errors,
// the cost and the plasticity rules and prints them as element values and
// B-source expressions; it knows only the structure of the mapping below,
// not the GLE equations. `vlec export spice` (cmd/vlec/spice.go) is the
// command.
//
// # What the circuit computes
//
// Time is in seconds and every node voltage is the model's value (a
// membrane potential, a rate, a weight). A neuron's membrane
//
//	tau_m du/dt = -u + I + gamma e
//
// is an RC node: R = Rscale from u to ground, C = tau_m/R in series with
// a zero-volt source Vsense, and every term of I injected as a current
// divided by R. Kirchhoff's current law at the node is the equation, and
// Vsense's current is the capacitor's, i = C du/dt, so the prospective
// potential needs no numerical derivative (ngspice's ddt() would lag a
// step):
//
//	uhat_r = u + tau_r du/dt = v(u) + (tau_r R/tau_m) i(Vsense)
//
// The elements, per neuron i of batch copy b (node names
// KIND_POP_b_i; a teacher's nodes carry its name, KIND_T_POP_b_i):
//
//	equation (vlec derive)          elements
//	P.tau_m dP.u/dt = -P.u + ...    R, C = tau_m/R (IC=0), Vsense: u_P_b_i
//	P.I = P.b + W @ x + ...         per weight a G element 0 -> u, gain W/R,
//	                                controlled by the source's node; the
//	                                bias an I source b/R; any other term
//	                                of I a B current source
//	+ gamma P.e                     a G element of gain gamma/R from e_P
//	P.uhat_r = P.u + P.tau_r dP.u/dt B source uhat_P = v(u) + tau_r R/tau_m i(Vsense)
//	P.r = phi(P.uhat_r)             B source r_P (none when phi is linear)
//	P.ebar = ...                    the expression, a B current source
//	  W^T @ e, W @ x in an error    a crossbar: a summing node (R to
//	                                ground) fed by one G element per weight
//	P.tau_r dP.v/dt = -v + ebar     the error neuron (gle): RC node v_P,
//	                                C = tau_r/R, driven by ebar/R
//	P.e = P.v + P.tau_m dP.v/dt     B source e_P = v(v) + tau_m R/tau_r i(Vsense_v)
//	P.e = P.ebar (le)               B source e_P
//	cost                            B source cost_b (written to the data file)
//	dtheta/dt = eta * D             --learn: a capacitor node p_THETA_k,
//	                                C = 1/R charged to the initial value
//	                                (IC with uic), shunt 1e12 R; a B
//	                                current source C eta D, averaged over
//	                                the batch, switched on at learn_after
//
// phi and the other functions are overflow-safe B-source expressions:
// softplus(x) = max(x,0) + ln(1 + exp(-|x|)), sigmoid(x) = 1/2 + tanh(x/2)/2,
// exp(min(x, 80)), ln(max(x, 1e-300)); integer powers are products,
// since ngspice's ^ and pow() raise |x|. A value that would overflow is
// clamped in the expression and never reaches ngspice as Inf or NaN
// (TestOverflowClamped).
//
// Without flags the circuit is the free forward dynamics, errors 0 (the
// program of schedule.Free). --with-errors adds the error neurons, the
// nudging gamma e and the teacher models the errors read, each as a
// sub-circuit of its own free forward dynamics on the inputs it is bound
// to (a model teacher's output is thus continuous in time, not sampled).
// --learn adds the plasticity and implies --with-errors. vlec's learning
// rate is per step (W += lr * D each step), so the circuit integrates
// dW/dt = (lr/dt) D. With --learn, a weight's G element has the
// voltage of its node as its gain (a G element with value={v(w)*v(x)/R}),
// and a learning membrane time constant makes the membrane an
// integrator: the input currents meet at a summing node i_P (R to
// ground), and a B source drives (v(i) - v(u))/(R tau_m) into C = 1/R,
// tau_m the node's voltage kept at its floor (the learning current stops
// pushing it down there). A sparse or one_to_one matrix keeps its mask:
// the entries that are 0 have no element (and, learning, no node).
//
// Stimuli: a sum of sinusoids and a constant (sine, cosine, sin and cos
// of an affine function of t) becomes SIN sources in series, phase in
// degrees; any other deterministic stimulus (step, smooth_step,
// square_wave, products) a B source in ngspice's `time`; a file input,
// and with --with-errors a file teacher's targets, a PWL source through
// the values vlec reads at each step (Options.Series; linear between the
// steps where vlec holds each step's value). Every capacitor starts at
// IC=0 (a learned parameter at its value) and the transient has `uic`, so
// the circuit starts from rest, as vlec does, not from a DC operating
// point.
//
// The netlist ends with `.tran TSTEP TSTOP 0 TSTEP uic` and a .control
// block: run, linearize (the results on the uniform TSTEP grid), wrdata
// of the population rates (with --with-errors the cost, with --learn the
// learned parameters first) to the data file, quit 0. ngspice 39's
// wrdata writes nothing, without an error, when given about ten thousand
// vectors, so more than MaxColumnsPerFile (1000) columns go to further
// files, DATA.2, DATA.3, ... (Result.DataFiles; bench n2 with --learn
// writes 16). The header lists every file's columns (Result.Columns)
// under vlec's names (y.r[b=0][2], W1[3], cost[b=0]). The tolerances are reltol 1e-6, abstol 1e-12/R A,
// chgtol 1e-18/R C, so ngspice's own error stays near 1e-6.
//
// # Component values
//
// At Rscale = 1 ohm (the default) a membrane of tau_m = 0.5 s is 1 ohm
// and 0.5 F, a weight of 0.3 a transconductance of 0.3 S. At --rscale 1e6
// the same membrane is 1 Mohm and 0.5 uF, the weight 0.3 uS, the currents
// microamperes, a learned weight a 1 uF capacitor (shunt 1e18 ohm): the
// voltages do not change (TestRscaleKeepsValues: the same data to 1e-5).
// The bench networks' tau_m = 10 ms is 10 nF at 1 Mohm.
//
// # What is refused or left out
//
// Refused, naming the construct at its position: a softmax or log-sum-exp
// in the errors (a softmax cross-entropy cost with --with-errors: the
// message names the energy term), data set inputs and teachers (their
// samples follow vlec's task schedule; examples/mnist1d is refused for
// its input x), ou noise (its samples depend on vlec's step and seed),
// method adjoint with --with-errors or --learn (its gradients come from a
// reverse sweep; its forward network exports), optimizer adam and tasks
// with --learn, a model with nothing to learn with --learn, names that
// collide in ngspice's case-insensitive namespace, and circuits of more
// than Options.MaxElements elements (DefaultMaxElements, 200000;
// --samples N exports the first N batch copies of a forward circuit, as
// the test does for bench n3's batch of 32). Without --with-errors the
// teachers are left out with a note; a teacher's own errors are left out
// with a note. Nothing is written on an error: the command writes the
// netlist through a temporary file renamed into place.
//
// # A physical realisation
//
// The netlist is a behavioural model; each element stands for a standard
// analog block. The RC membrane is a leaky integrator (a capacitor with a
// resistor or an OTA leak) and Vsense a current sensor (a current mirror
// copying the capacitor's current) whose copy, scaled by tau_r/tau_m and
// added to v(u), makes the prospective readout (a current-mode adder into
// a transimpedance). The G elements of a weight matrix are a crossbar of
// programmable conductances (memristors, floating-gate or RRAM cells)
// whose column currents sum by Kirchhoff's law; the transposed products
// W^T e of the errors are the same crossbar read from the other side.
// phi is a nonlinear transconductor: softplus and sigmoid are the
// subthreshold MOS characteristics, tanh a differential pair. The error
// neuron is a second RC integrator. A learned weight is charge on a
// capacitor (or a floating gate) integrating the product e_post r_pre, a
// Gilbert-cell multiplier; its G element is a multiplier too (gain set by
// the stored voltage). A learned tau_m is a gm-C integrator whose
// transconductance 1/tau_m is programmed by the stored voltage. The shunt
// stands for the storage capacitor's leak: at 1e12 R the weights keep
// their values for 1e12 s; a real leak of 1e12 ohm at 1 uF would forget
// in about 12 days.
//
// # Accuracy against vlec
//
// TestExamplesAgreeWithVlec exports every example and bench n1-n3, runs
// ngspice and compares every column (population rates; with
// --with-errors the cost) with vlec's own simulation of the same model,
// learning off, at a fine dt, extrapolated to dt -> 0 from dt and dt/2
// (vlec's forward Euler is first order). The error is the largest
// difference over the trajectory, relative to the largest magnitude the
// column reaches; the first output point (t = 0, where vlec's first step
// reads the rates of its zero initial state) is left out. Measured (goal
// 1e-3):
//
//	model (tstop)                     free       --with-errors
//	chain2 (10 s)                     8.4e-6     3.0e-5 (gle), 3.0e-5 (le)
//	chain2_gamma0 (10 s)                         3.0e-5
//	chain2_teacher (10 s)                        1.3e-5
//	chain2_adjoint (10 s)             8.4e-6     refused (method adjoint)
//	mlp (10 s, batch 2)               1.1e-4     1.2e-4 (gle), 8.5e-5 (le)
//	mlp_gamma0 (10 s)                            1.1e-4
//	mlp_teacher (10 s)                1.2e-4
//	bench n1 (1 s)                    1.0e-5     7.8e-6
//	bench n2 (0.2 s; 10 ms errors)    1.5e-4     1.0e-4
//	bench n3 (0.2 s, 2 of 32 copies)  1.5e-4
//	testdata/stimuli (4 s)            2.4e-4
//	mnist1d                           refused (data set input)
//
// With --learn, chain2 (the LagLine, 30 s, learning from 5 s;
// TestChain2Learns): the mean cost falls from 0.01858 (0-5 s) to
// 0.0006526 (25-30 s) in the circuit and to 0.0006522 in vlec at dt -> 0;
// the final parameters, circuit against vlec at dt -> 0 (and vlec at the
// model's dt = 10 ms): W0 0.3 -> 0.646522 against 0.646497 (0.638533), W1
// 0.6 -> 1.84898 against 1.84904 (1.85157), h.tau_m 0.5 -> 0.581102
// against 0.581129 (0.587116), y.tau_m 1.5 -> 1.42489 against 1.42490
// (1.42352): within 3.2e-4 of vlec's change. The learning tests of
// testdata/sparse.vle (sparse, one_to_one and recurrent plastic
// connections, learnable biases, batch 2), testdata/extras.vle (weight
// decay, a homeostatic term with a learnable param, lateral weights,
// per-neuron gamma, method le) and testdata/filein.vle (file input and
// file teacher as PWL) agree to 2.8e-4, 2.0e-5 and 1.9e-5
// (TestLearnsLikeVlec, TestFileSignalsLearn).
//
// # Speed
//
// Time on the development machine (shared with other work, so within
// about 30 %; the range is three runs): ngspice -b of the netlist (CPU time) against vlec's
// interpreter stepping the model's full program (errors and learning) at
// its own dt and at the fine dt at which it agrees with the circuit to
// about 1e-5:
//
//	model, simulated time        elements   ngspice   vlec at dt       at fine dt
//	chain2 --learn, 30 s                55    0.08 s    0.005 s (10 ms)  0.46 s (0.1 ms)
//	mlp --learn, 20 s                  525    0.15 s    0.02 s (10 ms)   0.61 s (0.1 ms)
//	n1 --learn, 1 s                     33    0.03 s    0.001 s (1 ms)   0.06 s (0.01 ms)
//	n2 free, 0.2 s                   16080    1.0 s     0.002 s (1 ms)   0.12 s (0.01 ms)
//	n2 --with-errors, 0.2 s          28541    23.5 s
//	n2 --learn, 0.2 s                73541    110-180 s
//
// For the small models ngspice's adaptive second-order integration is as
// fast as vlec at the dt that its accuracy needs. The errors couple every
// layer to the next in both directions within a time step (the
// prospective readouts and the nudging form an algebraic loop, which
// vlec's scheme breaks with its one-step delay), so with --with-errors
// ngspice factors a dense 200 x 200 block at every Newton iteration:
// bench n2 becomes about 25 times slower than its forward network, and
// with its 14000 learning B sources about 100 times; vlec steps it a
// thousand times faster.
//
// # Tests
//
// The ngspice tests run `ngspice -b` on each netlist and fail on a
// non-zero exit, a line containing "error" in its output or a data file
// that is not a header and rows of finite numbers. They skip when ngspice
// is not installed, unless VLEC_NGSPICE=1 (as .ci/run sets it, after
// installing Debian's ngspice), which makes that a failure. TestGolden
// keeps the netlists of chain2 (free, and --learn at 1 Mohm) in testdata
// (go test -update rewrites them); TestRefusals checks every refusal's
// message and position.
package spice
