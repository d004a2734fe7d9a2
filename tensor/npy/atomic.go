package npy

import (
	"io"

	"github.com/hifm-go/hifm/tensor/atomicfile"
)

// atomicWrite writes path atomically (temp file, sync, rename).
func atomicWrite(path string, write func(w io.Writer) error) error {
	return atomicfile.WriteFunc(path, write)
}
