#!/usr/bin/env bash
# Extracts the user-visible strings (tr() in ui/, app/gui.py) into Qt's
# translation sources, resources/translations/layerline_<lang>.ts, with
# pyside6-lupdate.  English is the source language; layerline_en.ts is the
# template a translator copies (e.g. to layerline_de.ts, listed below).
# packaging/build.sh compiles every .ts to a .qm; the app loads the one
# matching the system's language (app/gui.py).
#   bash scripts/translations.sh            # update the .ts files
#   bash scripts/translations.sh --release  # also compile them to .qm
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x .venv/bin/pyside6-lupdate ] || bash scripts/setup.sh >/dev/null
languages=(en)
mkdir -p resources/translations
sources=(app/gui.py $(find ui -name '*.py' | sort))
for lang in "${languages[@]}"; do
    .venv/bin/pyside6-lupdate -no-obsolete -source-language en -target-language "$lang" \
        "${sources[@]}" -ts "resources/translations/layerline_$lang.ts"
done
if [ "${1:-}" = "--release" ]; then
    for ts in resources/translations/*.ts; do
        .venv/bin/pyside6-lrelease -silent "$ts" -qm "${ts%.ts}.qm"
    done
fi
