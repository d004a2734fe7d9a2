package idx

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/tensor/golden"
)

// FuzzIDX: any input gives data or an error, never a panic; sized and
// streamed readers agree; what parses survives Write→Read unchanged.
// Seeds are in testdata/fuzz/FuzzIDX (TestWriteFuzzSeeds -update).
// Fuzz with `go test -fuzz=FuzzIDX -fuzztime=60s ./tensor/idx`.
func FuzzIDX(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d1, err1 := Read(bytes.NewReader(data))
		d2, err2 := Read(struct{ io.Reader }{bytes.NewReader(data)})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("sized and streamed readers disagree: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if !cmp.Equal(d1, d2) {
			t.Fatal("sized and streamed readers give different data")
		}
		n := 1
		for _, x := range d1.Dims {
			n *= x
		}
		if n != len(d1.Bytes) {
			t.Fatalf("dims %v with %d bytes", d1.Dims, len(d1.Bytes))
		}
		var b bytes.Buffer
		if err := Write(&b, d1); err != nil {
			t.Fatalf("Write of parsed data: %v", err)
		}
		back, err := Read(&b)
		if err != nil {
			t.Fatalf("Read of written data: %v", err)
		}
		if !cmp.Equal(d1, back) {
			t.Fatal("Write→Read changed the data")
		}
	})
}

func TestWriteFuzzSeeds(t *testing.T) {
	if !*golden.Update {
		t.Skip("run with -update to rewrite testdata/fuzz/")
	}
	seeds := map[string][]byte{
		"images":    raw(8, []uint32{2, 3, 4}, seq(24)),
		"labels":    raw(8, []uint32{5}, []byte{7, 2, 1, 0, 4}),
		"images-gz": gz(raw(8, []uint32{2, 3, 4}, seq(24))),
		"empty-set": raw(8, []uint32{0, 28, 28}, nil),
	}
	for _, c := range badInputs {
		seeds["bad-"+c.name] = c.data
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzIDX")
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
