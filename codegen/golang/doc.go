// Package golang emits a Go simulator specialised to one model: a
// self-contained Go module generated from the model's step program
// (ir/schedule) and those of its teachers. `vlec gen go FILE -o DIR`
// writes it; `vlec build FILE -o BIN` also compiles its command.
//
// # The generated module
//
//	go.mod            module <model>, go 1.26, no requirements
//	model.go          type Model: the student's step program; teacher types
//	api.go            constants (Dt, Batch, PlannedSteps, LearnAfter, ...),
//	                  Options, New, Step, Run, Recorder, NonFiniteError
//	record.go         FileRecorder: the model's record declarations
//	                  (.csv, .npy and .npz files, as vlec run writes them)
//	funcs.go          numeric helpers (sigmoid, softplus, dot products, ...)
//	data.go           DataPaths and DataFiles: the model's data files;
//	                  their readers and the ou noise, when the model has them
//	task.go           a model with a task: the data set, the epochs, the
//	                  metrics, the checkpoints (Epoch, RunTask, Evaluate,
//	                  SaveCheckpoint, Resume, LoadParams, MetricsCSV, ...)
//	cmd/<model>/main.go  the command: flags -duration, -seed, -o, -q, -set
//	cmd/<model>/task.go  a task's run: flags -resume, -from
//
// Model holds every buffer of the program as a flat []float64 (a
// [n]float64 array for tiny programs of at most 1024 values in all, such
// as examples/bench/n1.vle: their step then works at constant offsets
// from the model, with no slice headers to load and no bounds to check),
// sample-major (row b of a batched buffer of n values is [b*n : b*n+n],
// matrices row-major). The buffers a user names are exported fields: each
// dotted part of the name with an upper-case first letter, joined by
// underscores (h.u is H_U, W0 is W0, h.tau_m is H_Tau_m, T.y.r is T_Y_R,
// the cost Cost). The program's own buffers (temporaries, messages such
// as msg:W1^T @ y.e, rate caches) and the next halves of the states are
// unexported. Sizes are constants in the loops.
//
// Step runs the kernels of the fused step program (schedule.Fuse, the
// fusions every back end shares; vlec derive --fused lists it) in program
// order, each under a comment with its listing (the equation of vlec
// derive --program and the note naming the term it comes from):
//
//   - Consecutive entrywise kernels of one shape are one loop (an
//     elementwise chain, chain.go): a population's error, error neuron,
//     membrane, prospective potential and rate are one or two loops; the
//     temporaries only the chain reads (h.vdot, h.udot, ...) are local
//     variables, never stored, and tanh(x) with tanh'(x) share one
//     evaluation. Rows are resliced to constant lengths, so the loops run
//     without bounds checks.
//   - A weight matrix of a batch of one is streamed once per step: the
//     forward product, the message W^T e and the update (when learning is
//     on) are one call of kern.Synapse (AVX-512 assembly where the CPU
//     has it), or plain loops for matrices of at most 16 entries.
//   - Batched products (W @ x over the batch, W^T @ e, the batch-summed
//     outer products) run on kern.Gemm, the interpreter's blocked GEMM
//     with its assembly micro-kernels, on a pool of runtime.GOMAXPROCS
//     workers (Model.Close stops them).
//   - Reductions, softmax, mean accumulations, masked applications and
//     Adam keep loops of their own.
//
// The learning kernels run from LearnAfter on. States are double-buffered
// as in the interpreter: kernels write the next half and the step ends
// with a swap of the two slices (slice headers, not values). The guard
// adds up every state and parameter and scans them one by one only when
// the sum is not finite.
//
// The kern package is vlec's internal/kern, copied into the module's
// kern/ directory (vlec embeds its source), so the module builds offline,
// without vlec's source and without any requirement.
//
// # Same numbers as the interpreter
//
// The arithmetic is the interpreter's, operation by operation: entrywise
// expressions are folded and evaluated left to right as runtime/tape.go
// does (constants folded at generation time in float64, never left for
// the Go compiler to fold exactly); the elementwise functions copy
// ir.Func.Eval and EvalDeriv; stimuli copy runtime/stim.go; the outer
// products of a batch of one and the reductions sum in gonum's and the
// runtime's order; the synapse passes and the batched products call the
// same kern functions as the interpreter. The inlined synapse passes of
// tiny matrices and the unfused matrix-vector products (teachers, fixed
// weights) sum in another order than the interpreter's kernels (which
// fuse multiply and add on AVX-512). The equivalence tests
// (golang_test.go) therefore compare every recorded value to 1e-12
// relative, or 1e-15 absolute for values that are sums cancelling to
// nearly zero. The generated code
// relies on Go not fusing multiply-adds (GOAMD64 v1 and v2 never do; on
// arm64, ppc64 and s390x the compiler may, and the numbers may differ in
// the last bits there).
//
// Random initialisers (uniform, normal, glorot) and sparse masks are
// generated code drawing the runtime's streams: PCG seeded by the
// explicit seed, or by the sim seed and the FNV-1a hash of the stream's
// name, through math/rand/v2, so -seed changes them exactly as vlec run
// --seed does. Literal and constant weights and every other parameter's
// initial value are data in model.go.
//
// A stimulus of t (and i, b) alone that takes sines, with no noise, is
// computed for a block of up to 64 steps at a time (at most 1024 values):
// the sines' arguments for the block, then the sines in one pass of
// kern.Sin (math.Sin's bits, eight lanes at a time), then the values, each
// with the operations of the step-by-step fill; every step copies its
// row. The inputs are the interpreter's bit for bit (the equivalence tests
// compare them so), and a tiny network's step no longer spends a fifth of
// its time in math.Sin.
//
// The ou noise stimulus draws the interpreter's numbers: every ou(...) of
// an input, numbered as runtime/stim.go numbers them, is a noise
// generator (data.go's ouNoise) holding one Ornstein-Uhlenbeck value and
// one PCG stream per entry, seeded at step 0 from the stream
// ou:<input>:<n> (the explicit seed, or the sim seed and the FNV-1a
// hash of the name) and the entry, then stepped by the interpreter's
// discretisation, x += dt/tau (mean - x) + sigma sqrt(2 dt / tau) N(0,1),
// one NormFloat64 per entry and step. A teacher's noise derives from the
// student's seed, as in vlec run. An ou in the height of step(...)
// (which the interpreter evaluates only from the step's time on) or in
// the seed of another ou is refused.
//
// # Data files
//
// Inputs, file teachers and weights read from CSV or .npy files are read
// when New sets the model up, as vlec run reads them before its first
// step, not embedded in the module: a data file may be large, and a user
// who changes it expects the next run to see the change without
// regenerating the code. Each file is read from the absolute path vlec
// resolved (relative to the model file's directory, as vlec run
// resolves it) when it generated the code; the exported DataPaths lists
// them by the name of what reads them (x, W0, D, and T.x for the input x
// of teacher model T), and a program may point an entry at another file
// before New. The readers are a copy of runtime/files.go's, with the same
// checks and messages: finite values, the declaration's shape, a row per
// step of the run, one row for the batch or one per batch element. A file
// that is missing or does not fit makes New fail with the declaration's
// place (as vlec gen go saw it), the file and the line and column or
// .npy entry, and the command exits with status 1 before it writes
// anything. DataFiles hashes the files (SHA-256) for the summary's read
// list, as vlec run lists them.
//
// # The command
//
// cmd/<model> writes the model's records and a summary
// <model>.summary.json into -o DIR (default: a new directory
// runs/<model>-YYYYmmdd-HHMMSS), then prints vlec run's report lines.
// The records are vlec run's files (runtime/record.go, lang/SPEC.md
// Outputs), the same bytes for the same values: CSV with its column
// names and number formatting (strconv 'g' -1; times k*dt in decimal);
// .npy, one float64 array [rows, 2 + columns] with step, t and the CSV's
// columns, its NPY 1.0 header padded to 128 bytes and written at the end;
// .npz, an uncompressed zip (numpy.savez's layout) of one array per item
// named as the item (y.r, W0, T.y.r, kappa, cost, energy.1, ...) shaped
// [rows, batch, n], [rows, n_target, n_source], [rows, n] or [rows], plus
// step and t. Like the interpreter, FileRecorder streams every row to
// disk as it is recorded, so its memory does not grow with the run: an
// .npz's arrays go to temporary files beside it and are copied into the
// archive at the end. Every file is written under a temporary name and
// renamed into place when complete; after a NaN or Ctrl-C the rows
// recorded so far are kept, complete.
//
// The summary holds vlec run's fields, plus generated_by and set (the
// -set values); vlec (the build of vlec that generated the code),
// model_file, learning and read (the model sources and their SHA-256) are
// fixed when the code is generated, so read names the sources the code
// was generated from. Exit status: 0, 1 (bad flags, a failed write), 3 (a
// NaN or infinite value, named as vlec run names it), 130 (Ctrl-C or
// SIGTERM: the run stops after the current step and keeps what it
// recorded; a second Ctrl-C ends it at once).
//
// On a terminal, a progress bar shows what vlec run's shows (the model,
// the percentage, a bar of 30 characters, the steps done and planned,
// steps/s, the time elapsed and the time left), drawn from 100 ms after
// the start, redrawn at most every 100 ms and cleared at the end; -q
// turns it off. Per step it costs a decrement: the clock is read only
// every so many steps (a stride that adapts to keep the reads 10 to 40
// ms apart).
//
// -set name=value replaces a parameter or a constant of the student by
// name (beta, h.tau_m, W0, y.b: every entry takes the value) before the
// first step; the names are those of Settable. Baked into the code, and
// not settable: dt, the sizes, the batch, learning rates and floors, Adam's
// settings, the parameters of the stimuli, the teachers' values, and any
// number the derivation folded into an equation.
//
// # Exact gradients (method adjoint)
//
// A model of method adjoint is generated from its free program
// (schedule.Free) and the reverse sweep adjoint.Reverse derives from it
// (adjoint.go): Model.reverse runs the reverse kernels, emitted by the
// code that emits the forward ones (so the forward temporaries they read
// stay stored, not locals of a chain), and Model.update the parameter
// changes (minus the gradient, then the apply or Adam kernel of the learn
// block). Run trains as vlec run does: windows of learn.window steps
// (Window); a window that starts at or after LearnAfter is a Sweep (the
// forward steps, storing each step's states, inputs and targets, then the
// reverse from the last step to the first, each step recomputed from its
// starting point), then the update; earlier windows are plain steps.
// Gradient and Loss give the last sweep's gradients and loss. The cost
// the command records and reports is beta times the free program's
// objective, as vlec run reports it. Both back ends give the same bits
// (lagline/adjoint.vle: 60,000 steps, byte-identical records).
//
// # Reduced records
//
// A record with mean(...) or sum(...) items writes its rows at the end of
// each interval, as vlec run does: the reduced items' values summed over
// the interval in float64 (divided by its length for a mean), the plain
// items taken at the row's step.
//
// # Tasks
//
// A model with a task (lang/SPEC.md, dataset and task) gets task.go, the
// interpreter's protocol (runtime/task.go, data.go, checkpoint.go and the
// task part of run.go) in the module, and its command runs the task as
// vlec run does: the epochs (the training split in batch rows, in an
// order shuffled from the seed and the epoch by math/rand/v2's PCG and
// Shuffle, as the interpreter draws it; the last partial batch filled from
// the start of the order and not counted; the test split on evaluation
// epochs, learning off), the loss and accuracy per split, the schedule's
// factor on every learning rate and the stopping rule, a line per epoch
// on stderr (the progress bar keeps the last epoch's headline),
// <model>.metrics.csv rewritten after every epoch, <model>.checkpoint.npz
// and <model>.params.npz after every checkpoint_every-th epoch and at the
// end, and the summary's task, from and resumed_from. The data set's
// arrays (.npz, .npy or CSV; DataPaths' <dataset>.x, .y, .test.x and
// .test.y) are read and checked by New as vlec run reads them, kept one
// row per sample, and copied into the data input and target at the start
// of every step (hold or stream, settle, one-hot classes); reset = true
// clears every state, temporary and message of the model and its
// teachers and runs the Init kernels before each sample.
//
// Generated learning follows the task: the learning kernels run while
// the step learns (not during a sample's settle steps nor an
// evaluation), and every learning rate (an apply's, Adam's, a change
// accumulated straight into a parameter, a synapse pass's) is multiplied
// by the schedule's factor at run time where the interpreter multiplies
// it, so a factor of 1 leaves every number as it was.
//
// Checkpoints are vlec's format (lang/SPEC.md, Tasks: metrics and
// checkpoints): the parameters by name, every buffer a step carries to the
// next as vlec/<i> by its number in the step program, Adam's step counts,
// the ou generators' PCG states, the teachers', and checkpoint.json with
// the task's state; vlec run --resume continues a generated run's
// checkpoint and the command's -resume (Model.Resume) vlec run's, each
// bit for bit as the unbroken run (the equivalence tests cross them both
// ways). The last step of every split stores every temporary
// (kernelsStoring), so that a checkpoint written after an epoch holds the
// interpreter's arrays, temporaries included, while every other step
// keeps the chains' locals. -from (LoadParams) takes the parameters of a
// checkpoint or any .npz, as vlec run --from does. -duration steps a task's
// model without its task (the training samples in order, learning on,
// what vlec bench times); vlec run --backend go refuses it, as vlec run
// does.
//
// The library: Epoch runs the next epoch and returns its metrics,
// RunTask the epochs left (a callback after each), TaskDone, TaskState
// (the epochs, the factor, the plateau counters, the metrics so far) and
// TaskSummary report, Evaluate presents a split with learning off,
// SaveCheckpoint, SaveParams, Resume and LoadParams read and write vlec's
// files, MetricsCSV the metrics file; the constants Epochs, TrainBatches,
// SampleSteps, ... give the task's shape. The equivalence tests run
// examples/mnist1d (shortened by overrides) and testdata's task_hold and
// task_stream, which take every branch of task.go, and compare metrics,
// records, checkpoints and summaries with the interpreter's.
//
// # Not supported yet
//
// Refused with a positioned error naming the construct, so that nothing
// is generated that would not compile or would compute something else:
// an ou noise where the interpreter evaluates it lazily (above), weights
// read from an .npz archive, and a teacher model with a data set of its
// own.
//
// # Precision float32
//
// Under sim precision = float32 (schedule.Program.Float32) every buffer is
// a []float32 ([n]float32) and the code computes what the interpreter
// computes: each stored value in float64 from the float32 values read,
// rounded once when stored. The chains widen their loads (float64(v3[i]))
// and round their stores (float32(...)), their locals rounded as the
// interpreter rounds the temporaries it stores; a sum over a batch or a
// matrix (W^T x, the rank-one updates and means over the batch, softmax,
// the GEMMs over widened copies) runs in the model's float64 scratch
// (Model.wide) and is rounded at its end. The synapse passes are the
// exception: they call kern.Synapse32, which computes in float32 (16
// lanes per AVX-512 vector, float32 fused multiply-adds; the
// interpreter's kern.Synapse32Wide runs the same arithmetic, so the bits
// agree). A vector activation widens X into the scratch, runs the
// vector kernel there, and stores f and the derivative placed after it
// from the unrounded values (from the stored, rounded f the derivative
// would not be the interpreter's number). Teachers keep their own
// precision; values crossing between programs of different precision
// are converted (convert). Records write the float32 values as float64.
package golang
