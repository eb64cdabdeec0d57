"""The command line.

``layerline [options] [FILE ...]`` opens the window (handing FILEs to it, or to
an instance already running on the same base directory).
``layerline [options] COMMAND ...`` runs a headless sub-command.

Sub-commands live in ``app/commands/<name>.py``; each module defines
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args, services) -> int``.
Add a module to :data:`COMMAND_MODULES` to make it available.  The command's
name is the module's last name with ``_`` as ``-`` (``virtual_printer`` is
``virtual-printer``; a trailing ``_`` is dropped: ``import_`` is ``import``);
modules are imported only when a command runs, so that opening the window
never pays for them (keep heavy imports inside ``run``).
Exit codes: 0 success, 1 error, 2 usage error (later commands add their own).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from app import logs
from app import paths as paths_mod
from app.notify import KnownError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.info",
    "app.commands.printers",
    "app.commands.print",
    "app.commands.queue",
    "app.commands.farm",
    "app.commands.history",
    "app.commands.stats",
    "app.commands.confirm",
    "app.commands.virtual_printer",
    "app.commands.import_",
    "app.commands.library",
    "app.commands.account",
    "app.commands.review",
    "app.commands.outbox",
    "app.commands.sync",
)


def _global_options(*, suppress: bool = False) -> argparse.ArgumentParser:
    """The options every invocation takes.  With ``suppress`` (for the
    sub-command parsers) an option not given leaves the value parsed before
    the sub-command alone: ``layerline --basedir D info`` keeps D."""
    parent = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS if suppress else None
    )
    g = parent.add_argument_group("global options")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--basedir", type=Path, metavar="DIR",
                       help="keep all data, settings and logs under DIR")
    where.add_argument("--temp-basedir", action="store_true",
                       help="use a fresh temporary base directory, removed at exit")
    g.add_argument("--demo", action="store_true",
                   help="the embedded demo: its own base directory with sample data")
    g.add_argument("--json-logging", action="store_true", help="log JSON lines on stderr")
    g.add_argument("--debug", action="store_true", help="log debug messages on stderr")
    g.add_argument("--no-error-dialogs", action="store_true",
                   help="never show the crash dialog (for tests)")
    return parent


def app_version() -> str:
    """Layerline's version, from the installed distribution's metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("layerline")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def command_names() -> list[str]:
    # A trailing underscore stands for a Python keyword: import_ is "import".
    return [m.rsplit(".", 1)[1].rstrip("_").replace("_", "-") for m in COMMAND_MODULES]


def _load_commands() -> list[ModuleType]:
    return [importlib.import_module(name) for name in COMMAND_MODULES]


def build_gui_parser() -> argparse.ArgumentParser:
    parent = _global_options()
    gui = argparse.ArgumentParser(
        prog="layerline",
        parents=[parent],
        description="Layerline: the 3D print station and print farm companion. "
        "Without a command it opens the window.",
        epilog="commands: " + ", ".join(command_names())
        + " (see 'layerline COMMAND --help')",
    )
    gui.add_argument("--version", action="version", version=f"%(prog)s {app_version()}")
    gui.add_argument("files", nargs="*", type=Path, metavar="FILE",
                     help="model or G-code files to import or print")
    gui.add_argument("--screenshot", type=Path, metavar="PATH",
                     help="save a PNG of the window once it has painted, then exit")
    gui.add_argument("--screenshot-view", metavar="VIEW", choices=(
        "marketplace", "rewards", "store", "outbox", "profiles", "community", "composer",
        "end-of-print", "wizard", "feedback"),
                     help="with --screenshot: open this Marketplace tab or review dialog first")
    gui.add_argument("--keep-running", action="store_true",
                     help="with --screenshot: keep the window open after saving")
    gui.add_argument("--screenshot-delay", type=float, default=0.3, metavar="SECONDS",
                     help="with --screenshot: wait this long after the areas are in place")
    gui.add_argument("--area", choices=("library", "printers", "history", "marketplace"),
                     help="open the window on this area")
    gui.add_argument("--setup-guide", nargs="?", const="welcome", metavar="PAGE",
                     choices=("welcome", "printer", "folders", "marketplace"),
                     help="open the set-up guide (it opens by itself on the first start), "
                     "optionally on PAGE: welcome, printer, folders or marketplace")
    return gui


def build_cli_parser() -> argparse.ArgumentParser:
    parent = _global_options()
    commands = _load_commands()
    cli = argparse.ArgumentParser(prog="layerline", parents=[parent])
    sub = cli.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in commands:
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP,
                           parents=[_global_options(suppress=True)])
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return cli


def _first_positional(argv: Sequence[str]) -> str | None:
    skip_next = False
    for a in argv:
        if skip_next:
            skip_next = False
            continue
        if a in ("--basedir", "--screenshot", "--screenshot-delay", "--screenshot-view", "--area",
                 "--setup-guide"):
            skip_next = True
            continue
        if a == "--":
            return None
        if not a.startswith("-"):
            return a
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = _first_positional(argv)
    if first in command_names():
        args = build_cli_parser().parse_args(argv)
        return _run_command(args)
    gui_parser = build_gui_parser()
    args = gui_parser.parse_args(argv)
    if args.keep_running and not args.screenshot:
        gui_parser.error("--keep-running goes with --screenshot")
    from app import gui  # imports Qt: only on the window's path

    return gui.run(args)


def _run_command(args: argparse.Namespace) -> int:
    from app import services as services_mod

    paths = paths_mod.resolve(args.basedir, temp_basedir=args.temp_basedir, demo=args.demo)
    ring = logs.setup(
        level=logging.DEBUG if args.debug else logging.WARNING,
        json_logging=args.json_logging,
        log_dir=paths.logs,
    )
    services = services_mod.build(paths, ring)
    try:
        code: int = args._module.run(args, services)
        return code
    except KnownError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if services.errors.is_known(exc):
            print(f"layerline: {exc}", file=sys.stderr)
            return EXIT_ERROR
        report = services.errors.write_crash_report(exc, ring.tail())
        log.critical("unexpected error; crash report written to %s", report, exc_info=exc)
        return EXIT_ERROR
    finally:
        services.shutdown()
