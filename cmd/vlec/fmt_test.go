//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

// listDir names the entries of dir, to find temporary files left behind.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestRewriteKeepsMode rewrites files of several modes: each keeps its
// mode, gets the new text, and no temporary file stays behind.
func TestRewriteKeepsMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o600, 0o200, 0o664 | os.ModeSetgid} {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.vle")
		if err := os.WriteFile(path, []byte("model   m\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := rewrite(path, []byte("model m\n")); err != nil {
			t.Errorf("mode %v: %v", mode, err)
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode(); got != mode {
			t.Errorf("mode %v became %v", mode, got)
		}
		if mode&0o400 != 0 {
			if data, _ := os.ReadFile(path); string(data) != "model m\n" {
				t.Errorf("mode %v: text %q", mode, data)
			}
		}
		if got := listDir(t, dir); got != "m.vle" {
			t.Errorf("mode %v: directory holds %s", mode, got)
		}
	}
}

// TestRewriteKeepsOwner rewrites a file that another user owns, as root
// (only root may give a file away): it keeps its owner and group.
func TestRewriteKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user; not running as root")
	}
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte("model   m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 65534, 65534
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := rewrite(path, []byte("model m\n")); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
}

// TestRewriteRefuses checks the files fmt -w leaves alone: each error
// names the user's path and no temporary file, and nothing changes.
func TestRewriteRefuses(t *testing.T) {
	root := os.Geteuid() == 0
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, dir string) string // returns the path to rewrite
		want     string
		needUser bool // the OS refuses only a user who is not root
	}{
		{
			name: "read-only",
			setup: func(t *testing.T, dir string) string {
				return writeMode(t, filepath.Join(dir, "m.vle"), 0o444)
			},
			want: "m.vle: not rewritten: the file is read-only (mode -r--r--r--)",
		},
		{
			name: "read-only through a link",
			setup: func(t *testing.T, dir string) string {
				writeMode(t, filepath.Join(dir, "m.vle"), 0o444)
				link := filepath.Join(dir, "l.vle")
				if err := os.Symlink("m.vle", link); err != nil {
					t.Skip("no symbolic links:", err)
				}
				return link
			},
			want: "l.vle (a link to ",
		},
		{
			name: "a directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "d.vle")
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
				return p
			},
			want: "d.vle: cannot rewrite: not a regular file",
		},
		{
			name: "directory not writable",
			setup: func(t *testing.T, dir string) string {
				sub := filepath.Join(dir, "ro")
				if err := os.Mkdir(sub, 0o755); err != nil {
					t.Fatal(err)
				}
				p := writeMode(t, filepath.Join(sub, "m.vle"), 0o644)
				if err := os.Chmod(sub, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(sub, 0o755) })
				return p
			},
			want:     "m.vle: not rewritten: its directory ",
			needUser: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needUser && root {
				t.Skip("running as root, who may write anywhere; the OS refuses only other users")
			}
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := listDir(t, filepath.Dir(path))
			err := rewrite(path, []byte("model m\n"))
			if err == nil {
				t.Fatal("rewritten")
			}
			msg := lang.Sources{}.Format(err)
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, path) || strings.Contains(msg, "vlec-fmt") {
				t.Errorf("error %q, want one starting with %s and containing %q", msg, path, tc.want)
			}
			if after := listDir(t, filepath.Dir(path)); after != before {
				t.Errorf("directory held %s, now %s", before, after)
			}
		})
	}
}

// writeMode writes an untidy model at path with the given mode.
func writeMode(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("model   m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}
