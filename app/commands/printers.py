"""``layerline printers add|set|list``: the configured printers, serial or OctoPrint.

An OctoPrint printer's API key is read from ``LAYERLINE_OCTOPRINT_KEY`` or,
failing that, from standard input (one line) — never from the command line,
where other users would see it in the process list — and kept only in the
app's secret store (``services.secrets``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from app.services import Services
from printers.errors import PrinterError
from printers.transport import discover

NAME = "printers"
HELP = "add and list printers (serial or OctoPrint)"

KEY_ENV = "LAYERLINE_OCTOPRINT_KEY"


def _capability_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nozzle", type=float, metavar="MM", help="nozzle diameter, e.g. 0.4")
    parser.add_argument("--material", metavar="NAME", help="the loaded material, e.g. PLA")
    parser.add_argument("--build-volume", nargs=3, type=float, metavar=("X", "Y", "Z"),
                        help="build volume in mm")
    parser.add_argument("--tag", action="append", metavar="TAG",
                        help="a tag the queue can ask for (repeatable)")
    parser.add_argument("--camera", action="store_true", help="the printer has a camera")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a USB serial printer or an OctoPrint server")
    add.add_argument("name", metavar="NAME")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--serial", metavar="PORT",
                      help="the serial device, e.g. /dev/ttyUSB0 (or a virtual printer's pty)")
    kind.add_argument("--octoprint", metavar="URL",
                      help=f"an OctoPrint server, e.g. http://octopi.local (API key from "
                           f"${KEY_ENV} or standard input)")
    add.add_argument("--port", default="", metavar="PORT",
                     help="OctoPrint: the server's serial port to connect (default: its own)")
    add.add_argument("--no-check", action="store_true",
                     help="OctoPrint: do not check the URL and key now")
    add.add_argument("--baud", type=int, default=115200,
                     help="baud rate (default 115200; 0 to detect it)")
    add.add_argument("--rx-buffer", type=int, default=128, metavar="BYTES",
                     help="the firmware's receive buffer (RX_BUFFER_SIZE, default 128)")
    add.add_argument("--command-slots", type=int, default=4, metavar="N",
                     help="the firmware's command buffer (BUFSIZE, default 4)")
    _capability_arguments(add)
    add.add_argument("--json", action="store_true", help="print the printer as JSON")
    set_ = sub.add_parser("set", help="change what a printer can print (nozzle, material...)")
    set_.add_argument("name", metavar="NAME")
    _capability_arguments(set_)
    set_.add_argument("--json", action="store_true", help="print the printer as JSON")
    ls = sub.add_parser("list", help="list the printers")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--ports", action="store_true", help="also list the serial ports found")


def _capabilities(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.nozzle is not None:
        out["nozzle"] = args.nozzle
    if args.material:
        out["material"] = args.material
    if args.build_volume:
        out["build_volume"] = list(args.build_volume)
    if args.tag:
        out["tags"] = sorted(set(args.tag))
    if args.camera:
        out["camera"] = True
    return out


def _read_key() -> str | None:
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return key
    if sys.stdin is None or sys.stdin.isatty():
        print(f"layerline: give the API key in ${KEY_ENV} or on standard input "
              f"(e.g. 'layerline printers add NAME --octoprint URL < keyfile')", file=sys.stderr)
        return None
    return sys.stdin.readline().strip() or None


def _add_octoprint(args: argparse.Namespace, services: Services) -> int:
    key = _read_key()
    if key is None:
        return 2
    if not args.no_check:
        from printers.octoprint import OctoPrintClient, Timeouts

        try:
            with OctoPrintClient(args.octoprint, key,
                                 timeouts=Timeouts(connect=5, call=10)) as client:
                version = client.check()
        except PrinterError as exc:
            print(f"layerline: {args.octoprint}: {exc}", file=sys.stderr)
            return 1
        print(f"OctoPrint {version.server} at {args.octoprint}: the key works")
    try:
        rec = services.printers.store.add_printer(
            args.name, args.port, 0, _capabilities(args), kind="octoprint", url=args.octoprint)
    except PrinterError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return 2
    services.secrets.set(rec.secret_name, key)
    if args.json:
        print(json.dumps(rec.as_dict(), indent=2))
    else:
        print(f"added {rec.name} (OctoPrint at {rec.url}); API key kept in: "
              f"{services.secrets.description}")
    return 0


def run(args: argparse.Namespace, services: Services) -> int:
    if args.action == "add" and args.octoprint:
        return _add_octoprint(args, services)
    if args.action == "add":
        if args.baud < 0 or args.rx_buffer < 16 or args.command_slots < 1:
            print("layerline: --baud must be >= 0, --rx-buffer >= 16, --command-slots >= 1",
                  file=sys.stderr)
            return 2
        try:
            rec = services.printers.add_printer(
                args.name, args.serial, args.baud,
                {"rx_buffer": args.rx_buffer, "command_slots": args.command_slots,
                 **_capabilities(args)})
        except PrinterError as exc:
            print(f"layerline: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(rec.as_dict(), indent=2))
        else:
            print(f"added {rec.name} on {rec.port} ({rec.baud or 'auto'} baud)")
        return 0
    if args.action == "set":
        try:
            rec = services.printers.store.update_options(args.name, _capabilities(args))
        except PrinterError as exc:
            print(f"layerline: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(rec.as_dict(), indent=2) if args.json else f"updated {rec.name}")
        return 0
    records = services.printers.printers()
    if args.json:
        out: dict[str, object] = {"printers": [r.as_dict() for r in records]}
        if args.ports:
            out["ports"] = [p.device for p in discover()]
        print(json.dumps(out, indent=2))
        return 0
    if not records:
        print("no printers yet: add one with 'layerline printers add NAME --serial PORT' "
              "or '--octoprint URL'")
    for r in records:
        where = r.url if r.kind == "octoprint" else f"{r.port:<24} {r.baud or 'auto'}"
        print(f"{r.name:<24} {r.kind:<10} {where}")
    if args.ports:
        for port in discover():
            print(f"port: {port.device}  {port.description}")
    return 0
