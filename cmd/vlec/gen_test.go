package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/codegen/golang"
)

// TestBuild builds examples/chain2.vle into an executable and runs it.
func TestBuild(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil || testing.Short() {
		t.Skip("needs the go command (and no -short)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "chain2")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "../../examples/chain2.vle", "-o", bin}, &stdout, &stderr); code != 0 {
		t.Fatalf("vlec build: exit %d\n%s", code, stderr.String())
	}
	out, err := exec.Command(bin, "-duration", "0.5s", "-q", "-o", filepath.Join(dir, "run")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "chain2: 50 steps (0.5s simulated)") {
		t.Errorf("report: %s", out)
	}
	for _, f := range []string{"chain2.csv", "chain2.summary.json"} {
		if _, err := os.Stat(filepath.Join(dir, "run", f)); err != nil {
			t.Error(err)
		}
	}
}

// TestBuildNoGo: without the go command, build says what is missing and
// writes nothing.
func TestBuildNoGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	bin := filepath.Join(t.TempDir(), "sim")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "../../examples/chain2.vle", "-o", bin}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "the Go toolchain (the go command) is not on the PATH") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if _, err := os.Stat(bin); err == nil {
		t.Error("wrote the executable")
	}
}

// TestBuildFails: a failing go build is a generator bug, shown with the
// compiler's output and the directory of the generated files.
func TestBuildFails(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as the go command")
	}
	fake := filepath.Join(t.TempDir(), "go")
	script := "#!/bin/sh\necho './model.go:3:1: syntax error: unexpected }' >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	files := golang.Files{"go.mod": []byte("module m\n"), "model.go": []byte("package m\n")}
	err := buildGenerated(&stderr, fake, files, "./cmd/m", filepath.Join(t.TempDir(), "bin"))
	if ee, ok := err.(exitError); !ok || ee.code != 1 {
		t.Fatalf("error %v, want exit status 1", err)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "./model.go:3:1: syntax error") || !strings.Contains(msg, "internal error: go build failed on the generated code (kept in ") {
		t.Errorf("stderr: %s", msg)
	}
	i := strings.Index(msg, "kept in ")
	kept := strings.Fields(msg[i+len("kept in "):])[0]
	kept = strings.TrimSuffix(kept, ");")
	if _, err := os.Stat(filepath.Join(kept, "model.go")); err != nil {
		t.Errorf("generated files not kept: %v", err)
	}
	os.RemoveAll(kept)
}
