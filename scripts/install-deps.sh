#!/usr/bin/env bash
# Installs what `make test`, `make bench` and `make demo` need on a fresh
# Debian machine (as root), and says clearly what is missing where it
# cannot install. Idempotent: a second run installs nothing.
#
#   scripts/install-deps.sh [jupyter] [browser]
#
# "jupyter" (the default) installs Debian's Jupyter client, conformance
# suite, nbclient, nbconvert, ipykernel (the benchmark's peer), pytest, and
# jupyter-console with tmux to drive it as a user types, and ser2net (an
# RFC 2217 server the transport's rfc2217:// tests start).
# "browser" adds Chromium and the Notebook server for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(jupyter)

pkgs=()
for w in "${want[@]}"; do
	case "$w" in
	jupyter)
		pkgs+=(jupyter-client python3-jupyter-kernel-test python3-nbclient jupyter-nbconvert
			python3-nbformat python3-ipykernel python3-pytest python3-zmq python3-psutil openssl make
			jupyter-console tmux ser2net)
		;;
	browser)
		pkgs+=(chromium jupyter-notebook)
		;;
	*)
		echo "install-deps: unknown group $w (use jupyter or browser)" >&2
		exit 2
		;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
		echo "install-deps: missing Debian packages: ${missing[*]}" >&2
		echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	SUDO=""
	[ "$(id -u)" != 0 ] && SUDO=sudo
	if ! command -v apt-get >/dev/null; then
		echo "install-deps: no apt-get here; install by hand: ${missing[*]}" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	# Update the package lists once per machine (or when they are a day old).
	if [ ! -f /var/lib/apt/lists/lock ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
		$SUDO apt-get update -q || { echo "install-deps: apt-get update failed" >&2; exit 1; }
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		{ echo "install-deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }

fi

if ! command -v go >/dev/null; then
	echo "install-deps: Go is not on PATH (expected /usr/local/go/bin/go); install Go 1.24 or newer" >&2
	exit 1
fi
go mod download
echo "install-deps: ok (${want[*]})"
