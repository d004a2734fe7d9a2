package npy

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/hifm-go/hifm/tensor/golden"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (written by
// TestWriteFuzzSeeds with -update); plain `go test` runs just those seeds.
// Fuzz with e.g. `go test -fuzz=FuzzRead -fuzztime=60s ./tensor/npy`.

func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		sized, err1 := Read(bytes.NewReader(data))
		streamed, err2 := Read(struct{ io.Reader }{bytes.NewReader(data)})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("sized and streamed readers disagree: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if !sameBits(sized, streamed) {
			t.Fatalf("sized and streamed readers give different arrays")
		}
		checkRoundTrip(t, sized)
	})
}

func checkRoundTrip(t *testing.T, a *Array) {
	t.Helper()
	n, err := ShapeLen(a.Shape)
	if err != nil || n != len(a.Data) {
		t.Fatalf("parsed array with shape %v and %d elements (%v)", a.Shape, len(a.Data), err)
	}
	var b bytes.Buffer
	if err := Write(&b, a); err != nil {
		t.Fatalf("Write of a parsed array: %v", err)
	}
	back, err := Read(&b)
	if err != nil {
		t.Fatalf("Read of a written array: %v", err)
	}
	if !sameBits(a, back) {
		t.Fatalf("Write→Read changed the array")
	}
}

// FuzzReadNPZ reads data as an archive, and also wraps data as the single
// member of a valid stored and a valid deflated archive (random mutations
// rarely get past zip's CRC): the member must parse exactly when data is
// one complete .npy file, with the same array.
func FuzzReadNPZ(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := readArray(bytes.NewReader(data), int64(len(data)), true, true)
		for _, method := range []uint16{zip.Store, zip.Deflate} {
			var zb bytes.Buffer
			zw := zip.NewWriter(&zb)
			w, err := zw.CreateHeader(&zip.FileHeader{Name: "m.npy", Method: method})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			zw.Close()
			m, err := ReadNPZFrom(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
			if (err == nil) != (werr == nil) {
				t.Fatalf("method %d: member read error %v, plain read error %v", method, err, werr)
			}
			if err == nil && !sameBits(want, m["m"]) {
				t.Fatalf("method %d: member and plain reads differ", method)
			}
		}
		m, err := ReadNPZFrom(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		names := make([]string, 0, len(m))
		for k, a := range m {
			names = append(names, k)
			checkRoundTrip(t, a)
		}
		sort.Strings(names)
		var b bytes.Buffer
		if err := WriteNPZTo(&b, names, m); err != nil {
			// Names numpy accepts but we refuse to write (empty, NUL).
			if checkNPZ(names, m) != nil {
				return
			}
			t.Fatalf("WriteNPZTo of a parsed archive: %v", err)
		}
		back, err := ReadNPZFrom(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatalf("ReadNPZFrom of a written archive: %v", err)
		}
		if len(back) != len(m) {
			t.Fatalf("round trip: %d arrays, want %d", len(back), len(m))
		}
		for k, a := range m {
			if !sameBits(a, back[k]) {
				t.Fatalf("round trip changed array %q", k)
			}
		}
	})
}

// TestWriteFuzzSeeds (with -update) writes the seed corpora: numpy
// fixtures, the bad inputs of robust_test.go, and truncations of good files.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*golden.Update {
		t.Skip("run with -update to rewrite testdata/fuzz/")
	}
	npySeeds := map[string][]byte{}
	npzSeeds := map[string][]byte{}
	fixtures, _ := filepath.Glob("testdata/*.np[yz]")
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(p)
		if filepath.Ext(p) == ".npz" {
			npzSeeds[base] = b
			npzSeeds[base+"-truncated"] = b[:len(b)*2/3]
		} else {
			npySeeds[base] = b
			npySeeds[base+"-truncated"] = b[:len(b)-5]
		}
	}
	for _, c := range badInputs {
		npySeeds["bad-"+c.name] = c.data
	}
	for _, c := range npzBadInputs(t) {
		npzSeeds["bad-"+c.name] = c.data
	}
	// FuzzReadNPZ also wraps its input as an archive member.
	for name, b := range npySeeds {
		npzSeeds["npy-"+name] = b
	}
	write := func(dir string, seeds map[string][]byte) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("testdata/fuzz/FuzzRead", npySeeds)
	write("testdata/fuzz/FuzzReadNPZ", npzSeeds)
}
