package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts in testdata/script run vlec as a command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"vlec": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end CLI scripts: exit codes, output and
// files, as a user sees them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Condition: scriptCondition, Setup: goCacheSetup, Cmds: scriptCmds})
}

// scriptCondition adds [root] to the scripts' conditions: root may write
// into directories without write permission, so such cases skip.
func scriptCondition(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
