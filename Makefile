# iotkernel: build, install, test, benchmark and demo.
#
#   make build     the binary ./iotkernel
#   make install   build, then install the kernelspec "iot" for this user
#   make test      install what the tests need, then run every test
#   make bench     benchmarks against the named peers, printed as ratios
#   make demo      build, install and run the tutorial notebooks
#
# Tests install the kernelspec into a private Jupyter data dir (.cache/),
# never into the user's.

GO        ?= go
PYTHON    ?= /usr/bin/python3
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN       := $(CURDIR)/iotkernel
CACHE     := $(CURDIR)/.cache
TEST_JUPYTER := $(CACHE)/jupyter-test
ARTIFACTS := $(CURDIR)/testdata/artifacts

export GOFLAGS ?= -mod=mod

.PHONY: all build install deps deps-boards test test-go test-jupyter bench demo clean

all: build

# Without cgo: nothing the kernel links needs C (the standard library's
# net and os/user have pure-Go paths), and a static executable maps no
# libc (1.3 MiB of resident memory) and builds the same with or without
# a C compiler.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .

install: build
	$(BIN) install --user

deps:
	scripts/install-deps.sh jupyter browser

deps-boards:
	@if [ -x scripts/install-boards.sh ]; then scripts/install-boards.sh; fi

# Everything needed, then every test. Go tests first (fast), then the real
# Jupyter clients against the kernelspec installed in a private data dir.
test: deps deps-boards build
	$(MAKE) --no-print-directory test-go test-jupyter

# -p 1 runs one package's tests at a time: the real boards (the micro:bit
# on QEMU above all, whose UART has a 64-byte buffer and no flow control)
# must not share two cores with the race-enabled tests of other packages.
# A plain `go test ./...` skips the tests of real boards it cannot find;
# here (and under CI=true) a missing board fails them.
# The test binaries are built on disk (GOTMPDIR), not in /tmp, which is
# a tmpfs on Debian since trixie: internal/trim's test needs an executable
# whose pages Linux can reclaim.
test-go:
	$(GO) vet ./...
	mkdir -p $(CACHE)/gotmp
	GOTMPDIR=$(CACHE)/gotmp IOTKERNEL_REQUIRE_REAL_BOARDS=1 $(GO) test -race -count=1 -p 1 -timeout 20m ./...
	cd third_party/zmq4 && $(GO) test -count=1 -timeout 10m .
	cd third_party/yaegi && $(GO) test -race -count=1 -timeout 10m ./interp

test-jupyter: build
	rm -rf $(TEST_JUPYTER) && mkdir -p $(TEST_JUPYTER) $(ARTIFACTS)
	JUPYTER_DATA_DIR=$(TEST_JUPYTER) $(BIN) install --user
	JUPYTER_DATA_DIR=$(TEST_JUPYTER) $(PYTHON) -c 'import jupyter_client.kernelspec as k; s = k.KernelSpecManager().find_kernel_specs(); assert "iot" in s, s; print("kernelspec iot at", s["iot"])'
	cd tests && JUPYTER_DATA_DIR=$(TEST_JUPYTER) IOTKERNEL_ARTIFACTS=$(ARTIFACTS) \
		$(PYTHON) -m pytest -v -p no:cacheprovider --durations=0 \
		test_*.py

# The board benchmarks (bench/boardbench) run the real MicroPython Unix
# port and mpremote that deps-boards installs, over an emulated 115200-baud
# line; BOARDBENCH_FLAGS=-quick makes them a one-run smoke test.
bench: deps deps-boards build
	$(GO) test -run '^$$' -bench ListBigValue -benchtime 5x -benchmem ./store/
	JUPYTER_DATA_DIR=$(TEST_JUPYTER) $(BIN) install --user
	JUPYTER_DATA_DIR=$(TEST_JUPYTER) GO=$(GO) scripts/install-peers.sh
	JUPYTER_DATA_DIR=$(TEST_JUPYTER) $(PYTHON) bench/kernel_bench.py --kernel iot --peers python3,gophernotes,gonb
	$(GO) test -run '^$$' -bench . -benchtime 20x ./transport/
	$(GO) test -run '^$$' -bench TrivialCellRoundTrip -benchtime 2000x ./kernel/
	$(GO) test -run '^$$' -bench TrivialCell -benchtime 300x ./host/
	$(GO) test -run '^$$' -bench NewInterp -benchtime 50x ./host/
	$(GO) test -run '^$$' -bench LongSession -benchtime 1x ./host/
	$(GO) test -run '^$$' -bench PlotLineRate -benchtime 5x ./router/
	$(GO) run ./bench/boardbench $(BOARDBENCH_FLAGS)

demo: deps build
	scripts/demo.sh

clean:
	rm -rf $(BIN) $(CACHE)/jupyter-test $(ARTIFACTS) out
