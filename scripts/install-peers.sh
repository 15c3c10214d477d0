#!/usr/bin/env bash
# Builds the other Go kernels that `make bench` compares iotkernel with,
# from the Go module proxy at pinned versions, and installs their
# kernelspecs into $JUPYTER_DATA_DIR (the benchmark's private data dir):
#
#   gophernotes  (gomacro interpreter)   kernelspec "gophernotes"
#   gonb         (compiles every cell)   kernelspec "gonb", with goimports
#
# Each is built in a scratch module under .cache/peers/<name> that
# requires it (and, for gophernotes, a golang.org/x/tools new enough for
# Go 1.26: v0.30.0 or newer). Nothing of theirs is committed. Idempotent:
# a binary already built at the pinned version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

GOPHERNOTES_VERSION=v0.7.5
GONB_VERSION=v0.11.1
XTOOLS_VERSION=v0.52.0

: "${JUPYTER_DATA_DIR:?install-peers: set JUPYTER_DATA_DIR to the private Jupyter data dir of the benchmark}"
GO=${GO:-go}
command -v "$GO" >/dev/null || { echo "install-peers: no go on PATH (Go is at /usr/local/go/bin on these machines)" >&2; exit 1; }

peers=$PWD/.cache/peers
bin=$peers/bin
mkdir -p "$bin"

# build NAME MODULE VERSION [EXTRA_MODULE@VERSION...] [-- EXTRA_PACKAGE...]
# builds MODULE's main package as NAME, and each EXTRA_PACKAGE beside it.
build() {
	local name=$1 pkg=$2 version=$3
	shift 3
	local stamp=$bin/.$name-$version
	if [ -x "$bin/$name" ] && [ -f "$stamp" ]; then
		return
	fi
	echo "install-peers: building $name $version from the Go module proxy"
	local dir=$peers/$name
	rm -rf "$dir" && mkdir -p "$dir"
	local extra_pkgs=() mods=()
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then shift; extra_pkgs=("$@"); break; fi
		mods+=("$1"); shift
	done
	{
		echo "module peers/$name"
		echo
		echo "go 1.26"
	} >"$dir/go.mod"
	{
		echo "//go:build tools"
		echo
		echo "package tools"
		echo
		for p in "$pkg" "${extra_pkgs[@]}"; do echo "import _ \"$p\""; done
	} >"$dir/tools.go"
	(
		cd "$dir"
		GOFLAGS=-mod=mod "$GO" get "$pkg@$version" "${mods[@]}"
		GOFLAGS=-mod=mod "$GO" mod tidy
		GOFLAGS=-mod=mod "$GO" build -o "$bin/$name" "$pkg"
		for p in "${extra_pkgs[@]}"; do
			GOFLAGS=-mod=mod "$GO" build -o "$bin/$(basename "$p")" "$p"
		done
	) || { echo "install-peers: could not build $name $version (see above)" >&2; exit 1; }
	touch "$stamp"
}

build gophernotes github.com/gopherdata/gophernotes "$GOPHERNOTES_VERSION" "golang.org/x/tools@$XTOOLS_VERSION"
build gonb github.com/janpfeifer/gonb "$GONB_VERSION" "golang.org/x/tools@$XTOOLS_VERSION" -- golang.org/x/tools/cmd/goimports

# gomacro (gophernotes' interpreter) predates generics in go/types: when
# it finds the Go 1.26 standard library's export data it panics at start
# (unsupported *types.TypeParam). With GOROOT pointing nowhere it finds
# none and uses the standard-library bindings compiled into it, which is
# how it runs for users without a Go toolchain.
# Kernelspecs written here rather than by each kernel's own installer, so
# they land in the private data dir with the exact command lines measured.
goroot_bin=$(dirname "$(command -v "$GO")")
mkdir -p "$peers/logs" "$JUPYTER_DATA_DIR/kernels/gophernotes" "$JUPYTER_DATA_DIR/kernels/gonb"
cat >"$JUPYTER_DATA_DIR/kernels/gophernotes/kernel.json" <<EOF
{"argv": ["$bin/gophernotes", "{connection_file}"], "display_name": "Go (gophernotes $GOPHERNOTES_VERSION)", "language": "go",
 "env": {"GOROOT": "/nonexistent", "PATH": "/usr/bin:/bin"}}
EOF
cat >"$JUPYTER_DATA_DIR/kernels/gonb/kernel.json" <<EOF
{"argv": ["$bin/gonb", "--kernel", "{connection_file}", "--logtostderr=false", "--log_dir=$peers/logs", "--stderrthreshold=FATAL", "--raw_error"],
 "display_name": "Go (gonb $GONB_VERSION)", "language": "go",
 "env": {"PATH": "$bin:$goroot_bin:/usr/local/bin:/usr/bin:/bin"}}
EOF
echo "install-peers: gophernotes $GOPHERNOTES_VERSION and gonb $GONB_VERSION in $bin, kernelspecs in $JUPYTER_DATA_DIR/kernels"
