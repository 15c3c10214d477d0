#!/bin/bash
# install-boards.sh installs the real MicroPython builds that the transport
# tests run against (package transport/realboard starts them):
#
#   1. the BBC micro:bit firmware on QEMU's emulated nRF51 (Debian 12),
#   2. MicroPython 1.27 compiled to WebAssembly (npm), made a board by
#      scripts/wasm-board/bridge.mjs,
#   3. MicroPython 1.25 for Unix from Debian 13, run with Debian 13's own
#      loader and libraries, and mpremote 1.24 (the official host tool),
#   4. the same MicroPython built from Debian 13's source package with
#      WebREPL and dupterm (MicroPython's own WebREPL, for ws:// tests).
#
# Run it as root on Debian 12. It is idempotent: what is already there is
# kept. Downloads are cached in $REPO/.cache/boards (gitignored). When it
# cannot install something it says what is missing and exits non-zero.
#
# Afterwards these variables locate the boards (the tests default to them):
#   IOTKERNEL_MICROBIT_FIRMWARE  the micro:bit firmware.hex
#   IOTKERNEL_MICROPYTHON        the Unix port (a wrapper script)
#   IOTKERNEL_WASM_BRIDGE        the Node bridge of the WebAssembly port
#   IOTKERNEL_MPREMOTE           mpremote (a wrapper script)
#   IOTKERNEL_WEBREPL_MICROPYTHON  the Unix port with WebREPL
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=$REPO/.cache/boards
TRIXIE=$CACHE/trixie
WASM=$REPO/scripts/wasm-board
FIRMWARE=/usr/share/firmware-microbit-micropython/firmware.hex

missing=()
updated=no

say() { printf 'install-boards: %s\n' "$*"; }
miss() {
	missing+=("$*")
	say "MISSING: $*"
}

# apt_update runs apt-get update at most once per run, and only when a
# package we need has no candidate (a fresh machine has empty lists).
apt_update() {
	[ "$updated" = yes ] && return 0
	updated=yes
	say "apt-get update"
	apt-get update -qq
}

# deb_installed reports whether a Debian package is installed.
deb_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# deb_install installs the named Debian packages that are not yet installed.
deb_install() {
	local want=() p
	for p in "$@"; do
		deb_installed "$p" || want+=("$p")
	done
	[ ${#want[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		miss "Debian packages ${want[*]} (run as root: apt-get install ${want[*]})"
		return 1
	fi
	for p in "${want[@]}"; do
		if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			apt_update
			break
		fi
	done
	for p in "${want[@]}"; do
		if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			miss "Debian package $p has no installation candidate (apt-cache policy $p)"
			return 1
		fi
	done
	say "apt-get install ${want[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}"; then
		miss "apt-get install ${want[*]} failed"
		return 1
	fi
}

# ---- 1. micro:bit on QEMU ----------------------------------------------
install_microbit() {
	deb_install qemu-system-arm firmware-microbit-micropython || return
	[ -f "$FIRMWARE" ] || miss "micro:bit firmware $FIRMWARE (package firmware-microbit-micropython)"
	command -v qemu-system-arm >/dev/null || miss "qemu-system-arm on PATH"
}

# ---- 2. MicroPython WebAssembly ------------------------------------------
install_wasm() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		deb_install nodejs npm || return
	fi
	local pkg=$WASM/node_modules/@micropython/micropython-webassembly-pyscript
	local stamp=$WASM/node_modules/.iotkernel-lock
	if [ -f "$pkg/package.json" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$WASM/package-lock.json"; then
		return 0
	fi
	say "npm ci in scripts/wasm-board"
	if ! (cd "$WASM" && npm ci --no-audit --no-fund --loglevel=error); then
		miss "npm package @micropython/micropython-webassembly-pyscript (cd scripts/wasm-board && npm ci)"
		return 1
	fi
	cp "$WASM/package-lock.json" "$stamp"
}

# ---- 3. MicroPython 1.25 Unix port from Debian 13 -------------------------

# trixie_mirror prints the Debian archive URI the system's own apt uses, so
# that the private trixie sources list reaches the same mirror.
trixie_mirror() {
	local uri
	uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | head -n1)
	if [ -z "$uri" ]; then
		uri=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			grep -v -- '-security' | sed 's/\[[^]]*\]//' | awk '{print $2}' | head -n1)
	fi
	printf '%s\n' "$uri"
}

TRIXIE_DEBS=(micropython libc6 libffi8 libmbedcrypto16 libmbedtls21 libmbedx509-7 micropython-mpremote)

install_trixie() {
	local root=$TRIXIE/root apt=$TRIXIE/apt debs=$TRIXIE/debs
	local stamp=$TRIXIE/.unpacked
	if [ ! -f "$stamp" ]; then
		local mirror
		mirror=$(trixie_mirror)
		if [ -z "$mirror" ]; then
			miss "a Debian mirror in /etc/apt/sources.list* to fetch trixie packages from"
			return 1
		fi
		mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs"
		printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
			"$mirror" >"$apt/sources.list"
		local opts=(
			-o "Dir::Etc::sourcelist=$apt/sources.list"
			-o "Dir::Etc::sourceparts=-"
			-o "Dir::State::Lists=$apt/lists"
			-o "Dir::Cache=$apt/cache"
			-o "APT::Get::List-Cleanup=0"
		)
		local need=() p
		for p in "${TRIXIE_DEBS[@]}"; do
			compgen -G "$debs/${p}_*.deb" >/dev/null || need+=("$p")
		done
		if [ ${#need[@]} -gt 0 ]; then
			say "fetching Debian 13 packages ${need[*]}"
			if ! apt-get "${opts[@]}" update -qq; then
				miss "apt-get update of the private trixie sources ($apt/sources.list)"
				return 1
			fi
			if ! (cd "$debs" && apt-get "${opts[@]}" download "${need[@]}"); then
				miss "Debian 13 packages ${need[*]} (apt-get download failed)"
				return 1
			fi
		fi
		rm -rf "$root"
		mkdir -p "$root"
		local deb
		for deb in "$debs"/*.deb; do
			dpkg -x "$deb" "$root" || {
				miss "unpacking $deb"
				return 1
			}
		done
		touch "$stamp"
	fi

	local loader libdir
	loader=$(compgen -G "$root/usr/lib/*-linux-gnu/ld-linux*.so.*" | head -n1)
	[ -n "$loader" ] || loader=$(compgen -G "$root/lib64/ld-linux*.so.*" | head -n1)
	if [ -z "$loader" ] || [ ! -x "$root/usr/bin/micropython" ]; then
		miss "Debian 13 micropython or its loader in $root (delete $TRIXIE and rerun)"
		return 1
	fi
	libdir=$(dirname "$loader")
	# The wrapper execs the loader so that signals (SIGINT from a pty's
	# Ctrl-C) and stdin/stdout reach MicroPython directly.
	cat >"$TRIXIE/micropython.new" <<EOF
#!/bin/sh
# MicroPython 1.25 (Debian 13) through Debian 13's own loader; written by
# scripts/install-boards.sh.
exec "$loader" --library-path "$libdir" "$root/usr/bin/micropython" "\$@"
EOF
	chmod +x "$TRIXIE/micropython.new"
	mv "$TRIXIE/micropython.new" "$TRIXIE/micropython"

	# mpremote is pure Python; Debian 12's python3 runs it with pyserial.
	deb_install python3 python3-serial || true
	if [ -d "$root/usr/lib/python3/dist-packages/mpremote" ]; then
		cat >"$TRIXIE/mpremote.new" <<EOF
#!/bin/sh
# mpremote from Debian 13, run by Debian's python3 with python3-serial;
# written by scripts/install-boards.sh.
PYTHONPATH="$root/usr/lib/python3/dist-packages\${PYTHONPATH:+:\$PYTHONPATH}" exec /usr/bin/python3 -m mpremote "\$@"
EOF
		chmod +x "$TRIXIE/mpremote.new"
		mv "$TRIXIE/mpremote.new" "$TRIXIE/mpremote"
	else
		miss "mpremote in $root/usr/lib/python3/dist-packages (package micropython-mpremote)"
	fi
}

# ---- 4. MicroPython 1.25 with WebREPL, built from Debian 13's source ------

# The Unix port of Debian 13's source package, built as debian/rules does
# but with MicroPython's WebREPL (extmod/modwebrepl.c) and os.dupterm, and
# without the TLS and btree libraries, which Debian 12 lacks in the
# versions 1.25 wants (the WebREPL board needs neither). The build takes a
# few minutes on two cores; the binary is kept.
install_webrepl() {
	local dir=$CACHE/webrepl bin=$CACHE/webrepl/micropython
	[ -x "$bin" ] && return 0
	deb_install build-essential libffi-dev pkg-config python3 dpkg-dev || return
	local apt=$dir/apt src=$dir/src mirror
	mirror=$(trixie_mirror)
	if [ -z "$mirror" ]; then
		miss "a Debian mirror in /etc/apt/sources.list* to fetch the trixie micropython source from"
		return 1
	fi
	mkdir -p "$apt/lists/partial" "$src"
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
		"$mirror" >"$apt/sources.list"
	local opts=(
		-o "Dir::Etc::sourcelist=$apt/sources.list"
		-o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt/lists"
		-o "APT::Get::List-Cleanup=0"
	)
	if ! compgen -G "$src/micropython_*.dsc" >/dev/null; then
		say "fetching the Debian 13 micropython source package"
		if ! apt-get "${opts[@]}" update -qq || ! (cd "$src" && apt-get "${opts[@]}" source --download-only micropython); then
			miss "the Debian 13 micropython source package (apt-get source failed)"
			return 1
		fi
	fi
	if [ ! -d "$src/tree/ports/unix" ]; then
		rm -rf "$src/tree"
		if ! (cd "$src" && dpkg-source --no-check -x micropython_*.dsc tree >/dev/null); then
			miss "unpacking the micropython source package in $src"
			return 1
		fi
	fi
	say "building MicroPython with WebREPL (a few minutes; log in $src/build.log)"
	if ! (cd "$src/tree" &&
		nice -n 10 make -C mpy-cross -j"$(nproc)" &&
		nice -n 10 make -C ports/unix -j"$(nproc)" \
			FROZEN_MANIFEST=../../debian/config/manifest.py \
			MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=0 MICROPY_PY_SSL=0 \
			MICROPY_PY_BTREE=0 MICROPY_PY_FFI=1 MICROPY_PY_JNI=0 STRIP=true \
			CFLAGS_EXTRA="-DMICROPY_PY_WEBREPL=1 -DMICROPY_PY_OS_DUPTERM=1 -Wno-error=sign-compare") \
		>"$src/build.log" 2>&1; then
		miss "building MicroPython with WebREPL (see $src/build.log)"
		return 1
	fi
	cp "$src/tree/ports/unix/build-standard/micropython" "$bin.new" && mv "$bin.new" "$bin"
}

# ---- checks: each board answers ------------------------------------------
check() {
	local out
	if [ -x "$TRIXIE/micropython" ]; then
		out=$("$TRIXIE/micropython" -c 'import sys; print(sys.implementation.version)' 2>&1)
		if [[ $out == *"(1, 25"* ]]; then
			say "ok: Unix port $TRIXIE/micropython answers $out"
		else
			miss "the Unix port does not run: $out"
		fi
	fi
	if [ -x "$TRIXIE/mpremote" ]; then
		if out=$("$TRIXIE/mpremote" --version 2>&1); then
			say "ok: $out"
		else
			miss "mpremote does not run: $out"
		fi
	fi
	if [ -x "$CACHE/webrepl/micropython" ]; then
		out=$("$CACHE/webrepl/micropython" -c 'import _webrepl, websocket, os; print(hasattr(os, "dupterm"))' 2>&1)
		if [[ $out == True ]]; then
			say "ok: Unix port with WebREPL $CACHE/webrepl/micropython"
		else
			miss "the Unix port with WebREPL does not run: $out"
		fi
	fi
	if [ -f "$WASM/node_modules/@micropython/micropython-webassembly-pyscript/package.json" ]; then
		out=$(printf '\x01print(1+1)\x04' | timeout 20 node "$WASM/bridge.mjs" 2>&1)
		if [[ $out == *"OK2"* ]]; then
			say "ok: WebAssembly board scripts/wasm-board/bridge.mjs runs code"
		else
			miss "the WebAssembly board does not run code: $(printf '%q' "$out")"
		fi
	fi
}

mkdir -p "$CACHE"
install_microbit
install_wasm
install_trixie
install_webrepl
check

cat <<EOF

Boards (defaults of the tests; set these to use others):
  IOTKERNEL_MICROBIT_FIRMWARE=$FIRMWARE
  IOTKERNEL_MICROPYTHON=$TRIXIE/micropython
  IOTKERNEL_WASM_BRIDGE=$WASM/bridge.mjs
  IOTKERNEL_MPREMOTE=$TRIXIE/mpremote
  IOTKERNEL_WEBREPL_MICROPYTHON=$CACHE/webrepl/micropython
EOF

if [ ${#missing[@]} -gt 0 ]; then
	echo
	say "NOT COMPLETE; missing:"
	printf '  - %s\n' "${missing[@]}"
	exit 1
fi
say "all boards installed"
