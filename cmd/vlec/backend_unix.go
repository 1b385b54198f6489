//go:build unix

package main

import (
	"os"
	"syscall"
)

// forwardedSignals are passed on to a running generated simulator.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// childAttr puts a generated simulator into a process group of its own,
// so that a Ctrl-C at the terminal reaches it once, forwarded by vlec,
// and not also directly (which it would take for a second Ctrl-C).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// forwardSignal passes s on to the process p.
func forwardSignal(p *os.Process, s os.Signal) { p.Signal(s) }

// exitStatus is the exit status of a finished process as a shell gives
// it: its exit code, or 128 plus the signal that ended it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ps.ExitCode(); c >= 0 {
		return c
	}
	return exitBadInput
}
