package testtool

import (
	"os/exec"
	"testing"
)

// A command on the PATH is found; a missing one skips the test.
func TestNeed(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if got := Need(t, "VLEC_TESTTOOL_UNSET", "install sh", "sh", "-c", "exit 0"); got != sh {
		t.Errorf("Need(sh) = %q, want %q", got, sh)
	}
	t.Run("missing", func(t *testing.T) {
		Need(t, "VLEC_TESTTOOL_UNSET", "nothing to install", "vlec-no-such-command")
		t.Error("a missing command did not skip the test")
	})
	t.Run("probe fails", func(t *testing.T) {
		Need(t, "VLEC_TESTTOOL_UNSET", "nothing to install", "sh", "-c", "exit 1")
		t.Error("a failing probe did not skip the test")
	})
}
