//go:build !linux

package kern

import "time"

var start = time.Now()

// threadCPU returns the wall time elsewhere than on Linux.
func threadCPU() time.Duration { return time.Since(start) }
