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
func synapse32AVX512(mode, m, n int, w []float32, x []float64, y, e []float32, g []float64, alpha float64, a []float32, c []float64) float64 {
	panic("kern.Synapse32: no AVX-512 path on this architecture")
}
