# hifm — see README.md. Every target works on a fresh machine with Go 1.26.
# -buildvcs=auto: embed the git revision (config.json records it) even when
# the environment sets GOFLAGS=-buildvcs=false.
GO      ?= go
PKGS    ?= ./...
BENCH   ?= .
TESTFLAGS ?= -count=1 -timeout 15m

.PHONY: all build test vet bench demo reproduce figures test-slurm clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -o bin/hifm ./cmd/hifm

vet:
	$(GO) vet $(PKGS)

# The whole suite three ways, all without cgo: assembly kernels (when the
# CPU has them), no assembly compiled at all (purego), and the generic set
# forced at run time.
test: vet
	$(GO) mod download
	CGO_ENABLED=0 $(GO) build $(PKGS)
	CGO_ENABLED=0 $(GO) test $(TESTFLAGS) $(PKGS)
	CGO_ENABLED=0 $(GO) test $(TESTFLAGS) -tags purego $(PKGS)
	CGO_ENABLED=0 HIFM_KERNELS=generic $(GO) test $(TESTFLAGS) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(PKGS)

# The main job on a built-in default (no downloads beyond Go modules).
demo: build
	./bin/hifm demo

# Both tables of the paper at the small budget (each < 45 min on 2 cores),
# with the figures, into out/table1 and out/table2.
reproduce: build
	./bin/hifm reproduce table2 -budget small -out out/table2
	./bin/hifm reproduce table1 -budget small -out out/table1

# The pictures of docs/MATH.md "Seeing it" (hifm explain -example, about
# 20 s on 2 cores; the trajectories are subsampled to keep the SVGs small).
figures: build
	mkdir -p docs/figures
	./bin/hifm explain -example well -paths 16 -out docs/figures > /dev/null
	./bin/hifm explain -example ring -paths 16 -train -out docs/figures > /dev/null

# Opt-in, needs root: a real slurmctld/slurmd on localhost runs Table 2 at
# the smoke budget as a 3-task job array plus the merge job and checks the
# merged table against an unsharded run (deploy/slurm/test.sh).
test-slurm:
	bash deploy/slurm/test.sh

clean:
	rm -rf bin
	$(GO) clean -testcache
