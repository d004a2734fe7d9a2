package npy

import (
	"bytes"
	"io"
	"testing"
)

// Read and write speed on a 1M-element float64 array (8 MB) in memory.
func BenchmarkRead(b *testing.B) {
	a := fixture([]int{1000, 1000}, id)
	var buf bytes.Buffer
	if err := Write(&buf, a); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/elem")
}

// BenchmarkReadStream has no size hint, so it reads in 64 KiB chunks and
// grows the result as data arrives.
func BenchmarkReadStream(b *testing.B) {
	a := fixture([]int{1000, 1000}, id)
	var buf bytes.Buffer
	if err := Write(&buf, a); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(struct{ io.Reader }{bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/elem")
}

func BenchmarkWrite(b *testing.B) {
	a := fixture([]int{1000, 1000}, id)
	b.SetBytes(int64(8 * len(a.Data)))
	for b.Loop() {
		if err := Write(io.Discard, a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/elem")
}
