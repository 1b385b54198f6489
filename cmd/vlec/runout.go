package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/vlec-dev/vlec/lang/check"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/runtime"
)

// Exit codes of vlec run (lang/SPEC.md, Outputs).
const (
	exitBadInput    = 1   // bad input, or a write that failed
	exitNonFinite   = 3   // a NaN or infinite value stopped the run
	exitInterrupted = 130 // Ctrl-C (SIGINT) or SIGTERM
)

// loadRun compiles the model at path for a run, printing positioned
// errors, or else the model's warnings; it returns the sources read, for
// the summary's hashes and for positioned runtime errors.
func loadRun(stderr io.Writer, path string, opts vlec.Options) (*schedule.Program, lang.Sources, error) {
	c, sources, err := vlec.Compile(path, opts)
	if err != nil {
		fmt.Fprint(stderr, sources.Format(err))
		return nil, sources, exitError{exitBadInput}
	}
	fmt.Fprint(stderr, formatWarnings(sources, c.Model.Warnings))
	return c.Program, sources, nil
}

// runDir is the default output directory of a run of model started at
// now: runs/<model>-<YYYYmmdd-HHMMSS> under the working directory.
func runDir(model string, now time.Time) string {
	return filepath.Join("runs", model+"-"+now.Format("20060102-150405"))
}

// interruptible returns a context cancelled by the first Ctrl-C or
// SIGTERM; after it, the signals are the default again, so a second
// Ctrl-C ends the process at once.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// printError prints an error of a run: with the source line and a caret
// when it comes from a place in the source, else as `vlec: message`.
func printError(stderr io.Writer, sources lang.Sources, err error) {
	for _, d := range lang.Diagnostics(err) {
		if d.Pos.IsValid() {
			fmt.Fprint(stderr, sources.Format(err))
			return
		}
	}
	fmt.Fprintln(stderr, "vlec:", err)
}

// runResult reports a run (sum is nil when it did not start) and turns
// its error into the exit status: 3 for a non-finite value, 130 for an
// interruption, 1 for anything else.
func runResult(stdout, stderr io.Writer, sources lang.Sources, sum *runtime.Summary, err error) error {
	if sum == nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "vlec: interrupted while setting the model up; nothing was written")
			return exitError{exitInterrupted}
		}
		printError(stderr, sources, err)
		return exitError{exitBadInput}
	}
	if rerr := report(stdout, sum); rerr != nil {
		fmt.Fprintf(stderr, "vlec: writing the report: %v\n", rerr)
		if err == nil {
			return exitError{exitBadInput}
		}
	}
	var nf *runtime.NonFiniteError
	var ng *runtime.NonFiniteGradientError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf), errors.As(err, &ng):
		fmt.Fprintf(stderr, "vlec: run stopped: %v\n", err)
		return exitError{exitNonFinite}
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "vlec: interrupted after %d of %d steps; the data so far is kept\n", sum.Steps, sum.Planned)
		return exitError{exitInterrupted}
	}
	printError(stderr, sources, err)
	return exitError{exitBadInput}
}

// report prints the short result of a run; its error is that of the
// first write that failed.
func report(w io.Writer, s *runtime.Summary) error {
	var werr error
	printf := func(format string, args ...any) {
		if werr == nil {
			_, werr = fmt.Fprintf(w, format, args...)
		}
	}
	if r := s.ResumedFrom; r != nil {
		printf("%s: resumed from %s at step %d", s.Model, r.Path, r.Step)
		if r.Epoch > 0 {
			printf(" (after epoch %d)", r.Epoch)
		}
		printf("\n")
	}
	printf("%s: %d steps (%ss simulated) in %.3gs, %.0f steps/s\n", s.Model, s.Steps,
		runtime.FormatTime(s.Steps, float64(s.Dt)), float64(s.WallSeconds), float64(s.StepsPerSecond))
	switch {
	case s.CostStart != nil:
		printf("cost: %.6g over the first 10%% of learning, %.6g over the last 10%%\n", float64(*s.CostStart), float64(*s.CostEnd))
	case s.LearnAfter >= s.Planned:
		printf("no learning (learning would start at step %d; the run has %d steps)\n", s.LearnAfter, s.Planned)
	case s.Steps > 0 && s.Steps <= s.LearnAfter:
		printf("no learning yet (the run stopped before step %d, where learning starts)\n", s.LearnAfter)
	}
	if t := s.Task; t != nil {
		line := fmt.Sprintf("task: %d of %d epochs", t.Epochs, t.Planned)
		if t.Final != nil {
			line += "; last: " + strings.TrimSpace(t.Final.Line(t.Planned)[len(fmt.Sprintf("epoch %d/%d", t.Final.Epoch, t.Planned)):])
		}
		printf("%s\n", strings.TrimSpace(strings.ReplaceAll(line, "  ", " ")))
		if t.Best != nil {
			printf("best %s: %.6g at epoch %d\n", t.BestBy, t.Best.Metric(check.Metric(t.BestBy)), t.Best.Epoch)
		}
		if t.Stop != "" {
			printf("stopped early: %s\n", t.Stop)
		}
	}
	if len(s.Files) > 0 {
		paths := make([]string, len(s.Files))
		for i, f := range s.Files {
			paths[i] = filepath.Join(s.Dir, f)
		}
		printf("wrote %s\n", strings.Join(paths, ", "))
	}
	return werr
}
