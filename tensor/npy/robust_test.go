package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// npyBytes builds a v1.0 file with the given header text and data bytes.
func npyBytes(hdr string, data []byte) []byte {
	b := []byte(magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	return append(b, data...)
}

func npyV2(hdr string, hlen uint32, data []byte) []byte {
	b := []byte(magic + "\x02\x00")
	b = binary.LittleEndian.AppendUint32(b, hlen)
	b = append(b, hdr...)
	return append(b, data...)
}

func hdr(descr, fortran, shape string) string {
	return fmt.Sprintf("{'descr': %s, 'fortran_order': %s, 'shape': %s, }\n", descr, fortran, shape)
}

// badInputs are malformed files with a substring of the expected error.
// They double as fuzz seeds.
var badInputs = []struct {
	name, want string
	data       []byte
}{
	{"empty", "truncated", nil},
	{"magic-only", "truncated", []byte(magic)},
	{"wrong-magic", "not an .npy file", []byte("hello world, this is text")},
	{"pickle", "pickle", []byte("\x80\x04\x95\x00\x00\x00")},
	{"version-4", "version 4.0", []byte(magic + "\x04\x00\x10\x00")},
	{"version-1.1", "version 1.1", []byte(magic + "\x01\x01\x10\x00")},
	{"header-len-lies", "truncated", append([]byte(magic+"\x01\x00\x00\x01"), "{'de"...)},
	{"header-len-short", "truncated", append([]byte(magic+"\x01\x00\xff\xff"), "{'descr'"...)},
	{"header-len-huge-v2", "exceeds the limit", npyV2("{}", 0xffffffff, nil)},
	{"not-dict", "want a dict", npyBytes("[1, 2]\n", nil)},
	{"missing-key", "lacks one of the keys", npyBytes("{'descr': '<f8', 'shape': (1,)}", nil)},
	{"extra-key", "unexpected header key", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}", nil)},
	{"dup-key", "duplicate key", npyBytes("{'descr': '<f8', 'descr': '<f8'}", nil)},
	{"fortran-int", "want True or False", npyBytes(hdr("'<f8'", "0", "()"), make([]byte, 8))},
	{"shape-list", "want a tuple", npyBytes(hdr("'<f8'", "False", "[2]"), make([]byte, 16))},
	{"shape-paren-int", "not a tuple", npyBytes(hdr("'<f8'", "False", "(2)"), make([]byte, 16))},
	{"shape-negative", "out of range", npyBytes(hdr("'<f8'", "False", "(-1,)"), nil)},
	{"shape-float", "plain integers", npyBytes(hdr("'<f8'", "False", "(2.0,)"), nil)},
	{"shape-string", "want an int", npyBytes(hdr("'<f8'", "False", "('2',)"), nil)},
	{"shape-int-overflow", "too large", npyBytes(hdr("'<f8'", "False", "(99999999999999999999999,)"), nil)},
	{"shape-dim-huge", "out of range", npyBytes(hdr("'<f8'", "False", "(1099511627776,)"), nil)},
	{"shape-product-huge", "more than", npyBytes(hdr("'<f8'", "False", "(4294967296, 4294967296, 4294967296)"), nil)},
	{"shape-product-lies", "truncated", npyBytes(hdr("'<f8'", "False", "(1000000000,)"), make([]byte, 24))},
	{"truncated-data", "truncated", npyBytes(hdr("'<f8'", "False", "(3,)"), make([]byte, 23))},
	{"too-many-dims", "dimensions", npyBytes(hdr("'<f8'", "False", "("+strings.Repeat("1, ", 65)+")"), make([]byte, 8))},
	{"unterminated-string", "unterminated", npyBytes("{'descr': '<f8}", nil)},
	{"deep-nesting", "nesting", npyBytes(strings.Repeat("[", 100)+strings.Repeat("]", 100), nil)},
	{"eval-attempt", "only literal", npyBytes("{'descr': __import__('os').system('true')}", nil)},
	{"trailing-text", "trailing text", npyBytes(hdr("'<f8'", "False", "()")+" x", make([]byte, 8))},
	{"descr-object", "object array", npyBytes(hdr("'|O'", "False", "(1,)"), make([]byte, 8))},
	{"descr-structured", "structured", npyBytes(hdr("[('x', '<f8')]", "False", "(1,)"), make([]byte, 8))},
	{"descr-complex", "complex", npyBytes(hdr("'<c16'", "False", "(1,)"), make([]byte, 16))},
	{"descr-native", "native byte order", npyBytes(hdr("'=f8'", "False", "(1,)"), make([]byte, 8))},
	{"descr-pipe-f8", "only valid for 1-byte", npyBytes(hdr("'|f8'", "False", "(1,)"), make([]byte, 8))},
	{"descr-malformed", "malformed dtype", npyBytes(hdr("'<fx'", "False", "(1,)"), make([]byte, 8))},
	{"descr-int", "want a dtype string", npyBytes(hdr("8", "False", "(1,)"), make([]byte, 8))},
	{"zip", "use ReadNPZ", []byte("PK\x03\x04rest")},
}

func TestReadBadInputs(t *testing.T) {
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{bytes.NewReader(c.data), struct{ io.Reader }{bytes.NewReader(c.data)}} {
				a, err := Read(r)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("Read(%T) = %v, %v; want error containing %q", r, a, err, c.want)
				}
			}
		})
	}
}

// A header claiming 2^33 float64 (64 GiB) over a stream of unknown length
// with a few bytes of data must fail without allocating anything near the
// claimed size: data is read in 64 KiB chunks.
func TestLyingHeaderDoesNotAllocate(t *testing.T) {
	data := npyBytes(hdr("'<f8'", "False", "(8589934592,)"), make([]byte, 1000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(struct{ io.Reader }{bytes.NewReader(data)})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v, want truncated", err)
	}
	// 1 MiB is far above the 64 KiB chunk buffers and far below the claim.
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes for a truncated file", got)
	}
}

func TestReadFileTrailingBytes(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, fixture([]int{2}, id)); err != nil {
		t.Fatal(err)
	}
	b.WriteString("junk")
	p := filepath.Join(t.TempDir(), "t.npy")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "unexpected bytes") {
		t.Errorf("ReadFile with trailing bytes: err = %v", err)
	}
	// A stream reader stops after the array and leaves the rest.
	r := bytes.NewReader(b.Bytes())
	if _, err := Read(r); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 {
		t.Errorf("Read consumed past the array: %d bytes left, want 4", r.Len())
	}
}

func TestReadConcatenatedStream(t *testing.T) {
	var b bytes.Buffer
	x, y := fixture([]int{2, 2}, id), fixture([]int{3}, id)
	if err := Write(&b, x); err != nil {
		t.Fatal(err)
	}
	if err := WriteFloat32(&b, y); err != nil {
		t.Fatal(err)
	}
	r := struct{ io.Reader }{&b} // unknown length
	for _, want := range []*Array{x, y} {
		got, err := Read(r)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	}
}

func TestWriteValidation(t *testing.T) {
	for _, a := range []*Array{
		nil,
		{Shape: []int{2, 2}, Data: make([]float64, 3)},
		{Shape: []int{-1}, Data: nil},
		{Shape: []int{}, Data: nil},
	} {
		if err := Write(io.Discard, a); err == nil {
			t.Errorf("Write(%v) succeeded", a)
		}
		if err := WriteFile(filepath.Join(t.TempDir(), "x.npy"), a); err == nil {
			t.Errorf("WriteFile(%v) succeeded", a)
		}
	}
	if err := WriteFloat32(io.Discard, &Array{Shape: []int{1}, Data: []float64{1e39}}); err == nil || !strings.Contains(err.Error(), "overflows float32") {
		t.Errorf("WriteFloat32(1e39): err = %v", err)
	}
}

func TestWriteFileKeepsOldOnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.npy")
	if err := WriteFile(p, fixture([]int{2}, id)); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, &Array{Shape: []int{3}}); err == nil {
		t.Fatal("invalid array written")
	}
	if a, err := ReadFile(p); err != nil || len(a.Data) != 2 {
		t.Errorf("old file damaged: %v, %v", a, err)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.npy"), fixture([]int{1}, id)); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

// The version-2.0 branch of the writer is only reachable with headers over
// 64 KiB, which no shape of at most 64 dims produces; exercise it directly.
func TestHeaderVersion2(t *testing.T) {
	descr := strings.Repeat("x", 70000)
	h := headerBytes(descr, []int{3})
	if h[6] != 2 || len(h)%align != 0 || h[len(h)-1] != '\n' {
		t.Fatalf("version %d, length %d", h[6], len(h))
	}
	if got := binary.LittleEndian.Uint32(h[8:]); int(got) != len(h)-12 {
		t.Errorf("header length field %d, want %d", got, len(h)-12)
	}
	h = headerBytes("<f8", []int{3})
	if h[6] != 1 || len(h)%align != 0 {
		t.Errorf("short header: version %d, length %d", h[6], len(h))
	}
}

func TestPythonLiteralParser(t *testing.T) {
	// Python 2 era headers: 'L' suffixes, u'' strings, spaces, no trailing comma.
	a, err := Read(bytes.NewReader(npyBytes("{u'descr':u\"<f8\",'fortran_order':False,'shape':(1L, 2L)}", make([]byte, 16))))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(a.Shape, []int{1, 2}) {
		t.Errorf("shape %v", a.Shape)
	}
	// Escapes in strings are understood (and then rejected as a dtype).
	_, err = Read(bytes.NewReader(npyBytes(hdr(`'<\'f8'`, "False", "()"), nil)))
	if err == nil || !strings.Contains(err.Error(), `<'f8`) {
		t.Errorf("escaped descr: %v", err)
	}
}

type badCase struct {
	name, want string
	data       []byte
}

// npzBadInputs are malformed archives with a substring of the expected
// error; they double as fuzz seeds.
func npzBadInputs(t testing.TB) []badCase {
	good := func(method uint16, name string, body []byte) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
		zw.Close()
		return b.Bytes()
	}
	var arr bytes.Buffer
	Write(&arr, fixture([]int{4}, id))
	cases := []badCase{
		{"not-zip", "not a valid zip", []byte("hello")},
		{"npy-not-zip", "not a valid zip", arr.Bytes()},
		{"non-npy-member", "not a NAME.npy", good(zip.Store, "readme.txt", []byte("hi"))},
		{"bad-member", "not an .npy file", good(zip.Deflate, "a.npy", []byte("garbage"))},
		{"truncated-member", "truncated", good(zip.Deflate, "a.npy", arr.Bytes()[:len(arr.Bytes())-3])},
	}
	// A member whose declared uncompressed size is enormous (zip bomb
	// header): rejected before decompression.
	bomb := good(zip.Deflate, "a.npy", arr.Bytes())
	off := bytes.LastIndex(bomb, []byte("PK\x01\x02")) // central directory entry
	binary.LittleEndian.PutUint32(bomb[off+24:], 0xfffffff0)
	cases = append(cases, badCase{"bomb-size", "more than deflate can produce", bomb})
	// Corrupt CRC is detected.
	crc := good(zip.Store, "a.npy", arr.Bytes())
	off = bytes.LastIndex(crc, []byte("PK\x01\x02"))
	crc[off+16] ^= 0xff
	cases = append(cases, badCase{"bad-crc", "checksum", crc})
	// Two central-directory entries sharing one member's data (the
	// overlapping-file zip bomb construction).
	one := good(zip.Store, "a.npy", arr.Bytes())
	cd := bytes.LastIndex(one, []byte("PK\x01\x02"))
	eocd := bytes.LastIndex(one, []byte("PK\x05\x06"))
	entry := one[cd:eocd]
	twin := bytes.Replace(bytes.Clone(entry), []byte("a.npy"), []byte("b.npy"), 1)
	ov := append(append(bytes.Clone(one[:eocd]), twin...), one[eocd:]...)
	e := ov[len(ov)-22:]
	binary.LittleEndian.PutUint16(e[8:], 2)
	binary.LittleEndian.PutUint16(e[10:], 2)
	binary.LittleEndian.PutUint32(e[12:], uint32(2*len(entry)))
	cases = append(cases, badCase{"overlap", "share data", ov})
	return cases
}

func TestNPZBadInputs(t *testing.T) {
	for _, c := range npzBadInputs(t) {

		_, err := ReadNPZFrom(bytes.NewReader(c.data), int64(len(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	// The total limit applies across members.
	old := MaxNPZBytes
	MaxNPZBytes = 100
	defer func() { MaxNPZBytes = old }()
	if _, err := ReadNPZ("testdata/stored.npz"); err == nil || !strings.Contains(err.Error(), "MaxNPZBytes") {
		t.Errorf("limit not applied: %v", err)
	}
}

func TestWriteNPZ(t *testing.T) {
	dir := t.TempDir()
	arrays := map[string]*Array{"z": fixture([]int{2, 2}, id), "a": fixture([]int{}, id), "m": fixture([]int{0}, id)}
	names := []string{"z", "a", "m"}
	for _, write := range []func(string, []string, map[string]*Array) error{WriteNPZ, WriteNPZCompressed} {
		p := filepath.Join(dir, "x.npz")
		if err := write(p, names, arrays); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(p)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(arrays, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, f := range zr.File {
			order = append(order, f.Name)
		}
		zr.Close()
		if !cmp.Equal(order, []string{"z.npy", "a.npy", "m.npy"}) {
			t.Errorf("member order %v", order)
		}
	}
	for _, c := range []struct {
		names  []string
		arrays map[string]*Array
		want   string
	}{
		{[]string{"a", "a"}, map[string]*Array{"a": fixture([]int{1}, id)}, "twice"},
		{[]string{"a"}, map[string]*Array{}, "no array"},
		{[]string{"a"}, map[string]*Array{"a": fixture([]int{1}, id), "b": fixture([]int{1}, id)}, "not in the names"},
		{[]string{""}, map[string]*Array{"": fixture([]int{1}, id)}, "invalid array name"},
		{[]string{"a"}, map[string]*Array{"a": {Shape: []int{2}}}, "needs 2 elements"},
	} {
		if err := WriteNPZ(filepath.Join(dir, "bad.npz"), c.names, c.arrays); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("WriteNPZ(%v): err = %v, want %q", c.names, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.npz")); !os.IsNotExist(err) {
		t.Errorf("failed WriteNPZ left a file: %v", err)
	}
}
