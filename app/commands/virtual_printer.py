"""``layerline virtual-printer``: run a simulated Marlin printer on a pty and
print its device path (until interrupted)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from app.services import Services
from printers.firmware import Faults, FirmwareConfig
from printers.virtual import VirtualPrinter

NAME = "virtual-printer"
HELP = "run a simulated Marlin printer on a pseudo-terminal"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-ms", type=float, default=1.0,
                        help="link latency of each reply (default 1 ms)")
    parser.add_argument("--command-us", type=float, default=50.0,
                        help="firmware time per command (default 50 us)")
    parser.add_argument("--bufsize", type=int, default=4, help="command buffer (BUFSIZE)")
    parser.add_argument("--rx-buffer", type=int, default=128, help="receive buffer bytes")
    parser.add_argument("--advanced-ok", action="store_true", help="ADVANCED_OK replies")
    parser.add_argument("--no-autoreport", action="store_true",
                        help="do not offer AUTOREPORT_TEMP")
    parser.add_argument("--heat-rate", type=float, default=15.0, help="hotend degrees/s")
    parser.add_argument("--idle-wait", type=float, default=None, metavar="S",
                        help="say 'wait' after S seconds idle (NO_TIMEOUTS)")
    g = parser.add_argument_group("faults")
    g.add_argument("--corrupt-rate", type=float, default=0.0, help="fraction of lines corrupted")
    g.add_argument("--drop-ok-rate", type=float, default=0.0, help="fraction of oks lost")
    g.add_argument("--drop-ok-line", type=int, action="append", default=[],
                   help="lose the ok of this line number (repeatable)")
    g.add_argument("--garbage-rate", type=float, default=0.0, help="noise before replies")
    g.add_argument("--reset-after", type=int, default=None, metavar="N")
    g.add_argument("--runaway-after", type=int, default=None, metavar="N")
    g.add_argument("--disconnect-after", type=int, default=None, metavar="N")
    g.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the path as JSON")


def config_from(args: argparse.Namespace) -> FirmwareConfig:
    return FirmwareConfig(
        bufsize=args.bufsize, rx_buffer_size=args.rx_buffer, advanced_ok=args.advanced_ok,
        latency=args.latency_ms / 1000.0, command_time=args.command_us / 1e6,
        autoreport_temp=not args.no_autoreport, heat_rate_hotend=args.heat_rate,
        idle_wait=args.idle_wait,
        faults=Faults(corrupt_rate=args.corrupt_rate, drop_ok_rate=args.drop_ok_rate,
                      drop_ok_lines=frozenset(args.drop_ok_line),
                      garbage_rate=args.garbage_rate, reset_after=args.reset_after,
                      runaway_after=args.runaway_after,
                      disconnect_after=args.disconnect_after, seed=args.seed),
    )


def run(args: argparse.Namespace, services: Services) -> int:
    del services
    if args.bufsize < 1 or args.rx_buffer < 16:
        print("layerline: --bufsize must be >= 1 and --rx-buffer >= 16", file=sys.stderr)
        return 2
    done = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    try:
        with VirtualPrinter(config_from(args)) as vp:
            if args.json:
                print(json.dumps({"path": vp.path}), flush=True)
            else:
                print(vp.path, flush=True)
            while not done.wait(0.5):
                if vp.disconnected.is_set():
                    break
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    return 0
