// Package sweep runs a model many times — over a grid of settings and
// seeds — on the local cores or as a Slurm job array, and tabulates the
// runs: the engine of vlec sweep.
//
// # Runs
//
// A grid is a list of axes, each a setting name and its values
// (ParseAxis reads --grid lr=0.01,0.1; ParseSeeds reads --seeds). Expand
// gives their cartesian product in a stable order, the first axis
// varying slowest. Every combination is one run of
//
//	vlec run MODEL --set NAME=VALUE ... --seed N FIXED... -o DIR/runs/NAME -q
//
// (the axis named seed becomes --seed, every other --set), in a
// directory named by its settings (DirName: lr=0.01_method=le_seed=3,
// unsafe bytes escaped). The run is a separate vlec process, so a local
// run and a Slurm task execute the same command and write the same
// numbers. A sweep of a simulator that vlec build made (Manifest.Sim)
// runs it with the same arguments but "run MODEL".
//
// # Manifest
//
// DIR/sweep.json (Manifest) holds the model and the vlec binary as
// absolute paths, the fixed arguments, the grid and every run with its
// id, settings, directory and arguments. It is written atomically before
// any run starts. A run's id never changes: a Slurm task's array index
// is its run's id, and a sweep given more values later (Merge) keeps the
// old runs' ids and adds new ones.
//
// # Execution and results
//
// Execute runs one run: it empties the run's directory, runs vlec
// (marking the directory with RUNDIR/.running meanwhile), and records
// the exit status in RUNDIR/run.json and, when the run fails, the end of
// its standard error in RUNDIR/stderr.txt. Local runs a list of runs in
// a bounded pool of workers; cancelling its context stops starting runs
// and sends those running SIGTERM, on which a vlec run stops after its
// step and writes its summary. Inspect reads a run's directory back: ok
// (a summary that says completed, exit status 0), failed, or missing. A
// sweep run again skips the runs that are ok. Lock keeps a second vlec
// sweep process out of a directory one is working in.
//
// Collect inspects every run into a Table, whose WriteResults writes
// results.csv (a row per run; numbers as the summaries wrote them, so
// two sweeps that computed the same compare equal as text), and whose
// Aggregate gives the mean and the sample standard deviation of every
// number per combination of the settings other than the seed
// (summary.csv and the printed table).
//
// # Slurm
//
// Submit writes DIR/sweep.sbatch — a job array with a task per run,
// --array=0-11 or, for a resubmission, only the ids still to run
// (3,7,9-11), optionally at most N at a time (%N) — each task running
// vlec sweep run-task DIR ID (or, for a simulator, the run's command
// from the script itself, so that the nodes need no vlec), and submits
// it with sbatch --parsable. Run ids past the cluster's MaxArraySize go
// in several arrays, each with an offset from array index to run id.
// Only a submission Slurm accepted is recorded in DIR/slurm.json (job
// id, task ids, offset). States combines the run directories with
// squeue (pending, running) and, where accounting is on, sacct (why a
// task that left no result ended).
package sweep
