#!/usr/bin/env bash
# Sets up everything Layerline needs on a Debian 12 machine, idempotently:
#   1. the Debian libraries Qt needs (and Xvfb for a machine with no display),
#   2. a virtual environment in .venv/ with the project installed (editable).
# Source it or run it; scripts/run.sh and scripts/test.sh call it first.
# Options: --dev   also install the development extras (tests, linters).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

want_dev=0
for arg in "$@"; do
    case "$arg" in
        --dev) want_dev=1 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { printf '[setup] %s\n' "$*"; }

# ---------------------------------------------------------------- system ---
# Qt's xcb and offscreen platforms, fonts, Mesa for pyqtgraph's OpenGL view,
# Xvfb + xauth for a virtual display, PostgreSQL for the marketplace's tests.
apt_packages=(
    libgl1 libegl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3
    fonts-dejavu-core
    xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libxrandr2
    libgl1-mesa-dri
)
if [ "$want_dev" = 1 ]; then
    # prusa-slicer: the library tests slice with the real PrusaSlicer (Debian 2.5).
    # desktop-file-utils, appstream: scripts/test.sh validates packaging/'s
    # .desktop file and AppStream metainfo.
    apt_packages+=(postgresql prusa-slicer desktop-file-utils appstream)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${apt_packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        say "installing Debian packages with sudo: ${missing[*]}"
        sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        say "these Debian packages are missing and I cannot install them (not root):"
        echo "    sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
fi

# ---------------------------------------------------------------- python ---
python="${LAYERLINE_PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    say "Layerline needs Python 3.11 or newer; $python is $("$python" --version 2>&1)"
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    say "creating the virtual environment in .venv/"
    if ! "$python" -m venv .venv 2>/dev/null; then
        say "python3 -m venv failed; install the venv module:"
        echo "    sudo apt-get install -y python3-venv"
        exit 1
    fi
    .venv/bin/python -m pip install -q --upgrade pip
fi

# Reinstall only when pyproject.toml changed, or the dev extras are wanted
# and not installed yet.
stamp=".venv/.layerline-installed"
hash="$(sha256sum pyproject.toml | cut -c1-64)"
have=""
[ -f "$stamp" ] && have="$(cat "$stamp")"
need_install=1
if [ "$have" = "$hash dev" ] || { [ "$have" = "$hash base" ] && [ "$want_dev" = 0 ]; }; then
    need_install=0
fi
if [ "$need_install" = 1 ]; then
    extras=""
    [ "$want_dev" = 1 ] && extras="[dev]"
    say "installing Layerline${extras} into .venv/ (a few minutes the first time)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
    if [ "$want_dev" = 1 ]; then echo "$hash dev" > "$stamp"; else echo "$hash base" > "$stamp"; fi
fi
say "ready: .venv/bin/layerline"
