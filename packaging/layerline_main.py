"""The frozen bundle's entry point (PyInstaller runs this file as ``__main__``).

Two things only a frozen program has to do itself:

- ``multiprocessing.freeze_support()``: the library's importer runs its
  workers in *spawned* processes, which re-run this executable;
- ``layerline -m marketplace ...``: the demo starts the marketplace service
  as ``sys.executable -m marketplace serve ...``; in the bundle
  ``sys.executable`` is this program, so it answers ``-m marketplace``
  itself, like the Python interpreter would.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()
    argv = sys.argv[1:]
    if argv[:2] == ["-m", "marketplace"]:
        from marketplace.__main__ import main as marketplace_main

        sys.argv = [sys.argv[0], *argv[2:]]
        return marketplace_main(argv[2:])
    from app.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
