package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// goRunFlags are the flags of vlec run that the generated simulator's
// command takes too.
var goRunFlags = map[string]bool{"backend": true, "out": true, "duration": true, "seed": true, "quiet": true, "precision": true, "plot": true, "set": true,
	"resume": true, "from": true}

// runGoBackend is vlec run --backend go: the model's generated simulator,
// compiled once into the cache, run with vlec run's flags translated,
// its output passed through and its exit status returned.
func runGoBackend(cmd *cobra.Command, path string, opts vlec.Options) error {
	fs := cmd.Flags()
	if err := refuseInterpFlags(fs); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	prog, sources, err := loadRun(stderr, path, opts)
	if err != nil {
		return err
	}
	args, err := goRunArgs(fs, prog)
	if err != nil {
		return err
	}
	ctx, stop := interruptible(cmd.Context())
	bin, err := goSimulator(ctx, stderr, prog, sources)
	stop()
	if err != nil {
		return err
	}
	return runChild(cmd.OutOrStdout(), stderr, bin, args)
}

// refuseInterpFlags refuses the flags set that only the interpreter
// takes, naming them.
func refuseInterpFlags(fs *pflag.FlagSet) error {
	var bad []string
	fs.Visit(func(f *pflag.Flag) {
		if !goRunFlags[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s: not supported by --backend go (the generated simulator has no such option); use --backend interp", strings.Join(bad, ", "))
}

// goRunArgs translates vlec run's flags into the generated command's:
// -o, -duration (checked here, passed as a time in seconds; refused for a
// task, as vlec run refuses it), -seed, -q, and -resume and -from (a
// task's run; another model's command has neither). Without -o the
// command makes the default run directory itself, named as vlec run
// names it.
func goRunArgs(fs *pflag.FlagSet, prog *schedule.Program) ([]string, error) {
	var args []string
	task := prog.Model.Task
	for _, f := range []string{"resume", "from"} {
		if v, _ := fs.GetString(f); v != "" {
			if task == nil {
				return nil, fmt.Errorf("--%s: not supported by --backend go for a model without a task (the generated simulator has no such option); use --backend interp", f)
			}
			args = append(args, "-"+f+"="+v)
		}
	}
	if out, _ := fs.GetString("out"); out != "" {
		args = append(args, "-o="+out)
	}
	if d, _ := fs.GetString("duration"); d != "" {
		if task != nil {
			return nil, fmt.Errorf("--duration: model %s runs a task, whose epochs set its length (%s)", prog.Model.Name, task)
		}
		n, err := flagSteps("--duration", d, prog.Dt)
		if err != nil {
			return nil, err
		}
		args = append(args, "-duration="+runtime.FormatTime(n, prog.Dt)+"s")
	}
	if fs.Changed("seed") {
		seed, _ := fs.GetUint64("seed")
		args = append(args, "-seed="+strconv.FormatUint(seed, 10))
	}
	if q, _ := fs.GetBool("quiet"); q {
		args = append(args, "-q")
	}
	return args, nil
}

// runChild runs the simulator bin with args, passing its output through
// and forwarding SIGINT, SIGTERM and SIGHUP to it; its exit status
// becomes vlec's.
func runChild(stdout, stderr io.Writer, bin string, args []string) error {
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = stdout, stderr
	c.SysProcAttr = childAttr()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return fmt.Errorf("running the Go simulator %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case s := <-sigs:
			forwardSignal(c.Process, s)
		case err := <-done:
			return childResult(bin, err)
		}
	}
}

// childResult turns the error of a finished simulator into vlec's exit
// status; the simulator has printed its own messages.
func childResult(bin string, err error) error {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return exitError{exitStatus(ee.ProcessState)}
	}
	return fmt.Errorf("running the Go simulator %s: %v", bin, err)
}
