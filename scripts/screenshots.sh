#!/usr/bin/env bash
# Regenerates the user guide's screenshots (docs/images/*.png) from the
# running app: one real window per area on a virtual X display (Xvfb), with
# the demo's data (virtual printer, sample models, marketplace service).
# Run it again whenever an area changes; then look at the images.
#   bash scripts/screenshots.sh            # with .venv/bin/layerline
#   LAYERLINE_BIN=dist/layerline/layerline bash scripts/screenshots.sh   # the bundle
# Options (environment): SHOT_DELAY seconds to let an area fill (default 4).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${LAYERLINE_BIN:-.venv/bin/layerline}"
[ -x "$bin" ] || bash scripts/setup.sh >/dev/null
out="$root/docs/images"
mkdir -p "$out"
base="$(mktemp -d)"
trap 'rm -rf "$base"' EXIT
delay="${SHOT_DELAY:-4}"
export LAYERLINE_NO_KEYRING=1
unset QT_QPA_PLATFORM  # a real X server (Xvfb), not the offscreen platform

shot() {  # shot NAME [layerline options...]
    local name="$1"; shift
    printf '[screenshots] %s\n' "$name.png"
    xvfb-run -a -s "-screen 0 1400x900x24" \
        timeout 180 "$bin" --basedir "$base/demo" --demo --no-error-dialogs \
        --screenshot "$out/$name.png" --screenshot-delay "$delay" "$@" \
        >"$base/$name.log" 2>&1 || { cat "$base/$name.log" >&2; exit 1; }
}

# The first run fills the demo's base directory (sample models imported).
shot library --area library
shot printers --area printers
shot history --area history
shot marketplace --area marketplace
# The review screens (app/reviews_gui.py --screenshot-view).
for view in rewards outbox composer end-of-print wizard; do
    shot "review-$view" --screenshot-view "$view"
done
# The set-up guide (opens by itself on a first start; here asked for).
shot setup-guide --setup-guide --screenshot-delay 1
shot setup-printer --setup-guide printer --screenshot-delay 2
ls -l "$out"
