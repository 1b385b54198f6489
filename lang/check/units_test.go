package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// timeModel is a model whose duration is %s, with dt = 1ms.
const timeModel = `model m
import "std/gle"
sim { dt = 1ms; duration = %s }
input x[1] = 0
population y[1] : gle()
connect x -> y W = [[1]]
energy { mismatch(y) }
`

// TestParseTime checks the command line's time parser against the
// language: every input is parsed by check.ParseTime and written as a sim
// block's duration, and both must accept it with the same value, or both
// refuse it; where the refusal is about the number itself (its unit, its
// range) or its steps, the message is the same.
func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in    string
		secs  float64 // when accepted with a whole number of steps
		steps string  // the steps error, when the time is read but not a whole number of steps
		err   string  // ParseTime's error; the file's error must hold it if same
		same  bool    // the file reports the same message
	}{
		{in: "5s", secs: 5},
		{in: "100ms", secs: 0.1},
		{in: "1.5e3ms", secs: 1.5},
		{in: "2.5E+2ms", secs: 0.25},
		{in: ".5s", secs: 0.5},
		{in: "2min", secs: 120},
		{in: "30", secs: 30},
		{in: "1000000ns", secs: 1e-3},
		{in: "3000us", secs: 3e-3},
		{in: "0.3", secs: 0.3},
		{in: "1.0005s", steps: "duration 1.0005s is not a whole number of steps of dt = 0.001s"},
		{in: "0.5ms", steps: "duration 0.0005s is not a whole number of steps of dt = 0.001s"},
		{in: "0s", steps: "duration must be positive, got 0s"},
		{in: "-5s", steps: "duration must be positive, got -5s"},
		{in: "2m", err: `unknown unit "m" in 2m; units are ns, us, ms, s, min, Hz, kHz`, same: true},
		{in: "1h", err: `unknown unit "h" in 1h`, same: true},
		{in: "5sec", err: `unknown unit "sec" in 5sec`, same: true},
		{in: "1e400s", err: "number 1e400s is out of range", same: true},
		{in: "5Hz", err: "5Hz is a frequency, not a time"},
		{in: "1kHz", err: "1kHz is a frequency, not a time"},
		{in: "5 s", err: `"5 s" is not a time`},
		{in: "2 * 5s", secs: 10},
		{in: "1s + 500ms", secs: 1.5},
		{in: "tau", err: "undefined: tau", same: true},
		{in: "1ms * 1ms", err: "a quantity in s^2, not a time"},
		{in: "1s + 1Hz", err: "unit mismatch: a time plus a frequency", same: true},
		{in: "", err: `"" is not a time`},
		{in: "1e308min", err: "1e308min is not a finite time"},
		{in: "5s; dt = 1ms", err: `"5s; dt = 1ms" is not a time`},
	} {
		got, err := check.ParseTime(tc.in)
		fileErr := fileDurationError(t, tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTime(%q) = %g, %v; want an error containing %q", tc.in, got, err, tc.err)
			}
			if fileErr == "" || tc.same && !strings.Contains(fileErr, tc.err) {
				t.Errorf("duration = %s in a file: got %q, want the error %q", tc.in, fileErr, tc.err)
			}
		case err != nil:
			t.Errorf("ParseTime(%q): %v", tc.in, err)
		default:
			_, serr := check.TimeSteps("duration", got, 1e-3)
			switch {
			case tc.steps == "" && (serr != nil || !near(got, tc.secs)):
				t.Errorf("ParseTime(%q) = %g, %v; want %g", tc.in, got, serr, tc.secs)
			case tc.steps != "" && (serr == nil || serr.Error() != tc.steps):
				t.Errorf("TimeSteps(%q): %v; want %q", tc.in, serr, tc.steps)
			}
			if !strings.Contains(fileErr, tc.steps) || (tc.steps == "") != (fileErr == "") {
				t.Errorf("duration = %s in a file: got %q, want %q", tc.in, fileErr, tc.steps)
			}
		}
	}
}

func near(a, b float64) bool { return a == b || (a-b)/b < 1e-12 && (b-a)/b < 1e-12 }

// fileDurationError checks timeModel with the given duration and returns
// its errors, or "" when it checks clean.
func fileDurationError(t *testing.T, duration string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(strings.Replace(timeModel, "%s", duration, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := check.Load(path)
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestTimeSteps checks the whole-number-of-steps rule the command line
// shares with a sim block: decimal rounding is forgiven, a fraction of a
// step is not.
func TestTimeSteps(t *testing.T) {
	for _, tc := range []struct {
		t, dt float64
		steps int
		err   string
	}{
		{t: 0.3, dt: 0.1, steps: 3},
		{t: 1, dt: 1e-3, steps: 1000},
		{t: 30, dt: 0.01, steps: 3000},
		{t: 1e-3, dt: 1e-3, steps: 1},
		{t: 1.5e-3, dt: 1e-3, err: "--window 0.0015s is not a whole number of steps of dt = 0.001s"},
		{t: 1.0005, dt: 1e-3, err: "not a whole number of steps"},
		{t: 0, dt: 1e-3, err: "--window must be positive, got 0s"},
		{t: 1e300, dt: 1e-3, err: "more than can be counted"},
	} {
		n, err := check.TimeSteps("--window", tc.t, tc.dt)
		switch {
		case tc.err == "" && (err != nil || n != tc.steps):
			t.Errorf("TimeSteps(%g, %g) = %d, %v; want %d", tc.t, tc.dt, n, err, tc.steps)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("TimeSteps(%g, %g) = %d, %v; want an error containing %q", tc.t, tc.dt, n, err, tc.err)
		}
	}
}
