// Package stability warns where a model's synchronous forward-Euler step
// will blow up: it estimates the spectral radius of the step linearised
// around the model's early state, says which population (and connection)
// carries the growing mode, and what to change. `vlec check` prints its
// warnings; `vlec check --stability` prints the table of gains.
//
// # What is computed
//
// A step of the step program (ir/schedule) maps the State buffers of step
// k-1 to those of step k: membranes u, errors e, error neurons v,
// prospective potentials uhat_r, the rate caches (r, phi'(uhat_r)) and
// the messages W^T e. With the inputs, targets and parameters held fixed
// and learning off this is a map x_k = F(x_{k-1}) of one sample's states,
// and a perturbation of x grows by the spectral radius rho(J) of its
// Jacobian J per step. Three radii are reported:
//
//   - whole step: rho(J) over every state the step writes;
//   - neuron loop: rho of the Jacobian block of the neuron states
//     (membranes, prospective potentials, rate caches) with the error
//     states held at zero: the step is run with every kernel writing an
//     error state (e, v, messages) replaced by one zeroing it, i.e. the
//     free dynamics;
//   - error loop: rho of the block of the error states (e, v, messages)
//     with the neuron states held at the linearisation point. For gle a
//     lateral loop R has a gain near (tau_m/tau_r) phi' rho(R^T) here,
//     whatever dt, because e = v + (tau_m/tau_r)(ebar - v) passes ebar on
//     amplified within one step.
//
// A whole-step mode is flagged when its radius exceeds 1 + Tolerance
// (unstable: it grows) or when it has a negative real part and a radius
// of at least 1 - 1e-3 (undamped: a sign flip every step or two that does
// not decay, flagged whatever the tolerance; such a mode is an artefact of
// the discretisation, and a lone linear output nudged with beta = 1 has
// the eigenvalue -1 exactly and oscillates for ever). Its cause is the
// error loop or the neuron loop when that subsystem is flagged by itself
// (the one on the same population first), else "nudging": the loop in
// which errors nudge the membranes (gamma e) and the rates drive the
// errors back (through the cost, weighted by beta, and the messages).
//
// # The linearisation point
//
// The initial state is all zeros, including the caches, so phi'(uhat_r)
// reads 0 and every error loop looks open. The analysis therefore runs a
// copy of the program (learning off, its own stimuli and teachers) for
// Settings.Settle = 5 steps, enough for every cache and message to be a
// function of the current membranes (two steps suffice), and few enough
// that the membranes are still near their initial values where a
// saturating activation has its largest slope: for tanh-like rates the
// estimate is the early, largest loop gain. The inputs and targets are
// held at their values of step 5 (they are not states), the parameters
// at their initial values, and only sample 0 of the batch is linearised
// (samples are independent; the map runs on a batch-1 copy of the
// program without stimuli, teachers or learning). The caller's program
// is not changed.
//
// # How
//
// Jacobian-vector products are central finite differences of one step of
// the interpreter (runtime.Sim): the states are written through
// Sim.Values, one step runs, and the new states are read back, with
// perturbations of 1e-5 max(1, |x|) (truncation and rounding errors both
// near 1e-10). When at most Settings.MaxDense = 400 of the state entries
// are read by the step, the full Jacobian is built column by column
// (entries nobody reads have zero columns and are skipped), entries whose
// row or column is zero within the rest are removed (each only adds an
// eigenvalue 0), and LAPACK's Dgeev (gonum mat.Eigen) gives every
// eigenpair. Larger systems (the 14,040 state entries of
// examples/bench/n4.vle) use Arnoldi's iteration: a 40-dimensional Krylov
// space of Jacobian-vector products, orthogonalised twice by classical
// Gram-Schmidt, Ritz values from gonum mat.Eigen of the Hessenberg
// matrix, at most 4 explicit restarts from the leading Ritz vectors
// until the dominant residual is below 1e-4. Finite-difference noise and
// the Jordan blocks of neurons sharing a time constant in a feed-forward
// chain limit a Ritz value's accuracy to about 1e-3 (n2: Arnoldi 0.9025
// against the exact 0.9000), so an Arnoldi estimate carries the
// uncertainty sqrt(residual) and is flagged only when radius -
// uncertainty > 1 + Tolerance.
//
// # Attribution
//
// The weight of an eigenvector entry is its squared modulus. A row names
// the population carrying the most weight (a cache such as
// "tanh'(h.uhat_r)" counts for h; a message "msg:W1^T @ y.e" for W1's
// source population), the state buffer carrying the most, the other
// populations carrying at least 10%, and a connection: the one whose
// messages carry at least 10% of the weight or, for neuron and whole-step
// loops, a connection lying on a cycle of populations that each carry at
// least 10%.
//
// # Threshold
//
// The warning threshold is radius > 1 + Tolerance with Tolerance = 1e-3.
// Forward Euler maps a membrane with time constant tau to the eigenvalue
// 1 - dt/tau (0 for tau = dt), so stable models sit below 1 by at least
// dt/tau_max (0.0067 for examples/chain2.vle, 0.1 for the benchmarks).
// The dense estimates are accurate to about 1e-6; the tolerance covers
// them and marginal modes that would need more than 1000 steps to grow
// e-fold, which the nonlinearity usually bounds. It is tight enough that
// the warnings start within 1% of where runs start to blow up in the
// sweeps below.
//
// # Validation
//
// The tests (sweep_test.go) bisect, for models written to a temporary
// directory, the scale at which the analysis starts to warn and the scale
// at which runs of 1500 steps without learning start to blow up (the
// states grow tenfold, or a state buffer changes by half its largest
// value in one step after step 50):
//
//   - lateral connection R = s [[0, 1], [1, 0]] between two linear gle
//     neurons (tau_m = 10 ms, tau_r = 5 ms, dt = 1 ms): warning from
//     s = 0.4704, runs blow up from s = 0.4719 (0.3% apart; the error
//     loop, gain about 2 s);
//   - nudging strength beta of x -> h -> y, linear: warning from
//     beta = 0.7350, runs from 0.7271 (1.1%);
//   - the same with tanh hidden neurons: warning from 0.7203, runs from
//     0.7408 (2.8%).
//
// The tests assert agreement within 10%. They also check that a lone
// linear gle output nudged with beta has the eigenvalue -beta whatever
// tau_r (beta = 1: undamped, the run oscillates), that a lateral plastic
// loop of gain (tau_m/tau_r) rho(R^T) = 1.3 is flagged for gle (error
// loop of h through R; its run oscillates and with learning diverges) but
// not for le, that examples/bench/n1.vle with beta = 1 is flagged for its
// nudging loop, and that no example or benchmark network is flagged.
//
// References:
//
//   - W. E. Arnoldi, The principle of minimized iterations in the
//     solution of the matrix eigenvalue problem, Quarterly of Applied
//     Mathematics 9 (1951) 17-29.
//   - Y. Saad, Numerical Methods for Large Eigenvalue Problems, 2nd ed.,
//     SIAM 2011: chapters 3 (perturbation theory: eigenvalues in Jordan
//     blocks), 6 (Krylov subspace methods, Arnoldi) and 7 (restarting).
//   - D. A. Knoll, D. E. Keyes, Jacobian-free Newton-Krylov methods: a
//     survey of approaches and applications, Journal of Computational
//     Physics 193 (2004) 357-397 (finite-difference Jacobian-vector
//     products in Krylov methods).
//   - E. Anderson et al., LAPACK Users' Guide, 3rd ed., SIAM 1999 (xGEEV,
//     used through gonum mat.Eigen).
//   - E. Hairer, G. Wanner, Solving Ordinary Differential Equations II,
//     2nd ed., Springer 1996, section IV.2 (the stability function of the
//     explicit Euler method, 1 + z).
//   - L. N. Trefethen, M. Embree, Spectra and Pseudospectra, Princeton
//     University Press 2005 (why eigenvalues of non-normal Jacobians can
//     understate transient growth).
//   - P. Haider et al., Latent Equilibrium: a unified learning theory for
//     arbitrarily fast computation with arbitrarily slow neurons, NeurIPS
//     2021, and B. Ellenberger et al., Backpropagation through space,
//     time and the brain, arXiv 2403.16933 (the le and gle dynamics
//     analysed here).
package stability
