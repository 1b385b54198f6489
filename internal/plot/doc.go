// Package plot draws what vlec run recorded: the figures of vlec plot
// and vlec run --plot.
//
// # Reading
//
// OpenRun reads a run directory: its summary (<model>.summary.json),
// the headers of its recordings (the CSV, .npy and .npz files of its
// record declarations, lang/SPEC.md "Outputs") and a task's metrics
// (<model>.metrics.csv). Recording.Scan then streams the rows of one file
// once, one row in memory at a time; an .npz file's arrays are read in
// lockstep, one row of each.
//
// # Decimation
//
// A recording can hold millions of rows, far more than a figure has
// pixel columns. Each series goes through a Decimator, which keeps, per
// interval of x about a pixel column wide, the smallest and the largest
// value and where they occur (min/max decimation: the line drawn through
// them covers every value the full series takes in that column, so no
// spike is lost), and their sum for running means. The intervals start
// at the samples' spacing and double in width, merging neighbours,
// whenever there would be more than twice as many as pixel columns, so
// neither the length nor the range of a recording needs to be known in
// advance, and the memory per series is bounded.
//
// # Figures
//
// Figure groups the columns into panels by kind, read from their names
// (and the model's, when given as Names): the stimulus; the target
// (dashed) against the output it is compared with (T.y.r and y.r); per
// population its membrane potentials and rates, and its errors;
// weights; biases; time constants; params; the cost and the energy with
// its terms, each a running mean over a fiftieth of the time shown
// drawn over its faded min/max envelope, on a log scale when the values
// span two decades or more; the loss and the accuracy per epoch. It
// lays them out in one column with their legends to the right, and
// writes PNG, SVG or PDF with gonum.org/v1/plot, to a temporary file
// renamed into place. Several runs are overlaid, a colour per run
// (vlec plot --compare).
package plot
