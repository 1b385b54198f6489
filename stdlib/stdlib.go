// Package stdlib holds the .vle library files that models import with
// `import "std/NAME"`. They are embedded in the vlec binary, so a model
// that imports them runs on any machine.
package stdlib

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed std/*.vle
var files embed.FS

// Prefix is the import-path prefix of the standard library.
const Prefix = "std/"

// IsStd reports whether an import path names a standard-library file.
func IsStd(path string) bool { return strings.HasPrefix(path, Prefix) }

// Read returns the source of the library file for an import path such as
// "std/gle", and the name it is reported under in diagnostics.
func Read(importPath string) (name string, src []byte, err error) {
	name = strings.TrimSuffix(importPath, ".vle") + ".vle"
	src, err = files.ReadFile(name)
	return name, src, err
}

// Names lists the import paths of every standard-library file.
func Names() []string {
	entries, _ := fs.ReadDir(files, "std")
	var names []string
	for _, e := range entries {
		names = append(names, Prefix+strings.TrimSuffix(e.Name(), ".vle"))
	}
	return names
}
