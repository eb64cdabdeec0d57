"""``layerline printers add|list``: the configured serial printers."""

from __future__ import annotations

import argparse
import json
import sys

from app.services import Services
from printers.errors import PrinterError
from printers.transport import discover

NAME = "printers"
HELP = "add and list serial printers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a USB serial printer")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--serial", required=True, metavar="PORT",
                     help="the serial device, e.g. /dev/ttyUSB0 (or a virtual printer's pty)")
    add.add_argument("--baud", type=int, default=115200,
                     help="baud rate (default 115200; 0 to detect it)")
    add.add_argument("--rx-buffer", type=int, default=128, metavar="BYTES",
                     help="the firmware's receive buffer (RX_BUFFER_SIZE, default 128)")
    add.add_argument("--command-slots", type=int, default=4, metavar="N",
                     help="the firmware's command buffer (BUFSIZE, default 4)")
    add.add_argument("--json", action="store_true", help="print the printer as JSON")
    ls = sub.add_parser("list", help="list the printers")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--ports", action="store_true", help="also list the serial ports found")


def run(args: argparse.Namespace, services: Services) -> int:
    if args.action == "add":
        if args.baud < 0 or args.rx_buffer < 16 or args.command_slots < 1:
            print("layerline: --baud must be >= 0, --rx-buffer >= 16, --command-slots >= 1",
                  file=sys.stderr)
            return 2
        try:
            rec = services.printers.add_printer(
                args.name, args.serial, args.baud,
                {"rx_buffer": args.rx_buffer, "command_slots": args.command_slots})
        except PrinterError as exc:
            print(f"layerline: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(rec.as_dict(), indent=2))
        else:
            print(f"added {rec.name} on {rec.port} ({rec.baud or 'auto'} baud)")
        return 0
    records = services.printers.printers()
    if args.json:
        out: dict[str, object] = {"printers": [r.as_dict() for r in records]}
        if args.ports:
            out["ports"] = [p.device for p in discover()]
        print(json.dumps(out, indent=2))
        return 0
    if not records:
        print("no printers yet: add one with 'layerline printers add NAME --serial PORT'")
    for r in records:
        print(f"{r.name:<24} {r.port:<24} {r.baud or 'auto'}")
    if args.ports:
        for port in discover():
            print(f"port: {port.device}  {port.description}")
    return 0
