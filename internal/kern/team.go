package kern

// Team runs the synapse passes of large matrices on two cores: the rows
// of W in two halves, the upper on the caller's goroutine and the lower
// on the team's own, each a Synapse call of its own; the message of the
// lower half is added to the upper's (g = g_upper + g_lower, entry by
// entry) and so is the sum of W. The split depends only on the sizes,
// never on the number of cores, so the numbers are the same bits on
// every machine (and with GOMAXPROCS=1, where the halves simply take
// turns). Below TeamMin entries a pass runs whole on the caller, where
// handing half of it over costs more than it saves.
//
// A Team is for one goroutine at a time; Close stops its goroutine.
type Team struct {
	start, done chan struct{}
	// the lower half's pass
	m, n          int
	w, x, y, e, g []float64
	alpha         float64
	a, c          []float64
	sum           float64
	part          []float64 // the lower half's message
}

// TeamMin is the size (rows x columns) from which Team.Synapse splits a
// pass between two cores: about ten microseconds of streaming, against
// about a microsecond for the hand-off.
const TeamMin = 1 << 17

// NewTeam starts a team for matrices of at most maxCols columns (the
// scratch of the lower half's message is allocated now, so that a pass
// never allocates).
func NewTeam(maxCols int) *Team {
	t := &Team{start: make(chan struct{}), done: make(chan struct{}), part: make([]float64, maxCols)}
	go func() {
		for range t.start {
			t.sum = Synapse(t.m, t.n, t.w, t.x, t.y, t.e, t.g, t.alpha, t.a, t.c)
			t.done <- struct{}{}
		}
	}()
	return t
}

// Close stops the team's goroutine; the team must not be used afterwards.
func (t *Team) Close() { close(t.start) }

// Synapse is Synapse (same arguments and result), split between two
// cores when m*n >= TeamMin and m >= 2.
func (t *Team) Synapse(m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) float64 {
	if m*n < TeamMin || m < 2 {
		return Synapse(m, n, w, x, y, e, g, alpha, a, c)
	}
	if n > len(t.part) {
		t.part = make([]float64, n) // (a matrix wider than announced)
	}
	h := m / 2
	// validate the whole call before splitting it
	synapseMode(m, n, w, x, y, e, g, alpha, a, c)
	lo := func(s []float64) []float64 {
		if s == nil {
			return nil
		}
		return s[h:m]
	}
	up := func(s []float64) []float64 {
		if s == nil {
			return nil
		}
		return s[:h]
	}
	t.m, t.n, t.w = m-h, n, w[h*n:m*n]
	t.x, t.y, t.e, t.alpha, t.a, t.c = x, lo(y), lo(e), alpha, lo(a), c
	t.g = nil
	if g != nil {
		t.g = t.part[:n]
	}
	t.start <- struct{}{}
	sum := Synapse(h, n, w[:h*n], x, up(y), up(e), g, alpha, up(a), c)
	<-t.done
	t.w, t.x, t.y, t.e, t.g, t.a, t.c = nil, nil, nil, nil, nil, nil, nil
	if g != nil {
		part := t.part[:n]
		for j := range g[:n] {
			g[j] += part[j]
		}
	}
	return sum + t.sum
}
