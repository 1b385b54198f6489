package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

func newGradcheckCmd() *cobra.Command {
	var (
		window  string
		from    string
		asJSON  bool
		entries int
		seed    uint64
		relStep float64
	)
	cmd := &cobra.Command{
		Use:   "gradcheck FILE --window T",
		Short: "Compare the local rules (le, gle) with the exact gradient; check it by finite differences",
		Long: `gradcheck computes the exact gradient of the objective over the first T seconds
(as vlec grad does; --from S: over [S, S+T], the state at S taken as given) and compares with it, for every plastic parameter, what
the local learning rules estimate over the same window:

  for le and gle, the model's own step program with that method runs with
  learning off, its learn phase computing the batch-mean update direction
  delta_k every step; the estimate is
      dL/dtheta ~ -(batch / beta) * sum_k dt * delta_k
  (beta: the nudging strength, the factor by which the energy weighs the
  task loss it marks with loss(...), 1 if it marks none; batch because the
  objective sums over the batch where delta averages).

Both sides are gradients of one objective, the cost (the energy's terms
without a mismatch) divided by beta: the task loss plus the regularisers
over beta.

It prints per parameter the cosine similarity and the norm ratio
|estimate| / |exact| (1 and 1: the rule follows the exact gradient), and a
central finite-difference check of the exact gradient on --entries random
entries (relative step 1e-6 of max(|theta|, 0.1), seeded by --seed): the worst relative error.

Note that le and gle run the model's own dynamics, nudged by the errors
when gamma > 0, while the exact gradient is that of the free dynamics
(gamma = 0). A readable table by default, JSON with --json.`,
		Example: "  vlec gradcheck examples/chain2.vle --window 3s\n  vlec gradcheck examples/mlp.vle --window 3s --json --entries 20",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			fwd, rev, err := loadFree(stderr, args[0])
			if err != nil {
				return err
			}
			if err := checkFDFlags(entries, relStep); err != nil {
				return err
			}
			K, err := windowSteps(fwd, window)
			if err != nil {
				return err
			}
			start := 0
			if from != "" {
				if start, err = flagStart("--from", from, fwd.Dt); err != nil {
					return err
				}
				if start+K > fwd.Steps {
					return fmt.Errorf("--from %s --window %s ends after the run of model %s (%ss)", from, window, fwd.Model.Name, runtime.FormatTime(fwd.Steps, fwd.Dt))
				}
			}
			names := runtime.Plastic(fwd)
			if len(names) == 0 {
				return fmt.Errorf("model %s has nothing plastic: the local rules change no parameter to compare", fwd.Model.Name)
			}
			opts := runtime.Options{}
			sw, err := runtime.ExactGradient(fwd, rev, start, K, false, opts)
			if err != nil {
				return nonFinite(stderr, err)
			}
			defer sw.Sim().Close()
			if err := dependsOnSome(fwd, sw, names); err != nil {
				return err
			}
			rep := gradcheckReport{Model: fwd.Model.Name, From: runtime.StepTime(start, fwd.Dt), Steps: K, Window: runtime.StepTime(K, fwd.Dt), Loss: sw.Loss()}
			local := map[check.Method]map[string][]float64{}
			for _, method := range []check.Method{check.LE, check.GLE} {
				prog, err := localProgram(stderr, args[0], method)
				if err != nil {
					return err
				}
				est, err := runtime.LocalGradient(prog, start, K, opts)
				if err != nil {
					return nonFinite(stderr, fmt.Errorf("method %s: %w", method, err))
				}
				local[method] = est
			}
			var allExact, allLE, allGLE []float64
			for _, n := range names {
				g := sw.Grad(n)
				row := groupRow{Param: n, Entries: len(g), Norm: norm(g)}
				le, gle := local[check.LE][n], local[check.GLE][n]
				if le == nil || gle == nil {
					return fmt.Errorf("the learn phase of model %s does not change %s", fwd.Model.Name, n)
				}
				row.LE, row.GLE = runtime.Align(le, g), runtime.Align(gle, g)
				rep.Groups = append(rep.Groups, row)
				allExact, allLE, allGLE = append(allExact, g...), append(allLE, le...), append(allGLE, gle...)
			}
			rep.All = groupRow{Param: "all", Entries: len(allExact), Norm: norm(allExact),
				LE: runtime.Align(allLE, allExact), GLE: runtime.Align(allGLE, allExact)}
			fd, err := runtime.FiniteDifferences(fwd, sw, names, start, K, opts, runtime.FDOptions{Entries: entries, Seed: seed, RelStep: relStep})
			if err != nil {
				return nonFinite(stderr, err)
			}
			rep.FD.Checks, rep.FD.RelStep, rep.FD.Seed = fd, relStep, seed
			for _, c := range fd {
				rep.FD.Worst = math.Max(rep.FD.Worst, c.RelErr)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				data, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", data)
				return nil
			}
			rep.table(out)
			return nil
		},
	}
	cmd.Flags().StringVar(&window, "window", "", "the window: simulated time from the start (e.g. 3s); required")
	cmd.Flags().StringVar(&from, "from", "", "start the window here instead of at 0, a whole number of steps (e.g. 5s): the run before it is not differentiated")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&entries, "entries", 8, "random gradient entries to check by finite differences")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the random choice of entries")
	cmd.Flags().Float64Var(&relStep, "rel-step", 1e-6, "relative step of the finite differences (positive)")
	return cmd
}

// checkFDFlags refuses finite-difference settings that would not be used
// as printed: a negative number of entries, a relative step that is not a
// positive finite number.
func checkFDFlags(entries int, relStep float64) error {
	if entries < 0 {
		return fmt.Errorf("--entries %d: give a number of entries >= 0", entries)
	}
	if !(relStep > 0) || math.IsInf(relStep, 0) {
		return fmt.Errorf("--rel-step %g: give a positive relative step, such as 1e-6", relStep)
	}
	return nil
}

// localProgram schedules the model's dynamics with the given
// credit-assignment method.
func localProgram(stderr io.Writer, path string, method check.Method) (*schedule.Program, error) {
	c, err := compile(stderr, path, vlec.Options{Method: method})
	if err != nil {
		return nil, err
	}
	return c.Program, nil
}

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

type groupRow struct {
	Param   string            `json:"param"`
	Entries int               `json:"entries"`
	Norm    float64           `json:"norm"` // of the exact gradient
	LE      runtime.Alignment `json:"le"`
	GLE     runtime.Alignment `json:"gle"`
}

type gradcheckReport struct {
	Model  string     `json:"model"`
	From   float64    `json:"from_s"`
	Steps  int        `json:"steps"`
	Window float64    `json:"window_s"`
	Loss   float64    `json:"loss"`
	Groups []groupRow `json:"groups"`
	All    groupRow   `json:"all"`
	FD     struct {
		RelStep float64           `json:"rel_step"`
		Seed    uint64            `json:"seed"`
		Worst   float64           `json:"worst_rel_err"`
		Checks  []runtime.FDCheck `json:"checks"`
	} `json:"finite_differences"`
}

func (r *gradcheckReport) table(w io.Writer) {
	fmt.Fprintf(w, "%s: window %gs (%d steps) from t = %gs, loss %.8g\n", r.Model, r.Window, r.Steps, r.From, r.Loss)
	fmt.Fprintf(w, "local rules against the exact gradient (cosine, |estimate|/|exact|):\n")
	fmt.Fprintf(w, "  %-14s %7s %12s %9s %9s %9s %9s\n", "parameter", "entries", "|exact|", "cos LE", "ratio LE", "cos GLE", "ratio GLE")
	for _, g := range append(r.Groups, r.All) {
		fmt.Fprintf(w, "  %-14s %7d %12.5g %9.4f %9.4g %9.4f %9.4g\n", g.Param, g.Entries, g.Norm, g.LE.Cosine, g.LE.NormRatio, g.GLE.Cosine, g.GLE.NormRatio)
	}
	fmt.Fprintf(w, "finite differences of the exact gradient (central, relative step %g, %d entries, seed %d):\n", r.FD.RelStep, len(r.FD.Checks), r.FD.Seed)
	for _, c := range r.FD.Checks {
		fmt.Fprintf(w, "  %-14s %-8s exact %17.10g  fd %17.10g  rel err %.2g\n", c.Param, c.Entry, c.Exact, c.FD, c.RelErr)
	}
	fmt.Fprintf(w, "  worst relative error %.2g\n", r.FD.Worst)
}
