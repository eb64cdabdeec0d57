#!/usr/bin/env bash
# Smoke test of the built bundle (packaging/build.sh first): with no Python
# on its path, the frozen program must
#   1. print its version;
#   2. run a sub-command that uses the database and its migrations (info),
#      and an import that runs the library's spawned worker processes;
#   3. open the window offscreen with --temp-basedir --no-error-dialogs,
#      save a screenshot and exit cleanly (exit code 0);
#   4. run the demo: virtual printer, sample library, and the marketplace
#      service started as a child process of the bundle; then end cleanly
#      on SIGTERM, leaving no child behind.
# Prints the start-up time (process start to first paint, from the app's
# own log) and exits non-zero on any failure.
# Usage: bash packaging/smoke.sh [BUNDLE_DIR]   (default dist/layerline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$(cd "${1:-$root/dist/layerline}" && pwd)"
exe="$bundle/layerline"
[ -x "$exe" ] || { echo "smoke: no bundle at $bundle (run packaging/build.sh)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# No Python, no source tree: an empty PATH entry list, run from elsewhere.
export PATH=/usr/bin:/bin PYTHONPATH= PYTHONHOME= LAYERLINE_NO_KEYRING=1
export QT_QPA_PLATFORM=offscreen
cd "$work"
unset VIRTUAL_ENV
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
say() { printf '[smoke] %s\n' "$*"; }

say "version"
version="$(timeout 60 "$exe" --version)" || fail "--version"
say "  $version"

say "sub-commands (info: database and migrations; import: worker processes)"
timeout 120 "$exe" --basedir "$work/base" info --json >"$work/info.json" || fail "info"
grep -q '"database_revision": "0' "$work/info.json" || fail "info: no database revision"
timeout 180 "$exe" --basedir "$work/base" import --json "$bundle/_internal/resources/samples" \
    >"$work/import.json" || fail "import (see $work/import.json)"
timeout 60 "$exe" --basedir "$work/base" library list >"$work/list.txt" || fail "library list"
grep -q "Calibration Cube" "$work/list.txt" || fail "the imported samples are not listed"

say "window: offscreen, --temp-basedir --no-error-dialogs --screenshot"
start=$(date +%s.%N)
timeout 120 "$exe" --temp-basedir --no-error-dialogs --json-logging \
    --screenshot "$work/window.png" 2>"$work/window.log" \
    || { tail -30 "$work/window.log" >&2; fail "the window"; }
end=$(date +%s.%N)
[ -s "$work/window.png" ] || fail "no screenshot"
painted_at="$(grep '"first-paint"' "$work/window.log" | head -1 \
    | sed -n 's/.*"created": *"\([^"]*\)".*/\1/p')"
[ -n "$painted_at" ] || fail "no first paint in the log"
paint="$(echo "$(date -d "$painted_at" +%s.%N) - $start" | bc)"
say "  start-up: first paint $(printf '%.2f' "$paint") s after the process started" \
    "(whole run with database, library and shutdown: $(printf '%.2f' "$(echo "$end - $start" | bc)") s)"
cp "$work/window.png" "${SMOKE_SCREENSHOT:-$root/dist/smoke-window.png}" 2>/dev/null || true

say "demo: virtual printer, samples, marketplace child process; SIGTERM ends it"
"$exe" --demo --basedir "$work/demo" --no-error-dialogs --json-logging \
    --screenshot "$work/demo.png" --keep-running 2>"$work/demo.log" &
pid=$!
ok=0
for _ in $(seq 1 600); do  # up to 120 s
    if grep -q '"demo-marketplace-ready"' "$work/demo.log" \
        && grep -q '"screenshot-saved"' "$work/demo.log"; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
children="$(pgrep -P "$pid" || true)"
kill -TERM "$pid" 2>/dev/null || true
rc=0
timeout 60 tail --pid="$pid" -f /dev/null || { kill -KILL "$pid"; fail "the demo did not end on SIGTERM"; }
wait "$pid" || rc=$?
[ "$ok" = 1 ] || { tail -20 "$work/demo.log" >&2; fail "the demo did not come up"; }
[ "$rc" = 0 ] || { tail -20 "$work/demo.log" >&2; fail "the demo exited with $rc"; }
# Children (the marketplace service, the importer's workers and
# multiprocessing's resource tracker) end with the app, within seconds.
for c in $children; do
    for _ in $(seq 1 100); do kill -0 "$c" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$c" 2>/dev/null || fail "child process $c left running: $(ps -o args= -p "$c")"
done
grep -q "shutdown complete" "$work/demo.log" || fail "no ordered shutdown in the demo's log"
say "passed"
