//go:build !unix

package main

import (
	"os"
	"syscall"
)

// forwardedSignals are caught while a generated simulator runs: the
// console delivers Ctrl-C to it directly.
var forwardedSignals = []os.Signal{os.Interrupt}

// childAttr leaves a generated simulator in vlec's console.
func childAttr() *syscall.SysProcAttr { return nil }

// forwardSignal does nothing: the simulator received the signal itself.
func forwardSignal(p *os.Process, s os.Signal) {}

// exitStatus is the exit code of a finished process.
func exitStatus(ps *os.ProcessState) int {
	if c := ps.ExitCode(); c >= 0 {
		return c
	}
	return exitBadInput
}
