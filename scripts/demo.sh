#!/usr/bin/env bash
# demo.sh runs the socket tutorial (notebooks/) headless, cell by cell, on
# the iot kernel, and writes the executed notebooks to out/. `make demo`
# calls it after building ./iotkernel and installing the kernelspec.
#
# It installs what is missing (Debian's Jupyter, the simulated board), then
# makes the board name "esp32" resolve through a boards file private to the
# demo (.cache/demo/boards.json): to the ESP32 on a serial port when one is
# plugged in, else to "local", MicroPython's Unix port run as a network
# board. With the simulated board, servers on 127.0.0.1 stand in for the
# internet hosts of the notebooks; a real ESP32 (on Wi-Fi, from its boot.py)
# talks to the real ones.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PY=/usr/bin/python3 # Debian's Python: the one that has Jupyter
DEMO=$REPO/.cache/demo
say() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

[ -x ./iotkernel ] || die "./iotkernel is missing: run make demo (or make build first)"

# ---- Jupyter ---------------------------------------------------------------
if ! "$PY" -c 'import nbclient, nbformat, jupyter_client' 2>/dev/null; then
	say "installing Debian's Jupyter (scripts/install-deps.sh jupyter)"
	scripts/install-deps.sh jupyter || die "could not install Jupyter; see above"
fi
command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"

# To open the notebooks afterwards (the demo itself runs them headless).
if [ ! -x /usr/bin/jupyter-notebook ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing Debian's Jupyter Notebook (apt-get install jupyter-notebook)"
		if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' 2>/dev/null | head -1)" ]; then
			apt-get update -q || die "apt-get update failed"
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends jupyter-notebook ||
			say "could not install jupyter-notebook; the demo runs without it"
	else
		say "jupyter-notebook is missing (apt-get install jupyter-notebook); the demo runs without it"
	fi
fi

# ---- the kernelspec ----------------------------------------------------------
# Always (re)installed, so that it names this ./iotkernel.
say "installing the kernelspec iot for this user"
./iotkernel install --user
"$PY" -c 'import jupyter_client.kernelspec as k, sys; s = k.KernelSpecManager().find_kernel_specs(); sys.exit(None if "iot" in s else "Jupyter does not see the kernelspec iot: %s" % s)' ||
	die "the kernelspec iot is not visible to Jupyter"

# ---- the board ---------------------------------------------------------------

# esp32_port prints the first serial device whose USB VID:PID is an ESP32's
# (Espressif's native USB 303a:*, or the usual USB-UART bridges: CP210x
# 10c4:ea60, CH340 1a86:7523, CH9102 1a86:55d4).
esp32_port() {
	local tty dev id
	for tty in /sys/class/tty/ttyUSB* /sys/class/tty/ttyACM*; do
		[ -e "$tty/device" ] || continue
		dev=$(readlink -f "$tty/device")
		while [ "$dev" != / ] && [ ! -f "$dev/idVendor" ]; do dev=$(dirname "$dev"); done
		[ -f "$dev/idVendor" ] || continue
		id="$(cat "$dev/idVendor"):$(cat "$dev/idProduct")"
		case "$id" in
		303a:* | 10c4:ea60 | 1a86:7523 | 1a86:55d4)
			echo "/dev/$(basename "$tty")"
			return 0
			;;
		esac
	done
	return 1
}

mkdir -p "$DEMO"
runargs=()
if port=$(esp32_port); then
	say "found an ESP32 on $port: the notebooks run on it and talk to the internet"
	say "(its boot.py must join your Wi-Fi; /dev/serial/by-id/ names it: $(ls /dev/serial/by-id/ 2>/dev/null | tr '\n' ' '))"
	url="serial://$port"
	runargs+=(--internet)
else
	export IOTKERNEL_MICROPYTHON=${IOTKERNEL_MICROPYTHON:-$REPO/.cache/boards/trixie/micropython}
	if [ ! -x "$IOTKERNEL_MICROPYTHON" ]; then
		say "installing the simulated board (scripts/install-boards.sh)"
		# It also installs boards the demo does not need; only the Unix
		# port matters here, checked just below.
		scripts/install-boards.sh || true
	fi
	[ -x "$IOTKERNEL_MICROPYTHON" ] ||
		die "no MicroPython Unix port at $IOTKERNEL_MICROPYTHON (run scripts/install-boards.sh as root)"
	say "no ESP32 plugged in: esp32 is MicroPython's Unix port ($IOTKERNEL_MICROPYTHON)"
	url=local
fi
printf '{"esp32": "%s"}\n' "$url" >"$DEMO/boards.json"
export IOTKERNEL_BOARDS=$DEMO/boards.json
# The tutorial stores a private key for a moment: keep it out of the user's store.
rm -f "$DEMO/store.json"
export IOTKERNEL_STORE=$DEMO/store.json

# ---- run ---------------------------------------------------------------------
say "running the tutorial notebooks, cell by cell"
status=0
"$PY" scripts/run_tutorial.py --out "$REPO/out" "${runargs[@]}" || status=$?
# The secure-server notebook removes its key from the store itself; a run
# that failed halfway may not have.
rm -f "$DEMO/store.json"

# Debian's jupyter, even when another one comes first on PATH.
jupyter=jupyter
if [ "$(command -v jupyter)" != /usr/bin/jupyter ] && [ -x /usr/bin/jupyter ]; then
	jupyter=/usr/bin/jupyter
fi
cat <<EOF

The executed notebooks, with this run's outputs, are in out/. To open the
notebooks yourself in Jupyter Notebook, with the same board:

  IOTKERNEL_BOARDS=$DEMO/boards.json${IOTKERNEL_MICROPYTHON:+ IOTKERNEL_MICROPYTHON=$IOTKERNEL_MICROPYTHON} $jupyter notebook notebooks/

Each notebook's first cell names the board and the servers it talks to:
internet hosts by default, which a board without Wi-Fi cannot reach; point
HOST there at a server it can reach.
EOF
exit $status
