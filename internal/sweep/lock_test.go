//go:build unix

package sweep

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	pid := "pid " + strconv.Itoa(os.Getpid())
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "another vlec sweep is working in") || !strings.Contains(err.Error(), pid) {
		t.Errorf("a second lock: %v", err)
	}
	if who, ok := Busy(dir); !ok || !strings.Contains(who, pid) {
		t.Errorf("Busy while locked = %q, %v", who, ok)
	}
	unlock()
	if who, ok := Busy(dir); ok {
		t.Errorf("Busy after unlock = %q", who)
	}
	unlock, err = Lock(dir)
	if err != nil {
		t.Fatalf("locking again after unlock: %v", err)
	}
	unlock()
	if _, ok := Busy(t.TempDir()); ok {
		t.Error("a directory without a lock file is busy")
	}
}
