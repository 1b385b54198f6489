//go:build unix

package sweep

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcess puts a run into a process group of its own, so that a
// Ctrl-C at the terminal reaches it once, as the SIGTERM the sweep sends
// when its context is cancelled, and not also directly (a vlec run takes
// a second signal as the order to end at once, losing its summary).
func setProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
}

// exitCode is the exit status of a finished process as a shell gives
// it: its exit code, or 128 plus the signal that ended it.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// alive reports whether a process pid exists.
func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}
