package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// BuildInfo identifies the build of vlec: the module version ("(devel)"
// for a build from a checkout) and, when the go command stamped it (go
// build and go install in a git checkout; not go run or go test), the
// commit and whether the checkout had uncommitted changes.
type BuildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

// Build reads the build information of the running binary.
func Build() BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return BuildInfo{Version: "unknown"}
	}
	info := BuildInfo{Version: bi.Main.Version}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String prints the version and the commit: "(devel), commit 1a2b3c4d5e6f
// (modified)", or "(devel), commit unknown" without version control
// information.
func (b BuildInfo) String() string {
	commit := b.Commit
	switch {
	case commit == "":
		commit = "unknown (built without version control information, e.g. by go run)"
	case len(commit) > 12:
		commit = commit[:12]
	}
	s := b.Version + ", commit " + commit
	if b.Modified {
		s += " (modified)"
	}
	return s
}

// FileHash identifies a file a run read by its SHA-256.
type FileHash struct {
	Path string `json:"path"`
	// Kind is "model" for .vle source (the model, its imports, teacher
	// models, the embedded standard library) and "data" for inputs,
	// file teachers and weight files.
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
}

// SourceHashes are the model sources as the checker read them (the
// model, its imports, teacher models, the embedded standard library),
// with their hashes, sorted by path.
func SourceHashes(sources lang.Sources) []FileHash {
	out := []FileHash{}
	for path, src := range sources {
		sum := sha256.Sum256(src)
		out = append(out, FileHash{Path: path, Kind: "model", SHA256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// readFiles lists the model sources (as the checker read them) and the
// data files the simulator read, with their hashes, sorted by kind and
// path.
func readFiles(sources lang.Sources, sim *Sim) ([]FileHash, error) {
	out := SourceHashes(sources)
	seen := map[string]bool{}
	for _, path := range sim.dataFiles(nil) {
		if seen[path] {
			continue
		}
		seen[path] = true
		h, err := hashFile(path)
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %v", path, err)
		}
		out = append(out, FileHash{Path: path, Kind: "data", SHA256: h})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind > out[j].Kind // model first
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// dataFiles appends the paths of the data files s and its teachers read:
// file inputs that are not bound to the parent's, weight files and file
// teachers.
func (s *Sim) dataFiles(out []string) []string {
	m := s.prog.Model
	for _, src := range s.inputs {
		if src.file == nil {
			continue
		}
		for _, in := range m.Inputs {
			if in.Name == src.name && in.File != "" {
				out = append(out, in.File)
			}
		}
	}
	for _, b := range s.prog.Buffers {
		if b.Conn != nil && b.Init == nil && b.Conn.Init.Kind == check.InitFile {
			out = append(out, b.Conn.Init.File)
		}
	}
	for _, tb := range s.prog.Targets {
		if tb.Teacher != nil && tb.Teacher.File != "" {
			out = append(out, tb.Teacher.File)
		}
	}
	if s.feed != nil {
		out = append(out, dataFiles(s.feed.set.ds)...)
	}
	for _, t := range s.teachers {
		out = t.dataFiles(out)
	}
	return out
}

// hashFile is the hex SHA-256 of a file's contents.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
