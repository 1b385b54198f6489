package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
)

// The back ends of vlec run and vlec bench.
const (
	backendInterp = "interp" // the interpreter (runtime)
	backendGo     = "go"     // the generated Go simulator (codegen/golang)
	backendBoth   = "both"   // vlec bench: both, interleaved
)

// cacheEnv names the environment variable that overrides the directory
// of compiled Go simulators.
const cacheEnv = "VLEC_CACHE_DIR"

// staleBuild is the age after which a build directory left in the cache
// (by a build that was killed) is removed.
const staleBuild = time.Hour

// checkBackend refuses a --backend value that is not one of choices.
func checkBackend(value string, choices ...string) error {
	for _, c := range choices {
		if value == c {
			return nil
		}
	}
	return fmt.Errorf("--backend %q: choose one of %s", value, strings.Join(choices, ", "))
}

// loadQuiet compiles the model at path for a back end, printing
// positioned errors but not the model's warnings.
func loadQuiet(stderr io.Writer, path string, opts vlec.Options) (*schedule.Program, lang.Sources, error) {
	c, sources, err := vlec.Compile(path, opts)
	if err != nil {
		fmt.Fprint(stderr, sources.Format(err))
		return nil, sources, exitError{exitBadInput}
	}
	return c.Program, sources, nil
}

// goSimulator returns the path of prog's compiled Go simulator, from the
// cache or else generated and built into it. A model the generator
// refuses is reported at its place, with a hint to use the interpreter.
// Building, which takes a few seconds, is announced on stderr.
func goSimulator(ctx context.Context, stderr io.Writer, prog *schedule.Program, sources lang.Sources) (string, error) {
	files, err := golang.Generate(prog, sources)
	if err != nil {
		printError(stderr, sources, err)
		fmt.Fprintln(stderr, "vlec: the Go back end cannot run this model; --backend interp runs it")
		return "", exitError{exitBadInput}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("--backend go needs the Go toolchain (the go command), which is not on the PATH; install Go from https://go.dev/dl or use --backend interp")
	}
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("cache of Go simulators: %v (set %s to another directory)", err, cacheEnv)
	}
	toolchain, err := goEnv(goCmd, root)
	if err != nil {
		return "", err
	}
	key := cacheKey(files, toolchain)
	name := golang.PackageName(prog.Model.Name) + exeSuffix()
	bin := filepath.Join(root, key, name)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	fmt.Fprintf(stderr, "vlec: compiling the Go simulator of %s (once; cached in %s)\n", prog.Model.Name, filepath.Dir(bin))
	pkg := "./cmd/" + golang.PackageName(prog.Model.Name)
	if err := buildCached(ctx, stderr, goCmd, files, pkg, root, key, name); err != nil {
		return "", err
	}
	return bin, nil
}

// cacheRoot is the directory of compiled Go simulators: $VLEC_CACHE_DIR,
// or vlec/go in the user's cache directory.
func cacheRoot() (string, error) {
	if dir := os.Getenv(cacheEnv); dir != "" {
		return filepath.Abs(dir)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the Go simulators (%v); set %s", err, cacheEnv)
	}
	return filepath.Join(dir, "vlec", "go"), nil
}

// hostEnv makes go env and go build target the machine vlec runs on,
// whatever GOOS and GOARCH say: the simulator is run here.
func hostEnv() []string {
	return []string{"GOOS=" + goruntime.GOOS, "GOARCH=" + goruntime.GOARCH}
}

// goEnv returns what of the Go toolchain changes the compiled code: its
// version, the target, the amd64 level and the experiments. It runs in
// dir, away from any go.mod of the working directory.
func goEnv(goCmd, dir string) (string, error) {
	c := exec.Command(goCmd, "env", "GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOEXPERIMENT")
	c.Dir = dir
	c.Env = append(append(os.Environ(), goBuildEnv...), hostEnv()...)
	out, err := c.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%s env failed: %s", goCmd, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("running %s: %v", goCmd, err)
	}
	return string(out), nil
}

// cacheKey is the hex SHA-256 of the generated files (paths and
// contents, each length-prefixed) and the toolchain's description.
func cacheKey(files golang.Files, toolchain string) string {
	h := sha256.New()
	field := func(b []byte) {
		binary.Write(h, binary.LittleEndian, uint64(len(b)))
		h.Write(b)
	}
	for _, p := range files.Paths() {
		field([]byte(p))
		field(files[p])
	}
	field([]byte(toolchain))
	return hex.EncodeToString(h.Sum(nil))
}

// buildCached builds the simulator into root/key/name atomically: into a
// fresh directory in root, renamed to root/key once complete. A build
// that is killed leaves only its temporary directory (removed by a later
// build once stale); when another build of the same key got there first,
// its result is kept.
func buildCached(ctx context.Context, stderr io.Writer, goCmd string, files golang.Files, pkg, root, key, name string) error {
	removeStale(root, time.Now())
	tmp, err := os.MkdirTemp(root, ".build-"+key[:16]+"-")
	if err != nil {
		return fmt.Errorf("cache of Go simulators: %v (set %s to another directory)", err, cacheEnv)
	}
	err = buildGeneratedContext(ctx, stderr, goCmd, files, pkg, filepath.Join(tmp, name), hostEnv())
	if err != nil {
		os.RemoveAll(tmp)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "vlec: interrupted while compiling the Go simulator; nothing was cached")
			return exitError{exitInterrupted}
		}
		return err
	}
	final := filepath.Join(root, key)
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(filepath.Join(final, name)); serr != nil {
			return fmt.Errorf("cache of Go simulators: %v (delete %s and run again)", err, final)
		}
	}
	return nil
}

// removeStale removes the build directories in root older than
// staleBuild: builds that were killed before they completed.
func removeStale(root string, now time.Time) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".build-") {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleBuild {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func exeSuffix() string {
	if goruntime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
