package npy

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// fixtureValue is the value formula of testdata/make_fixtures.py.
func fixtureValue(i int) float64 {
	return (float64(i) - 3.25) * math.Pow(0.5, float64(i%7))
}

func fixture(shape []int, conv func(float64) float64) *Array {
	n, _ := ShapeLen(shape)
	a := &Array{Shape: shape, Data: make([]float64, n)}
	for i := range a.Data {
		a.Data[i] = conv(fixtureValue(i))
	}
	return a
}

func id(v float64) float64  { return v }
func f32(v float64) float64 { return float64(float32(v)) }

// The values are exactly representable (dyadic rationals with few bits), so
// the comparison is exact: any difference is a decoding bug.
func TestReadNumpyFixtures(t *testing.T) {
	cases := []struct {
		file string
		want *Array
	}{
		{"f8_3d.npy", fixture([]int{2, 3, 4}, id)},
		{"f4_2d.npy", fixture([]int{3, 5}, f32)},
		{"f8_1d.npy", fixture([]int{7}, id)},
		{"f8_0d.npy", fixture([]int{}, id)},
		{"f8_empty.npy", fixture([]int{0, 3}, id)},
		{"f8_big_endian.npy", fixture([]int{2, 3}, id)},
		{"f8_fortran.npy", fixture([]int{2, 3, 4}, id)},
		{"f8_v2.npy", fixture([]int{2, 3}, id)},
		{"f4_v3.npy", fixture([]int{4}, f32)},
		{"i4_2d.npy", fixture([]int{2, 3}, func(v float64) float64 { return math.Trunc(v * 4) })},
		{"i8_1d.npy", fixture([]int{5}, func(v float64) float64 { return math.Trunc(v * 8) })},
		{"u1_1d.npy", &Array{Shape: []int{6}, Data: []float64{250, 251, 252, 253, 254, 255}}},
		{"bool_1d.npy", &Array{Shape: []int{3}, Data: []float64{1, 0, 1}}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestReadUnsupportedNumpyFixtures(t *testing.T) {
	for file, want := range map[string]string{
		"complex.npy":    "complex",
		"object.npy":     "object array",
		"structured.npy": "structured dtype",
		"str.npy":        "string type",
		"f2.npy":         "16-bit float",
		"stored.npz":     "use ReadNPZ",
	} {
		_, err := ReadFile(filepath.Join("testdata", file))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: error %v, want one naming the file and mentioning %q", file, err, want)
		}
	}
}

// Write must produce the same bytes as numpy.save (header layout, padding,
// data), so files are interchangeable byte for byte.
func TestWriteMatchesNumpyBytes(t *testing.T) {
	cases := []struct {
		file string
		a    *Array
		f32  bool
	}{
		{"f8_3d.npy", fixture([]int{2, 3, 4}, id), false},
		{"f8_1d.npy", fixture([]int{7}, id), false},
		{"f8_0d.npy", fixture([]int{}, id), false},
		{"f8_empty.npy", fixture([]int{0, 3}, id), false},
		{"f4_2d.npy", fixture([]int{3, 5}, f32), true},
	}
	for _, c := range cases {
		want, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if c.f32 {
			err = WriteFloat32(&buf, c.a)
		} else {
			err = Write(&buf, c.a)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: Write output differs from numpy's:\n got %q\nwant %q", c.file, buf.Bytes(), want)
		}
	}
}

func TestReadNPZFixtures(t *testing.T) {
	got, err := ReadNPZ("testdata/stored.npz")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*Array{
		"a": fixture([]int{2, 3}, id),
		"b": fixture([]int{4}, f32),
		"c": fixture([]int{}, id),
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("stored.npz (-want +got):\n%s", d)
	}
	got, err = ReadNPZ("testdata/compressed.npz")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]*Array{
		"x": fixture([]int{10, 10}, id),
		"y": fixture([]int{0}, id),
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("compressed.npz (-want +got):\n%s", d)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a := fixture([]int{3, 1, 2}, id)
	a.Data[0] = math.NaN()
	a.Data[1] = math.Inf(-1)
	a.Data[2] = math.Copysign(0, -1)
	p := filepath.Join(dir, "x.npy")
	if err := WriteFile(p, a); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Bit-exact: float64 is stored verbatim.
	if !sameBits(a, got) {
		t.Errorf("round trip changed the array: %v -> %v", a, got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func sameBits(a, b *Array) bool {
	if !cmp.Equal(a.Shape, b.Shape, cmpopts.EquateEmpty()) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if math.Float64bits(a.Data[i]) != math.Float64bits(b.Data[i]) {
			return false
		}
	}
	return true
}

// goWritten are files written by this package and checked once with numpy
// by testdata/verify_go_written.py. The test pins their bytes, so the numpy
// check stays valid as long as it passes; -update rewrites them (then rerun
// the script).
func goWritten(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	var b bytes.Buffer
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Write(&b, fixture([]int{2, 3, 4}, id)))
	files["go_f8.npy"] = bytes.Clone(b.Bytes())
	b.Reset()
	must(WriteFloat32(&b, fixture([]int{5}, id)))
	files["go_f4.npy"] = bytes.Clone(b.Bytes())
	b.Reset()
	arrays := map[string]*Array{
		"w":     fixture([]int{3, 2}, id),
		"b":     fixture([]int{2}, id),
		"scale": fixture([]int{}, id),
	}
	must(WriteNPZTo(&b, []string{"w", "b", "scale"}, arrays))
	files["go_stored.npz"] = bytes.Clone(b.Bytes())
	b.Reset()
	must(writeNPZ(&b, []string{"w", "b", "scale"}, arrays, 8))
	files["go_compressed.npz"] = bytes.Clone(b.Bytes())
	return files
}

func TestGoWrittenFilesPinned(t *testing.T) {
	for name, got := range goWritten(t) {
		p := filepath.Join("testdata", name)
		if *golden.Update {
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (regenerate with -update, then run testdata/verify_go_written.py)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: writer output changed; if intended, run with -update and re-verify with testdata/verify_go_written.py", name)
		}
	}
}
