package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// maxDirName bounds the length of a run directory's name; file systems
// allow 255 bytes per name.
const maxDirName = 200

// DirName names a run's directory by its settings:
// lr=0.01_method=le_seed=3. A name keeps its letters, digits, '.' and
// '_'; a value keeps letters, digits, '.', '+' and '-', and every other
// byte is escaped as %XX (so "1e-3" stays, "a/b" becomes a%2Fb). Since
// values hold no '_' or '=' and names no '=', the name reads back
// unambiguously, and distinct settings get distinct names. Names longer
// than 200 bytes are cut and end in a hash of the whole.
func DirName(s Settings) string {
	var b strings.Builder
	for i, x := range s {
		if i > 0 {
			b.WriteByte('_')
		}
		escape(&b, x.Name, "._")
		b.WriteByte('=')
		escape(&b, x.Value, ".+-")
	}
	name := b.String()
	if len(name) > maxDirName {
		sum := sha256.Sum256([]byte(name))
		name = name[:maxDirName-17] + "~" + hex.EncodeToString(sum[:8])
	}
	return name
}

// escape writes s keeping ASCII letters, digits and the bytes of keep,
// escaping every other byte as %XX. A leading '.' is escaped too, so no
// name is hidden or "." or "..".
func escape(b *strings.Builder, s, keep string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || strings.IndexByte(keep, c) >= 0 && !(c == '.' && i == 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(b, "%%%02X", c)
	}
}
