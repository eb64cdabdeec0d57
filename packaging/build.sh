#!/usr/bin/env bash
# Builds Layerline's one-folder desktop bundle with PyInstaller:
#   dist/layerline/layerline        the program (no Python installation needed)
#   dist/layerline/_internal/       its libraries and data
#   dist/layerline/share/           .desktop file, AppStream metainfo, icons,
#                                   MIME package (what packaging/install.sh installs)
# Usage: bash packaging/build.sh [--skip-setup]
# The work files go to build/pyinstaller/.  Prints the bundle's size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ "${1:-}" = "--skip-setup" ] || bash scripts/setup.sh --dev >/dev/null
app_id=io.github.layerline.Layerline

say() { printf '[build] %s\n' "$*"; }

# The translations are compiled (.ts -> .qm) into the bundle when present.
if compgen -G "resources/translations/*.ts" >/dev/null; then
    for ts in resources/translations/*.ts; do
        .venv/bin/pyside6-lrelease -silent "$ts" -qm "${ts%.ts}.qm"
    done
fi

say "PyInstaller (packaging/layerline.spec)"
.venv/bin/pyinstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/layerline.spec

bundle=dist/layerline
share="$bundle/share"
install -Dm644 "packaging/$app_id.desktop" "$share/applications/$app_id.desktop"
install -Dm644 "packaging/$app_id.metainfo.xml" "$share/metainfo/$app_id.metainfo.xml"
install -Dm644 "packaging/$app_id.mime.xml" "$share/mime/packages/$app_id.xml"
install -Dm644 resources/icons/layerline.svg "$share/icons/hicolor/scalable/apps/$app_id.svg"
for png in resources/icons/hicolor/*/apps/"$app_id".png; do
    size="$(basename "$(dirname "$(dirname "$png")")")"
    install -Dm644 "$png" "$share/icons/hicolor/$size/apps/$app_id.png"
done
install -Dm755 packaging/install.sh "$bundle/install.sh"

say "bundle: $bundle ($(du -sh "$bundle" | cut -f1), $(find "$bundle" -type f | wc -l) files)"
