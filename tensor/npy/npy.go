// Package npy reads and writes NumPy .npy files and .npz archives of
// numeric arrays, using only the standard library.
//
// Every array is returned as float64 in row-major (C) order, whatever its
// stored numeric type: '<f8' and '<f4' (float32 is widened exactly), the
// integer types '|u1', '|i1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8'
// (64-bit integers above 2^53 round to the nearest float64) and '|b1', in
// either byte order. Arrays stored in Fortran order are transposed to C
// order on read. Anything else (object arrays, i.e. pickles; structured
// dtypes; strings; complex; float16; datetimes) is rejected with an error
// naming what was found. Files are written as '<f8' (or '<f4' with
// WriteFloat32) in format 1.0, byte-identical to numpy.save, or 2.0 when the
// header does not fit 1.0.
//
// The readers are meant for untrusted files: the header is parsed by a
// strict literal parser (nothing is evaluated), shapes are checked for
// overflow, and the data is checked against the bytes actually available
// (or read in bounded chunks when the size is unknown) before it is
// allocated, so a lying header cannot cause a huge allocation.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Array is an n-dimensional array of float64 in row-major (C) order.
// A 0-d array has Shape of length 0 and one element.
type Array struct {
	Shape []int
	Data  []float64
}

const (
	magic = "\x93NUMPY"
	// maxHeaderLen bounds the header dict. numpy itself refuses headers
	// over 10000 bytes by default; we allow more but not unbounded.
	maxHeaderLen = 1 << 20
	// maxDims is numpy 2's NPY_MAXDIMS.
	maxDims = 64
	// MaxElements bounds the element count of one array (2^34 float64 =
	// 128 GiB), a guard against overflow; memory is protected separately
	// by checking the data actually present.
	MaxElements = 1 << 34
	// chunkBytes is the read size when the data length is not known.
	chunkBytes = 1 << 16
	// align is numpy's ARRAY_ALIGN.
	align = 64
	// growthDigits is numpy's GROWTH_AXIS_MAX_DIGITS.
	growthDigits = 21
)

// ShapeLen returns the element count implied by Shape (1 for 0-d), or an error if
// a dimension is negative or the product overflows MaxElements.
func ShapeLen(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("npy: negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("npy: shape %v has more than %d elements", shape, int64(MaxElements))
		}
		n *= d
	}
	return n, nil
}

// validate checks that a is usable for writing.
func (a *Array) validate() error {
	if a == nil {
		return errors.New("npy: nil array")
	}
	if len(a.Shape) > maxDims {
		return fmt.Errorf("npy: %d dimensions, at most %d are supported", len(a.Shape), maxDims)
	}
	n, err := ShapeLen(a.Shape)
	if err != nil {
		return err
	}
	if n != len(a.Data) {
		return fmt.Errorf("npy: shape %v needs %d elements, Data has %d", a.Shape, n, len(a.Data))
	}
	return nil
}

// dtype describes one supported element type.
type dtype struct {
	descr string // as found in the file
	size  int
	order binary.ByteOrder
	kind  byte // 'f', 'i', 'u', 'b'
}

func (dt dtype) decode(dst []float64, src []byte) {
	o, s := dt.order, dt.size
	switch {
	case dt.kind == 'f' && s == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(o.Uint64(src[i*8:]))
		}
	case dt.kind == 'f' && s == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(o.Uint32(src[i*4:])))
		}
	case dt.kind == 'b':
		for i := range dst {
			dst[i] = 0
			if src[i] != 0 {
				dst[i] = 1
			}
		}
	case dt.kind == 'u' && s == 1:
		for i := range dst {
			dst[i] = float64(src[i])
		}
	case dt.kind == 'i' && s == 1:
		for i := range dst {
			dst[i] = float64(int8(src[i]))
		}
	case dt.kind == 'u' && s == 2:
		for i := range dst {
			dst[i] = float64(o.Uint16(src[i*2:]))
		}
	case dt.kind == 'i' && s == 2:
		for i := range dst {
			dst[i] = float64(int16(o.Uint16(src[i*2:])))
		}
	case dt.kind == 'u' && s == 4:
		for i := range dst {
			dst[i] = float64(o.Uint32(src[i*4:]))
		}
	case dt.kind == 'i' && s == 4:
		for i := range dst {
			dst[i] = float64(int32(o.Uint32(src[i*4:])))
		}
	case dt.kind == 'u' && s == 8:
		for i := range dst {
			dst[i] = float64(o.Uint64(src[i*8:]))
		}
	case dt.kind == 'i' && s == 8:
		for i := range dst {
			dst[i] = float64(int64(o.Uint64(src[i*8:])))
		}
	default:
		panic("npy: unreachable dtype " + dt.descr)
	}
}

const supportedDtypes = "supported: float64 '<f8', float32 '<f4', integers '|u1' '|i1' '<i2' '<u2' '<i4' '<u4' '<i8' '<u8', bool '|b1' (either byte order)"

// parseDescr maps a descr string to a dtype or explains why it is not
// supported.
func parseDescr(v pyValue) (dtype, error) {
	switch v.kind {
	case pyStr:
	case pyList:
		return dtype{}, fmt.Errorf("npy: structured dtype (record array with named fields) is not supported; %s", supportedDtypes)
	default:
		return dtype{}, fmt.Errorf("npy: 'descr' is a Python %s, want a dtype string", v.kind)
	}
	s := v.str
	if len(s) < 2 {
		if s == "O" {
			return dtype{}, fmt.Errorf("npy: dtype 'O' is an object array (pickled Python objects), which is not supported for safety; %s", supportedDtypes)
		}
		return dtype{}, fmt.Errorf("npy: unsupported dtype %q; %s", s, supportedDtypes)
	}
	bo, kind, sz := s[0], s[1], s[2:]
	size, err := strconv.Atoi(sz)
	if sz == "" {
		size, err = 0, nil
	}
	if err != nil || size < 0 {
		return dtype{}, fmt.Errorf("npy: malformed dtype %q; %s", s, supportedDtypes)
	}
	var what string
	switch kind {
	case 'O':
		what = "an object array (pickled Python objects), not supported for safety"
	case 'V':
		what = "a void/structured type"
	case 'U', 'S', 'a':
		what = "a string type"
	case 'c':
		what = "a complex type"
	case 'M', 'm':
		what = "a datetime/timedelta type"
	case 'f':
		if size != 4 && size != 8 {
			what = fmt.Sprintf("a %d-bit float", 8*size)
		}
	case 'i', 'u':
		if size != 1 && size != 2 && size != 4 && size != 8 {
			what = fmt.Sprintf("a %d-byte integer", size)
		}
	case 'b':
		if size != 1 {
			what = "a malformed bool"
		}
	default:
		what = "an unknown type"
	}
	if what != "" {
		return dtype{}, fmt.Errorf("npy: dtype %q is %s; %s", s, what, supportedDtypes)
	}
	dt := dtype{descr: s, size: size, kind: kind}
	switch bo {
	case '<':
		dt.order = binary.LittleEndian
	case '>':
		dt.order = binary.BigEndian
	case '|':
		if size != 1 {
			return dtype{}, fmt.Errorf("npy: dtype %q: byte order '|' is only valid for 1-byte types", s)
		}
		dt.order = binary.LittleEndian
	case '=':
		return dtype{}, fmt.Errorf("npy: dtype %q has native byte order '=', which a file cannot portably have; want '<' or '>'", s)
	default:
		return dtype{}, fmt.Errorf("npy: dtype %q has unknown byte order %q; want '<', '>' or '|'", s, bo)
	}
	return dt, nil
}

// header is the decoded header dict.
type header struct {
	dt      dtype
	fortran bool
	shape   []int
	n       int // element count
}

func decodeHeader(text string) (header, error) {
	var h header
	d, err := parseHeaderDict(text)
	if err != nil {
		return h, err
	}
	for _, k := range d.keys {
		switch k.str {
		case "descr", "fortran_order", "shape":
		default:
			return h, fmt.Errorf("npy: unexpected header key %q; want exactly 'descr', 'fortran_order', 'shape'", k.str)
		}
	}
	descr, ok1 := d.get("descr")
	fo, ok2 := d.get("fortran_order")
	shape, ok3 := d.get("shape")
	if !ok1 || !ok2 || !ok3 {
		return h, errors.New("npy: header lacks one of the keys 'descr', 'fortran_order', 'shape'")
	}
	if fo.kind != pyBool {
		return h, fmt.Errorf("npy: 'fortran_order' is a Python %s, want True or False", fo.kind)
	}
	h.fortran = fo.b
	if shape.kind != pyTuple {
		return h, fmt.Errorf("npy: 'shape' is a Python %s, want a tuple of ints", shape.kind)
	}
	if len(shape.items) > maxDims {
		return h, fmt.Errorf("npy: shape has %d dimensions, at most %d are supported", len(shape.items), maxDims)
	}
	h.shape = make([]int, len(shape.items))
	for i, it := range shape.items {
		if it.kind != pyInt {
			return h, fmt.Errorf("npy: shape entry %d is a Python %s, want an int", i, it.kind)
		}
		if it.num < 0 || it.num > MaxElements {
			return h, fmt.Errorf("npy: shape entry %d is %d, out of range", i, it.num)
		}
		h.shape[i] = int(it.num)
	}
	if h.n, err = ShapeLen(h.shape); err != nil {
		return h, err
	}
	if h.dt, err = parseDescr(descr); err != nil {
		return h, err
	}
	return h, nil
}

// sizer reports how many bytes remain in a reader, if that is known.
func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
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
	case *io.SectionReader:
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return v.Size() - pos
	}
	return -1
}

// Read reads one .npy array from r, consuming exactly its bytes (so several
// arrays can be read from one stream). See the package comment for the
// supported types.
func Read(r io.Reader) (*Array, error) {
	n := remaining(r)
	return readArray(r, n, false, n >= 0)
}

// readArray reads an array; avail is the number of bytes r holds (-1 when
// unknown). With exact, bytes after the array data are an error. With
// prealloc the data is allocated at once (avail is known to be present);
// otherwise it grows with the bytes actually read, and avail only serves
// for the early consistency checks.
func readArray(r io.Reader, avail int64, exact, prealloc bool) (*Array, error) {
	var pre [12]byte
	n, err := io.ReadFull(r, pre[:8])
	if k := min(n, 6); string(pre[:k]) != magic[:k] {
		return nil, badMagic(pre[:n])
	}
	if err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", truncated(err))
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	var prefix int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", truncated(err))
		}
		hlen, prefix = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", truncated(err))
		}
		hlen, prefix = int64(binary.LittleEndian.Uint32(pre[8:])), 12
	default:
		return nil, fmt.Errorf("npy: format version %d.%d is not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if minor != 0 {
		return nil, fmt.Errorf("npy: format version %d.%d is not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf("npy: header length %d exceeds the limit of %d bytes", hlen, maxHeaderLen)
	}
	if avail >= 0 {
		avail -= prefix
		if hlen > avail {
			return nil, fmt.Errorf("npy: truncated file: header says %d header bytes, only %d present", hlen, max(avail, 0))
		}
		avail -= hlen
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy: reading %d-byte header: %w", hlen, truncated(err))
	}
	h, err := decodeHeader(string(hb))
	if err != nil {
		return nil, err
	}
	nbytes := int64(h.n) * int64(h.dt.size)
	if avail >= 0 {
		if nbytes > avail {
			return nil, fmt.Errorf("npy: truncated file: shape %v of %s needs %d data bytes, only %d present", h.shape, h.dt.descr, nbytes, avail)
		}
		if exact && nbytes < avail {
			return nil, fmt.Errorf("npy: %d unexpected bytes after the data of shape %v of %s (header shape wrong?)", avail-nbytes, h.shape, h.dt.descr)
		}
	}
	data, err := readData(r, h.n, h.dt, prealloc && avail >= 0)
	if err != nil {
		return nil, fmt.Errorf("npy: shape %v of %s: %w", h.shape, h.dt.descr, err)
	}
	if exact && avail < 0 {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return nil, fmt.Errorf("npy: unexpected bytes after the data of shape %v of %s (header shape wrong?)", h.shape, h.dt.descr)
		}
	}
	if h.fortran && len(h.shape) > 1 {
		data = fortranToC(data, h.shape)
	}
	return &Array{Shape: h.shape, Data: data}, nil
}

// readData reads n elements. When the length is known to be present it
// allocates once; otherwise it grows with the data actually read.
func readData(r io.Reader, n int, dt dtype, known bool) ([]float64, error) {
	per := chunkBytes / dt.size
	var data []float64
	if known {
		data = make([]float64, n)
	} else {
		data = make([]float64, 0, min(n, per))
	}
	buf := make([]byte, min(n, per)*dt.size)
	for done := 0; done < n; {
		k := min(n-done, per)
		b := buf[:k*dt.size]
		if m, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("truncated data: got %d of %d bytes", int64(done)*int64(dt.size)+int64(m), int64(n)*int64(dt.size))
		}
		if !known {
			data = slices.Grow(data, k)[:done+k]
		}
		dt.decode(data[done:done+k], b)
		done += k
	}
	return data, nil
}

// fortranToC reorders column-major data to row-major.
func fortranToC(src []float64, shape []int) []float64 {
	dst := make([]float64, len(src))
	if len(src) == 0 {
		return dst
	}
	nd := len(shape)
	fstride := make([]int, nd)
	s := 1
	for j := range nd {
		fstride[j] = s
		s *= shape[j]
	}
	idx := make([]int, nd)
	f := 0
	for c := range dst {
		dst[c] = src[f]
		// Odometer over C order (last index fastest).
		for j := nd - 1; j >= 0; j-- {
			idx[j]++
			f += fstride[j]
			if idx[j] < shape[j] {
				break
			}
			f -= idx[j] * fstride[j]
			idx[j] = 0
		}
	}
	return dst
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated file")
	}
	return err
}

func badMagic(b []byte) error {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return errors.New("npy: this is a zip archive (.npz?), not an .npy file; use ReadNPZ")
	case len(b) > 0 && b[0] == 0x80:
		return errors.New("npy: this looks like a Python pickle, not an .npy file; pickles are not supported")
	}
	return fmt.Errorf("npy: not an .npy file (magic %q, want %q)", b[:min(len(b), 6)], magic)
}

// ReadFile reads the .npy file at path. Bytes after the array are an error,
// as they suggest a wrong shape in the header.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := remaining(f)
	a, err := readArray(f, n, true, n >= 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// headerBytes builds the full header (magic to '\n') as numpy.save does:
// keys sorted, growth padding on the first axis, total length a multiple of
// 64, version 1.0 unless the header length needs 2.0.
func headerBytes(descr string, shape []int) []byte {
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(descr)
	sb.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sb.WriteByte(',')
	}
	sb.WriteString("), }")
	if len(shape) > 0 {
		sb.WriteString(strings.Repeat(" ", max(0, growthDigits-len(strconv.Itoa(shape[0])))))
	}
	h := sb.String()
	hlen := len(h) + 1 // + '\n'
	major, lenSize := byte(1), 2
	if hlen+align-(len(magic)+2+2+hlen)%align > math.MaxUint16 {
		major, lenSize = 2, 4
	}
	pad := align - (len(magic)+2+lenSize+hlen)%align
	out := make([]byte, 0, len(magic)+2+lenSize+hlen+pad)
	out = append(out, magic...)
	out = append(out, major, 0)
	if lenSize == 2 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
	}
	out = append(out, h...)
	for range pad {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

// Write writes a as a '<f8' C-order .npy array to w. len(a.Data) must
// equal the product of a.Shape.
func Write(w io.Writer, a *Array) error {
	if err := a.validate(); err != nil {
		return err
	}
	if _, err := w.Write(headerBytes("<f8", a.Shape)); err != nil {
		return err
	}
	buf := make([]byte, 0, min(len(a.Data)*8, chunkBytes))
	for i, v := range a.Data {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		if len(buf) == cap(buf) || i == len(a.Data)-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// WriteFloat32 writes a as a '<f4' .npy array. Finite values outside the
// float32 range are an error rather than a silent infinity; other values
// are rounded to nearest.
func WriteFloat32(w io.Writer, a *Array) error {
	if err := a.validate(); err != nil {
		return err
	}
	for i, v := range a.Data {
		if f := float32(v); math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
			return fmt.Errorf("npy: element %d = %g overflows float32", i, v)
		}
	}
	if _, err := w.Write(headerBytes("<f4", a.Shape)); err != nil {
		return err
	}
	buf := make([]byte, 0, min(len(a.Data)*4, chunkBytes))
	for i, v := range a.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		if len(buf) == cap(buf) || i == len(a.Data)-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// WriteFile writes a to path as '<f8' atomically: the data goes to a
// temporary file in the same directory, which is synced and renamed over
// path, so readers never see a partial file.
func WriteFile(path string, a *Array) error {
	if err := a.validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicWrite(path, func(w io.Writer) error { return Write(w, a) })
}
