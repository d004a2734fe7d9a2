// Package splitmix derives independent PCG stream seeds from a master seed
// with SplitMix64 (Steele, Lea and Flood 2014): the one seeding function of
// the flow packages (training draws, likelihood probes, sampling draws and
// the LJ13 generator's chains).
package splitmix

// gamma is SplitMix64's increment, the odd integer nearest 2⁶⁴/φ.
const gamma = 0x9e3779b97f4a7c15

// Mix returns the SplitMix64 output for state x + γ: one step of the
// generator from state x.
func Mix(x uint64) uint64 {
	x += gamma
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Mix2 is Mix(a + γ·b): the seed of stream b of master seed a (the output
// of the generator started at a after b+1 steps).
func Mix2(a, b uint64) uint64 { return Mix(a + gamma*b) }
