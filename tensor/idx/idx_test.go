package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

func raw(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadGood(t *testing.T) {
	img := raw(8, []uint32{2, 3, 4}, seq(24))
	want := &Data{Dims: []int{2, 3, 4}, Bytes: seq(24)}
	for name, in := range map[string][]byte{"raw": img, "gzip": gz(img)} {
		for _, r := range []io.Reader{bytes.NewReader(in), struct{ io.Reader }{bytes.NewReader(in)}} {
			got, err := Read(r)
			if err != nil {
				t.Fatalf("%s %T: %v", name, r, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s %T (-want +got):\n%s", name, r, d)
			}
		}
	}
	got, err := Read(bytes.NewReader(raw(8, []uint32{0, 28}, nil)))
	if err != nil || !cmp.Equal(got, &Data{Dims: []int{0, 28}, Bytes: []byte{}}, cmpopts.EquateEmpty()) {
		t.Errorf("empty: %v, %v", got, err)
	}
}

// badInputs are malformed files with a substring of the expected error;
// they double as fuzz seeds.
var badInputs = []struct {
	name, want string
	data       []byte
}{
	{"empty", "empty file", nil},
	{"short-magic", "truncated", []byte{0, 0, 8}},
	{"not-idx", "not an IDX file", []byte("hello world")},
	{"npy", "not an IDX file", []byte("\x93NUMPY\x01\x00")},
	{"int32-type", "int32", raw(0x0C, []uint32{2}, make([]byte, 8))},
	{"float-type", "float32", raw(0x0D, []uint32{2}, make([]byte, 8))},
	{"unknown-type", "unknown data type", raw(0x42, []uint32{2}, nil)},
	{"zero-dims", "0 dimensions", raw(8, nil, []byte{1})},
	{"many-dims", "17 dimensions", raw(8, make([]uint32, 17), nil)},
	{"truncated-dims", "header incomplete", raw(8, []uint32{60000, 28, 28}, nil)[:10]},
	{"truncated-data", "truncated", raw(8, []uint32{3, 3}, seq(8))},
	{"oversized", "exceed the limit", raw(8, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil)},
	{"lying-dims", "truncated", raw(8, []uint32{60000, 28, 28}, seq(100))},
	{"trailing", "unexpected bytes", raw(8, []uint32{2}, seq(3))},
	{"gzip-truncated", "", gz(raw(8, []uint32{100}, seq(100)))[:40]},
	{"gzip-corrupt", "corrupt gzip", []byte{0x1f, 0x8b, 0, 0}},
}

func TestReadBad(t *testing.T) {
	for _, c := range badInputs {
		for _, r := range []io.Reader{bytes.NewReader(c.data), struct{ io.Reader }{bytes.NewReader(c.data)}} {
			d, err := Read(r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (%T): got %v, %v; want error containing %q", c.name, r, d, err, c.want)
			}
		}
	}
}

// A gzip file whose content is a bad checksum must fail, not return data.
func TestGzipChecksum(t *testing.T) {
	b := gz(raw(8, []uint32{4}, seq(4)))
	b[len(b)-8] ^= 1 // CRC-32 in the gzip trailer
	if _, err := Read(bytes.NewReader(b)); err == nil {
		t.Error("corrupt gzip checksum accepted")
	}
}

// Dimensions claiming 1 GiB over a stream with 100 bytes must fail without
// allocating anything near the claim.
func TestLyingDimsDoNotAllocate(t *testing.T) {
	in := gz(raw(8, []uint32{1 << 10, 1 << 10, 1 << 10}, seq(100)))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v", err)
	}
	// 2 MiB: gzip and bufio buffers are tens of KiB; the claim is 1 GiB.
	if got := after.TotalAlloc - before.TotalAlloc; got > 2<<20 {
		t.Errorf("allocated %d bytes", got)
	}
}

func TestReadFileAndWrite(t *testing.T) {
	dir := t.TempDir()
	d := &Data{Dims: []int{3, 2}, Bytes: seq(6)}
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"x-idx2-ubyte": b.Bytes(), "x-idx2-ubyte.gz": gz(b.Bytes())} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if d2 := cmp.Diff(d, got); d2 != "" {
			t.Errorf("%s (-want +got):\n%s", name, d2)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file read")
	}
	for _, bad := range []*Data{nil, {}, {Dims: []int{2}, Bytes: seq(3)}, {Dims: []int{-1}}} {
		if err := Write(io.Discard, bad); err == nil {
			t.Errorf("Write(%v) succeeded", bad)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadMNIST(dir, "validation"); err == nil || !strings.Contains(err.Error(), `"train" or "test"`) {
		t.Errorf("bad split: %v", err)
	}
	if _, _, err := LoadMNIST(dir, "test"); err == nil || !strings.Contains(err.Error(), FetchMNIST) {
		t.Errorf("missing files: %v", err)
	}
	write := func(name string, d *Data) {
		var b bytes.Buffer
		if err := Write(&b, d); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("t10k-images-idx3-ubyte", &Data{Dims: []int{2, Rows, Cols}, Bytes: seq(2 * Pixels)})
	write("t10k-labels-idx1-ubyte", &Data{Dims: []int{2}, Bytes: []byte{3, 10}})
	if _, _, err := LoadMNIST(dir, "test"); err == nil || !strings.Contains(err.Error(), "label 1 is 10") {
		t.Errorf("bad label: %v", err)
	}
	write("t10k-labels-idx1-ubyte", &Data{Dims: []int{3}, Bytes: []byte{3, 1, 2}})
	if _, _, err := LoadMNIST(dir, "test"); err == nil || !strings.Contains(err.Error(), "to match the images") {
		t.Errorf("count mismatch: %v", err)
	}
	write("t10k-labels-idx1-ubyte", &Data{Dims: []int{2}, Bytes: []byte{3, 9}})
	imgs, labels, err := LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2*Pixels || imgs[1] != 7.0/255 || !cmp.Equal(labels, []byte{3, 9}) {
		t.Errorf("loaded %d pixels, imgs[1]=%v, labels %v", len(imgs), imgs[1], labels)
	}
}

// The real MNIST test set from the GoMNIST module, when it is in the module
// cache. The reference numbers were computed independently with numpy
// (gzip + np.frombuffer + np.bincount on t10k-*.gz): the label histogram,
// the first five labels, and the sum of all raw pixel bytes.
func TestRealMNISTTest(t *testing.T) {
	dir, err := FindMNIST()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	imgs, labels, err := LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 10000 || len(imgs) != 10000*Pixels {
		t.Fatalf("%d labels, %d pixels; want 10000 images of 28×28", len(labels), len(imgs))
	}
	var hist [10]int
	for _, l := range labels {
		hist[l]++
	}
	if want := [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}; hist != want {
		t.Errorf("label histogram %v, want %v", hist, want)
	}
	if !cmp.Equal(labels[:5], []byte{7, 2, 1, 0, 4}) {
		t.Errorf("first labels %v", labels[:5])
	}
	sum, lo, hi := 0.0, 1.0, 0.0
	for _, v := range imgs {
		sum += math.Round(v * 255)
		lo, hi = min(lo, v), max(hi, v)
	}
	// Exact: v*255 is within an ulp of the byte b, and sums of integers
	// below 2^53 are exact in float64.
	if sum != 264923200 || lo != 0 || hi != 1 {
		t.Errorf("pixel byte sum %v (want 264923200), range [%v, %v] (want [0, 1])", sum, lo, hi)
	}
}

func TestFindMNISTError(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PATH", "") // no `go env`
	_, err := FindMNIST()
	if err == nil || !strings.Contains(err.Error(), FetchMNIST) {
		t.Errorf("err = %v, want one with the fetch command", err)
	}
}
