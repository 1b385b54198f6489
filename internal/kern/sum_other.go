//go:build !amd64

package kern

const sumAVX512 = false

func sumAsm(x *float64, n int) float64 { panic("kern: no assembly sum on this architecture") }
