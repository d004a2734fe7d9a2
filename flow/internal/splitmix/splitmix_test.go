package splitmix

import "testing"

// TestMix checks the first outputs of SplitMix64 seeded with 0 and with
// 1234567 against the reference implementation (Vigna's splitmix64.c,
// prng.di.unimi.it): next() returns Mix(state) and advances the state by γ.
func TestMix(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		want []uint64
	}{
		{0, []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}},
		{1234567, []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423}},
	} {
		for i, w := range c.want {
			if got := Mix2(c.seed, uint64(i)); got != w {
				t.Errorf("seed %d, output %d: got %#x, want %#x", c.seed, i, got, w)
			}
		}
	}
	if Mix2(5, 0) != Mix(5) {
		t.Error("Mix2(a, 0) != Mix(a)")
	}
}
