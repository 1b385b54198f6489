//go:build !unix

package sweep

// Lock does nothing where flock is missing: two sweeps of the same
// directory must not run at once.
func Lock(dir string) (unlock func(), err error) { return func() {}, nil }

// Busy reports no holder where flock is missing.
func Busy(dir string) (string, bool) { return "", false }
