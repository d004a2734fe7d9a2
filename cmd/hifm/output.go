package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hifm-go/hifm/tensor/atomicfile"
)

// checkWritable fails early (before a long run) when path's directory does
// not exist or is not writable, or path is a directory.
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("-out %s is a directory; give a file name such as %s", path, filepath.Join(path, "lj13.npy"))
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".hifm-write-test-*")
	if err != nil {
		return fmt.Errorf("cannot write -out %s: %v (does the directory exist and is it writable?)", path, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// writeFileAtomic writes data to path atomically (readers never see a
// partial file).
func writeFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }

// The CLI writes JSON in one format, through these helpers: indented by
// two spaces, one trailing newline (the --json output, the config or
// report beside every output file, reproduce's results.json).

// marshalJSON encodes v in the CLI's JSON format.
func marshalJSON(v any) ([]byte, error) {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(js, '\n'), nil
}

// writeJSON writes v in the CLI's JSON format to w (stdout for --json).
func writeJSON(w io.Writer, v any) error {
	js, err := marshalJSON(v)
	if err != nil {
		return err
	}
	_, err = w.Write(js)
	return err
}

// writeSidecar writes v as the JSON config beside an output file (path) and,
// with asJSON, prints the same document on stdout; printed reports that it
// did, so that the caller prints nothing else.
func writeSidecar(stdout io.Writer, path string, v any, asJSON bool) (printed bool, err error) {
	js, err := writeJSONFile(path, v)
	if err != nil || !asJSON {
		return false, err
	}
	_, err = stdout.Write(js)
	return true, err
}

// writeJSONFile writes v in the CLI's JSON format to path atomically and
// returns the bytes written.
func writeJSONFile(path string, v any) ([]byte, error) {
	js, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, js); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return js, nil
}
