#!/usr/bin/env bash
# Installs perspt from this checkout into its own virtual environment and links the `perspt`
# command into ~/.local/bin. On a fresh Debian machine as root it first installs python3-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    else
        echo "install.sh: Python 3.10+ with venv is needed (Debian: apt install python3-venv)" >&2
        exit 1
    fi
fi
VENV=${PERSPT_VENV:-$HOME/.local/share/perspt-venv}
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q .
mkdir -p "$HOME/.local/bin"
ln -sf "$VENV/bin/perspt" "$HOME/.local/bin/perspt"
echo "perspt installed: $HOME/.local/bin/perspt ($("$VENV/bin/perspt" --version))"
