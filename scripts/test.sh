#!/usr/bin/env bash
# Sets everything up (Debian libraries, .venv with the dev extras, the real
# peers the tests need) and runs the whole test suite:
#   1. ruff, mypy --strict on the domain packages, import-linter contracts;
#   2. the domain tests (printers, library, reviews, marketplace, history) with PySide6
#      made unimportable, proving the domain runs without Qt;
#   3. the app and UI tests on Qt's offscreen platform (plus Xvfb where asked).
# Benchmarks are not run here (see bench/).  Exits non-zero on any failure,
# including a pytest run that collected no tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --dev
py=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1
export LAYERLINE_NO_KEYRING=1   # tests never touch the user's keyring

step() { printf '\n==> %s\n' "$*"; }
status=0

step "ruff"
.venv/bin/ruff check . || status=1

step "mypy --strict (domain packages)"
.venv/bin/mypy || status=1

step "import-linter (layering contracts)"
.venv/bin/lint-imports --no-cache || status=1

# --- Desktop integration files (packaging/) ----------------------------------
step "desktop-file-validate and appstreamcli validate (packaging/)"
desktop-file-validate packaging/io.github.layerline.Layerline.desktop || status=1
appstreamcli validate --no-net packaging/io.github.layerline.Layerline.metainfo.xml || status=1

run_pytest() {
    # pytest exits 5 when it collected no tests: treat that as a failure.
    local rc=0
    "$@" || rc=$?
    if [ "$rc" = 5 ]; then echo "pytest collected no tests: failing" >&2; fi
    [ "$rc" = 0 ] || status=1
}

# --- Real peer: OctoPrint 1.11 for tests/printers/octoprint -----------------
# Installed once from PyPI into .cache/octoprint-venv (its own environment;
# reused while it is intact), here rather than inside a test so that a slow
# first install does not eat a test's timeout.  Fails the run with pip's
# output when it cannot be installed: these tests are never skipped.
step "OctoPrint for the tests (.cache/octoprint-venv)"
$py -c 'from tests.helpers.octoprint_server import ensure_octoprint as e; print(e())' || status=1

domain_dirs=()
for d in tests/printers tests/library tests/reviews tests/marketplace tests/history; do
    [ -d "$d" ] && domain_dirs+=("$d")
done
step "domain tests, without Qt (${domain_dirs[*]})"
LAYERLINE_BLOCK_QT=1 run_pytest $py -m pytest -p no:pytest-qt -p no:cacheprovider \
    "${domain_dirs[@]}" tests/test_domain_without_qt.py

step "app and UI tests (offscreen Qt)"
QT_QPA_PLATFORM=offscreen run_pytest $py -m pytest -p no:cacheprovider tests/app tests/ui

# --- The desktop bundle (opt-in: LAYERLINE_TEST_BUNDLE=1) ---------------------
# PyInstaller build + smoke test of the frozen app: about 6 minutes on the
# loaded 2-core machine (1m20s of CPU), too long for every run; see
# packaging/README.md.
if [ "${LAYERLINE_TEST_BUNDLE:-0}" = 1 ]; then
    step "desktop bundle: packaging/build.sh and packaging/smoke.sh"
    { bash packaging/build.sh --skip-setup && bash packaging/smoke.sh; } || status=1
fi

if [ "$status" = 0 ]; then
    step "all checks passed"
else
    step "FAILED: see the output above"
fi
exit "$status"
