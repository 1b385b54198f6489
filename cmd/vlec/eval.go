package main

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/runtime"
)

func newEvalCmd() *cobra.Command {
	var (
		from      string
		split     string
		seed      uint64
		precision string
		sets      []string
	)
	cmd := &cobra.Command{
		Use:   "eval FILE",
		Short: "Evaluate a task's model without learning: loss and accuracy on its data set",
		Long: `eval presents the test split of the model's task data set (or the training
split, --split train, or both) to the model with learning off, starting
from rest, and prints the loss (the model's cost per step, averaged over
each sample's steps and over the samples) and the accuracy (the task's
predict rule), as a task's evaluation after an epoch computes them. The
parameters are the model's own, or those of a checkpoint or any .npz of
named arrays (--from run/MODEL.checkpoint.npz). Nothing is written.`,
		Example: "  vlec eval examples/mnist1d/mnist1d.vle --from examples/mnist1d/best.checkpoint.npz",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if split != "test" && split != "train" && split != "both" {
				return fmt.Errorf("--split %s: one of test, train, both", split)
			}
			copts, err := compileOptions(precision, sets)
			if err != nil {
				return err
			}
			prog, sources, err := loadRun(cmd.ErrOrStderr(), args[0], copts)
			if err != nil {
				return err
			}
			opts := runtime.EvalOptions{From: from, Split: split}
			if cmd.Flags().Changed("seed") {
				opts.Seed, opts.SeedSet = seed, true
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			res, err := runtime.Evaluate(ctx, prog, opts)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return exitError{exitInterrupted}
				}
				var nf *runtime.NonFiniteError
				if errors.As(err, &nf) {
					fmt.Fprintf(cmd.ErrOrStderr(), "vlec: evaluation stopped: %v\n", err)
					return exitError{exitNonFinite}
				}
				printError(cmd.ErrOrStderr(), sources, err)
				return exitError{exitBadInput}
			}
			w := cmd.OutOrStdout()
			if from != "" {
				fmt.Fprintf(w, "%s: parameters from %s (%d arrays)\n", prog.Model.Name, from, len(res.Params))
			}
			m := res.Metrics
			for _, row := range []struct {
				name      string
				loss, acc runtime.Float
			}{{"train", m.TrainLoss, m.TrainAccuracy}, {"test", m.TestLoss, m.TestAccuracy}} {
				if math.IsNaN(float64(row.loss)) {
					continue
				}
				line := fmt.Sprintf("%s: %s loss %.6g", prog.Model.Name, row.name, float64(row.loss))
				if !math.IsNaN(float64(row.acc)) {
					line += fmt.Sprintf(", accuracy %.4f", float64(row.acc))
				}
				fmt.Fprintln(w, line)
			}
			fmt.Fprintf(w, "%d steps in %.3gs\n", res.Steps, float64(m.WallSeconds))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the parameters: a checkpoint (MODEL.checkpoint.npz) or an .npz of named arrays (W1, h.tau_m, ...)")
	cmd.Flags().StringVar(&split, "split", "test", "the split to evaluate: test, train or both")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed instead of the model's")
	precisionFlag(cmd, &precision)
	setFlag(cmd, &sets)
	return cmd
}
