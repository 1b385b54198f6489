//go:build !amd64

package kern

// useSynapseAsm is false: no assembly synapse pass on this architecture.
var useSynapseAsm = false

// synapseAsm is the Go path here.
func synapseAsm(mode, m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) {
	synapseGo(mode, m, n, w, x, y, e, g, alpha, a, c)
}
