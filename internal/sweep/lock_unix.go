//go:build unix

package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Lock takes the sweep directory for this process (an exclusive flock
// of DIR/.lock, which holds the pid), so that two vlec sweep processes
// do not run the same runs at once. The lock goes with the process;
// unlock releases it earlier. Where the file system cannot lock (some
// network file systems), the sweep goes on unlocked.
func Lock(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another vlec sweep is working in %s%s: wait for it, or stop it", dir, holder(dir))
		}
		return func() {}, nil // no locks here: go on without
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Busy says whether another process holds the sweep directory's lock,
// and names it.
func Busy(dir string) (string, bool) {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return "", false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return "a vlec sweep" + holder(dir), true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return "", false
}

// holder gives " (pid N)" from the lock file, or "".
func holder(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, LockFile))
	if pid := strings.TrimSpace(string(data)); err == nil && pid != "" {
		return " (pid " + pid + ")"
	}
	return ""
}
