package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/internal/sweep"
)

// queuedRuns gives the runs of a sweep once submitted to Slurm that are
// still waiting or running there, which a local sweep must leave alone.
func queuedRuns(cmd *cobra.Command, dir string, m *sweep.Manifest) (map[int]bool, error) {
	rec, err := sweep.LoadSlurm(dir)
	if err != nil || len(rec.Submissions) == 0 {
		return nil, err
	}
	states, note, err := sweep.States(cmd.Context(), dir, m)
	if err != nil {
		return nil, err
	}
	if note != "" {
		return nil, fmt.Errorf("%s: not running here until it can be (a run still queued would run twice)", note)
	}
	queued := map[int]bool{}
	for _, s := range states {
		if s.State == sweep.Pending || s.State == sweep.Running {
			queued[s.Run.ID] = true
		}
	}
	return queued, nil
}

// submitSweep submits the runs that are neither done nor in Slurm's
// queue as one job array.
func submitSweep(cmd *cobra.Command, dir string, m *sweep.Manifest, runs []sweep.Run, opt sweep.SlurmOptions) error {
	stdout := cmd.OutOrStdout()
	states, note, err := sweep.States(cmd.Context(), dir, m)
	if err != nil {
		return err
	}
	if note != "" {
		return fmt.Errorf("%s: not submitting until it can be (a run still queued would run twice)", note)
	}
	state := map[int]string{}
	for _, s := range states {
		state[s.Run.ID] = s.State
	}
	var ids []int
	skipped := map[string]int{}
	for _, r := range runs {
		switch st := state[r.ID]; st {
		case sweep.Done, sweep.Pending, sweep.Running:
			skipped[st]++
		default:
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(stdout, "nothing to submit: of %d runs, %d done, %d pending, %d running; see vlec sweep status %s\n", len(runs), skipped[sweep.Done], skipped[sweep.Pending], skipped[sweep.Running], dir)
		return nil
	}
	subs, err := sweep.Submit(cmd.Context(), dir, m, ids, opt)
	for _, sub := range subs {
		fmt.Fprintf(stdout, "submitted job %s: %d runs (array %s)\n", sub.JobID, len(sub.Tasks), sub.Array)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "follow with vlec sweep status %s; tabulate with vlec sweep collect %s\n", dir, dir)
	return nil
}

func newSweepStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status DIR",
		Short: "Where each run of a sweep stands: done, failed, pending, running or missing",
		Long: `status prints a line per run of the sweep in DIR: its id, its settings,
its state and, for a submitted run, its Slurm task (JOB_ID). A run is done
or failed as its directory says (its summary and exit status); a run
Slurm still holds is pending or running as squeue says, one that a
vlec sweep runs on this machine is running; a submitted run
that left the queue without a result is failed when sacct knows why
(TIMEOUT, OUT_OF_MEMORY, CANCELLED), else missing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := sweep.Load(args[0])
			if err != nil {
				return err
			}
			states, note, err := sweep.States(cmd.Context(), args[0], m)
			if err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "vlec sweep: %s: the states are those of the run directories\n", note)
			}
			noteBusy(cmd.ErrOrStderr(), args[0], "")
			return printStates(cmd.OutOrStdout(), m, states)
		},
	}
}

// printStates prints the table of vlec sweep status and a count.
func printStates(w io.Writer, m *sweep.Manifest, states []sweep.RunState) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"id"}
	for _, a := range m.Grid {
		head = append(head, a.Name)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "state", "job", "message"), "\t"))
	count := map[string]int{}
	for _, s := range states {
		row := []string{strconv.Itoa(s.Run.ID)}
		for _, x := range s.Run.Settings {
			row = append(row, x.Value)
		}
		job := s.Job
		if job == "" {
			job = "-"
		}
		fmt.Fprintln(tw, strings.Join(append(row, s.State, job, s.Message), "\t"))
		count[s.State]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range []string{sweep.Done, sweep.Failed, sweep.Running, sweep.Pending, sweep.Missing} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	_, err := fmt.Fprintf(w, "%d runs: %s\n", len(states), strings.Join(parts, ", "))
	return err
}

// noteBusy says so when a vlec sweep process is working in dir, and
// what that means (for the tables: its runs in progress count as
// missing until they end).
func noteBusy(stderr io.Writer, dir, meaning string) {
	if who, ok := sweep.Busy(dir); ok {
		fmt.Fprintf(stderr, "vlec sweep: %s is working in %s%s\n", who, dir, meaning)
	}
}

func newSweepCollectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "collect DIR",
		Short: "Write a sweep's results.csv and summary.csv from its run directories",
		Long: `collect reads the run directories of the sweep in DIR and writes
DIR/results.csv and DIR/summary.csv as vlec sweep does at its end, and
prints the table of means: for a sweep run by Slurm, or to look at one
that is still running (runs not finished are missing).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := sweep.Load(args[0])
			if err != nil {
				return err
			}
			noteBusy(cmd.ErrOrStderr(), args[0], ": its runs in progress count as missing until they end")
			return writeSweepTables(cmd.OutOrStdout(), args[0], sweep.Collect(args[0], m))
		},
	}
}

func newSweepRunTaskCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "run-task DIR ID",
		Short:  "Run one run of a sweep (what a Slurm task executes)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("run-task: run id %q is not a number", args[1])
			}
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			m, err := sweep.Load(dir)
			if err != nil {
				return err
			}
			r, ok := m.Run(id)
			if !ok {
				return fmt.Errorf("run-task: %s has no run %d", filepath.Join(dir, sweep.ManifestFile), id)
			}
			// The run gets Slurm's SIGTERM (or a terminal's Ctrl-C) itself;
			// this process outlives it to record its exit.
			signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
			ex, err := sweep.Execute(context.Background(), dir, m, r, sweep.ExecOptions{})
			if err != nil {
				return err
			}
			res := sweep.Inspect(dir, r)
			fmt.Fprintf(cmd.ErrOrStderr(), "vlec sweep: run %d (%s): %s\n", id, r.Settings, describeResult(dir, r, res))
			if ex.Code != 0 {
				return exitError{max(1, ex.Code)}
			}
			return nil
		},
	}
}
