// Package testtool finds the external programs that some tests run
// (h5dump, python3 with h5py, ngspice): a test skips, saying what to
// install, when its program is missing, unless the environment variable
// that CI sets after installing it is 1, when a missing program is a
// failure.
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Need returns the path of the command name. With probe arguments the
// command must also run with them and exit 0 (python3 -c "import h5py"
// checks a module). When it is missing or the probe fails, the test
// skips with install as the remedy, or fails when the environment
// variable env is "1".
func Need(t testing.TB, env, install, name string, probe ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(probe) > 0 {
		err = exec.Command(path, probe...).Run()
	}
	if err != nil {
		what := strings.TrimSpace(name + " " + strings.Join(probe, " "))
		if os.Getenv(env) == "1" {
			t.Fatalf("%s: %v, but %s=1: %s", what, err, env, install)
		}
		t.Skipf("%s: %v: %s to run this test (%s=1 makes its absence a failure)", what, err, install, env)
	}
	return path
}
