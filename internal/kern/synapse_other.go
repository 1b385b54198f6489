//go:build !amd64

package kern

// synapsePath is the Go path: no assembly synapse pass on this
// architecture.
var synapsePath = pathGo

func synapsePathsHere() []string { return []string{pathGo} }

// synapseAsm is never called here (synapsePath is pathGo); it runs the
// Go path.
func synapseAsm(path string, mode, m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) float64 {
	return synapseGo(mode, m, n, w, x, y, e, g, alpha, a, c)
}

// synapse32AVX512 is never called here (synapsePath is pathGo).
func synapse32AVX512(mode, m, n int, w, x, y, e, g []float32, alpha float64, a, c []float32) float64 {
	panic("kern.Synapse32: no AVX-512 path on this architecture")
}

// narrowAsm and widenAsm convert nothing here (no assembly): Narrow and
// Widen convert in Go.
func narrowAsm(dst []float32, src []float64) int { return 0 }
func widenAsm(dst []float64, src []float32) int  { return 0 }
