#!/usr/bin/env bash
# The test command. On a fresh Debian machine, as root, with nothing else done, it installs what
# the tests need (Debian packages, then the Python packages in ./.venv), and runs pytest, ruff and
# mypy. Extra arguments go to pytest, e.g. `scripts/test.sh -k redact`.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(tinyproxy squid dnsmasq tmux dbus-daemon)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then missing+=(python3 python3-venv); fi
if command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: please install: ${missing[*]}" >&2
        exit 1
    fi
    echo "test.sh: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts these daemons on install where it can; the tests run their own copies on loopback ports.
for svc in tinyproxy squid dnsmasq; do
    (command -v service >/dev/null 2>&1 && service "$svc" stop >/dev/null 2>&1) || true
done

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'

status=0
.venv/bin/python -m pytest "$@" || status=$?
echo "== ruff"
.venv/bin/ruff check . || status=1
echo "== mypy"
.venv/bin/mypy || status=1
exit "$status"
