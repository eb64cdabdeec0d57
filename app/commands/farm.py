"""``layerline farm run``: supervise every printer and work through the queue,
without a window (a print-room machine), until SIGTERM or SIGINT.

On the signal the farm stops in order: no new assignment, then every
printer's worker (running serial jobs end interrupted; OctoPrint servers go
on printing what they print), then the queue records how its jobs ended.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from types import FrameType

from app.services import Services

NAME = "farm"
HELP = "run the farm headless (supervise printers, work the queue)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run_ = sub.add_parser("run", help="supervise the printers and work the queue until stopped")
    run_.add_argument("--max-heating", type=int, metavar="K",
                      help="at most K printers heat up at once (default: the setting)")


def run(args: argparse.Namespace, services: Services) -> int:
    from printers.interface import PrinterStatus

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    farm = services.farm
    if args.max_heating is not None:
        if args.max_heating < 1:
            print("layerline: --max-heating must be at least 1", file=sys.stderr)
            return 2
        farm.queue.max_heating = args.max_heating
    last: dict[str, tuple[str, str]] = {}
    guard = threading.Lock()

    def on_status(status: PrinterStatus) -> None:
        # "no sign of life for 12 s" grows every second: print it once.
        key = (status.state.value, re.sub(r"\d+", "N", status.reason or ""))
        with guard:
            if last.get(status.name) == key:
                return
            last[status.name] = key
        print(f"{status.name}: {status.state.value}"
              + (f" ({status.reason})" if status.reason else ""), flush=True)

    farm.supervisor.subscribe(on_status)
    try:
        farm.start()
        print(f"farm running: {len(farm.supervisor.names())} printer(s); "
              f"at most {farm.queue.max_heating} heating together", flush=True)
        while not stop.wait(1.0):
            pass
        print("stopping the farm", flush=True)
        farm.shutdown()
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    print("farm stopped", flush=True)
    return 0
