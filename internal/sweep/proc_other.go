//go:build !unix

package sweep

import (
	"os"
	"os/exec"
)

// setProcess keeps the default: cancelling kills the run.
func setProcess(cmd *exec.Cmd) {}

// exitCode is the exit status of a finished process.
func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }

// alive cannot tell here.
func alive(pid int) bool { return false }
