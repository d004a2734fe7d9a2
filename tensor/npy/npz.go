package npy

import (
	"archive/zip"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// MaxNPZBytes bounds the total uncompressed size of the members of an .npz
// archive that ReadNPZ and ReadNPZFrom accept (a guard against zip bombs:
// a small compressed file that expands to more memory than the machine has).
// Raise it to read larger archives.
var MaxNPZBytes int64 = 8 << 30

// maxDeflateRatio is above deflate's theoretical maximum expansion (about
// 1032:1); a member claiming more is corrupt or hostile.
const maxDeflateRatio = 1100

// ReadNPZ reads all arrays of the .npz archive at path (as written by
// numpy.savez or numpy.savez_compressed), keyed by member name without the
// ".npy" suffix.
func ReadNPZ(path string) (map[string]*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	m, err := ReadNPZFrom(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadNPZFrom reads an .npz archive of size bytes from r. Members must be
// stored or deflated NAME.npy files; the declared sizes are checked against
// MaxNPZBytes and against what the compressed data can hold before anything
// is decompressed.
func ReadNPZFrom(r io.ReaderAt, size int64) (map[string]*Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath concerns extraction to disk, which we never do.
		return nil, fmt.Errorf("npz: not a valid zip archive: %w", err)
	}
	var total uint64
	for _, f := range zr.File {
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("npz: member %q uses compression method %d; only stored (0) and deflate (8) are supported", f.Name, f.Method)
		}
		if f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64 {
			return nil, fmt.Errorf("npz: stored member %q has compressed size %d != uncompressed size %d (corrupt archive)", f.Name, f.CompressedSize64, f.UncompressedSize64)
		}
		if f.CompressedSize64 > uint64(size) {
			return nil, fmt.Errorf("npz: member %q claims %d compressed bytes in a %d-byte archive (corrupt archive)", f.Name, f.CompressedSize64, size)
		}
		if f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64+1024 {
			return nil, fmt.Errorf("npz: member %q claims %d bytes from %d compressed bytes, more than deflate can produce (corrupt archive or zip bomb)", f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
		total += f.UncompressedSize64
		if total > uint64(MaxNPZBytes) {
			return nil, fmt.Errorf("npz: members expand to more than the limit of %d bytes (npy.MaxNPZBytes); refusing (zip bomb?)", MaxNPZBytes)
		}
	}
	if err := checkOverlap(zr.File, size); err != nil {
		return nil, err
	}
	out := make(map[string]*Array, len(zr.File))
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, fmt.Errorf("npz: member %q is not a NAME.npy array", f.Name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("npz: duplicate member %q", f.Name)
		}
		a, err := readMember(f)
		if err != nil {
			return nil, fmt.Errorf("npz: member %q: %w", f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}

// checkOverlap rejects members whose data overlap or run past the end of
// the archive: overlapping entries are how small zip files expand to huge
// totals without any single member looking suspicious.
func checkOverlap(files []*zip.File, size int64) error {
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("npz: member %q: %w", f.Name, err)
		}
		end := off + int64(f.CompressedSize64)
		if off < 0 || end < off || end > size {
			return fmt.Errorf("npz: member %q data [%d, %d) lies outside the %d-byte archive (truncated or corrupt)", f.Name, off, end, size)
		}
		spans = append(spans, span{off, end, f.Name})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return fmt.Errorf("npz: members %q and %q share data (overlapping entries: corrupt archive or zip bomb)", spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

func readMember(f *zip.File) (*Array, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The declared size is checked against the npy header before any data
	// is read, but trusted for preallocation only when the stored bytes are
	// known to be in the archive; deflated data is read in chunks, and zip
	// checks that exactly the declared size comes out, with the right CRC.
	a, err := readArray(rc, int64(f.UncompressedSize64), true, f.Method == zip.Store)
	if err != nil {
		return nil, err
	}
	// Reach EOF so that the zip reader verifies the CRC-32.
	var one [1]byte
	if n, err := io.ReadFull(rc, one[:]); n > 0 {
		return nil, errors.New("unexpected bytes after the array data")
	} else if err != io.EOF {
		return nil, err
	}
	return a, nil
}

// zipTime is the fixed modification time of written members, so equal
// inputs give identical archives.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteNPZ writes arrays to path as an uncompressed .npz archive (like
// numpy.savez), atomically. names gives the member order; every name must be
// a key of arrays and every key must be named. Members are "NAME.npy".
func WriteNPZ(path string, names []string, arrays map[string]*Array) error {
	if err := checkNPZ(names, arrays); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicWrite(path, func(w io.Writer) error { return writeNPZ(w, names, arrays, zip.Store) })
}

// WriteNPZCompressed is WriteNPZ with deflate (like numpy.savez_compressed).
func WriteNPZCompressed(path string, names []string, arrays map[string]*Array) error {
	if err := checkNPZ(names, arrays); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicWrite(path, func(w io.Writer) error { return writeNPZ(w, names, arrays, zip.Deflate) })
}

// WriteNPZTo writes an uncompressed .npz archive to w; see WriteNPZ.
func WriteNPZTo(w io.Writer, names []string, arrays map[string]*Array) error {
	if err := checkNPZ(names, arrays); err != nil {
		return err
	}
	return writeNPZ(w, names, arrays, zip.Store)
}

func checkNPZ(names []string, arrays map[string]*Array) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || strings.ContainsRune(n, 0) {
			return fmt.Errorf("npz: invalid array name %q", n)
		}
		if seen[n] {
			return fmt.Errorf("npz: array name %q given twice", n)
		}
		seen[n] = true
		a, ok := arrays[n]
		if !ok {
			return fmt.Errorf("npz: no array for name %q", n)
		}
		if err := a.validate(); err != nil {
			return fmt.Errorf("array %q: %w", n, err)
		}
	}
	for k := range arrays {
		if !seen[k] {
			return fmt.Errorf("npz: array %q is not in the names list", k)
		}
	}
	return nil
}

func writeNPZ(w io.Writer, names []string, arrays map[string]*Array, method uint16) error {
	zw := zip.NewWriter(w)
	for _, n := range names {
		mw, err := zw.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: method, Modified: zipTime})
		if err != nil {
			return err
		}
		if err := Write(mw, arrays[n]); err != nil {
			return err
		}
	}
	return zw.Close()
}
