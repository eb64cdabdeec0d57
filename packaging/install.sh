#!/usr/bin/env bash
# Installs a built Layerline bundle for the current user (or under PREFIX):
#   PREFIX/lib/layerline/        the bundle
#   PREFIX/bin/layerline         a link to it
#   PREFIX/share/...             .desktop file, metainfo, icons, MIME types
# Usage (from the bundle's folder): ./install.sh [PREFIX]   (default ~/.local)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${1:-$HOME/.local}"
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share"
rm -rf "$prefix/lib/layerline"
cp -a "$here" "$prefix/lib/layerline"
rm -rf "$prefix/lib/layerline/share" "$prefix/lib/layerline/install.sh"
ln -sfn "$prefix/lib/layerline/layerline" "$prefix/bin/layerline"
cp -r "$here/share/." "$prefix/share/"
# Refresh the desktop's caches where the tools exist (all optional).
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null \
    && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null \
    && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "Layerline installed in $prefix (run: $prefix/bin/layerline)"
