#!/usr/bin/env bash
# Sets everything up and starts Layerline on its embedded demo: its own base
# directory with sample models, the virtual printer and the marketplace on
# loopback.  Extra arguments go to `layerline`.
# With no display ($DISPLAY and $WAYLAND_DISPLAY unset) the app runs on a
# virtual display (Xvfb) and a screenshot of it is written to
# screenshots/layerline-demo.png; the app keeps running until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec .venv/bin/layerline --demo "$@"
fi
shot="$root/screenshots/layerline-demo.png"
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
echo "[run] no display: starting Layerline on a virtual display (Xvfb)"
xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/layerline --demo \
    --screenshot "$shot" --keep-running "$@" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' INT TERM EXIT
for _ in $(seq 1 120); do
    [ -s "$shot" ] && break
    kill -0 $pid 2>/dev/null || { echo "[run] Layerline exited early" >&2; wait $pid; exit 1; }
    sleep 0.5
done
if [ -s "$shot" ]; then
    echo "[run] Layerline is running; a screenshot of its window is at $shot"
else
    echo "[run] no screenshot after 60 s" >&2
fi
echo "[run] press Ctrl-C to stop it"
wait $pid
