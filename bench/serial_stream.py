"""Serial streaming: Layerline vs OctoPrint 1.11 on the same virtual printer.

    .venv/bin/python bench/serial_stream.py [--lines 20000] [--skip-lost-ok]

Installs OctoPrint 1.11 from PyPI into its own virtual environment under
.cache/ (once), then streams the same file of short G1 moves to the same
virtual Marlin (1 ms link latency, 50 us per command) through:

- OctoPrint, connected to the pty through its ``serial.additionalPorts``
  setting and driven over its REST API on 127.0.0.1;
- Layerline's serial stack (``printers.connection``), in its own process.

Each host runs with Marlin's default buffers (BUFSIZE 4, 128-byte receive
buffer) and with a tuned firmware (BUFSIZE 16, 512 bytes).  Lines/s are
measured on the firmware's side (first to last job line executed); CPU is the
host process's CPU time during the print.  A lost ``ok`` is the longest gap
between two executed lines when the ok of move 5000 is dropped.  Finally
Layerline streams with 1 % of lines corrupted on the wire.  Not a test: it
prints figures and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from printers.firmware import Executed, Faults, FirmwareConfig  # noqa: E402
from printers.virtual import VirtualPrinter  # noqa: E402

#: Loopback only: never through a proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
OCTO_VENV = Path(os.environ.get("LAYERLINE_OCTOPRINT_VENV", ROOT / ".cache" / "octoprint-venv"))
LATENCY = 0.001
COMMAND_TIME = 50e-6
LOST_OK_MOVE = 5000


@dataclass
class Run:
    host: str
    buffers: str
    lines: int
    seconds: float
    cpu: float
    max_gap: float
    executed_ok: bool
    overflow: int
    line_errors: int

    @property
    def rate(self) -> float:
        return self.lines / self.seconds

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.lines * 1000


# -- the G-code -------------------------------------------------------------------

def make_file(path: Path, n: int) -> list[str]:
    moves = [f"G1 X{100 + (i % 50) * 0.2:.1f} Y{100 + (i % 37) * 0.2:.1f} E{i * 0.01:.2f}"
             for i in range(n)]
    path.write_text("G90\nM83\n" + "\n".join(moves) + "\n")
    return moves


def check(executed: list[Executed], moves: list[str]) -> tuple[bool, float, float]:
    """(every move exactly once in order, seconds first->last move, longest gap)."""
    ran = [e for e in executed if e.command.startswith("G1")]
    ok = [e.command for e in ran] == moves
    if len(ran) < 2:
        return ok, float("nan"), float("nan")
    gap = max(b.at - a.at for a, b in itertools.pairwise(ran))
    return ok, ran[-1].at - ran[0].at, gap


def firmware(tuned: bool, faults: Faults | None = None) -> FirmwareConfig:
    return FirmwareConfig(bufsize=16 if tuned else 4, rx_buffer_size=512 if tuned else 128,
                          latency=LATENCY, command_time=COMMAND_TIME,
                          faults=faults or Faults())


def wait_moves(vp: VirtualPrinter, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for e in vp.executed() if e.command.startswith("G1")) >= n:
            return
        time.sleep(0.1)
    raise TimeoutError(f"only part of the {n} moves ran within {timeout} s")


# -- Layerline ----------------------------------------------------------------------

def layerline_host(port: str, file: str, rx: int, slots: int) -> None:
    """Child process: stream ``file`` with Layerline's stack, print JSON."""
    from printers.connection import LinkStatus, PrinterConnection
    from printers.protocol import ProtocolConfig
    from printers.store import PrinterRecord

    conn = PrinterConnection(PrinterRecord(0, "bench", port, 115200),
                             config=ProtocolConfig(rx_buffer_size=rx, command_slots=slots))
    conn.connect()
    if not conn.wait_for(lambda s: s.link is LinkStatus.OPERATIONAL, 30):
        raise SystemExit("no connection")
    cpu0 = time.process_time()
    conn.start_print(Path(file))
    snap = conn.wait_job(600)
    cpu = time.process_time() - cpu0
    conn.disconnect()
    print(json.dumps({"state": snap.state.value if snap else None, "cpu": cpu,
                      "stats": conn.protocol_stats}))


def run_layerline(file: Path, moves: list[str], tuned: bool, faults: Faults | None = None,  # noqa: PLR0917
                  label: str = "", slots: int | None = None) -> tuple[Run, dict[str, object]]:
    cfg = firmware(tuned, faults)
    with VirtualPrinter(cfg) as vp:
        out = subprocess.run(
            [sys.executable, __file__, "--layerline-host", vp.path, str(file),
             str(cfg.rx_buffer_size), str(slots or cfg.bufsize)],
            capture_output=True, text=True, check=True, cwd=ROOT, timeout=900)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        ok, seconds, gap = check(vp.executed(), moves)
        run = Run("Layerline", label or ("tuned" if tuned else "default"), len(moves),
                  seconds, float(result["cpu"]), gap, ok and result["state"] == "completed",
                  vp.rx_overflow_bytes, vp.line_errors)
        return run, result


# -- OctoPrint ----------------------------------------------------------------------

def ensure_octoprint() -> Path:
    exe = OCTO_VENV / "bin" / "octoprint"
    if not exe.exists():
        print("installing OctoPrint 1.11 from PyPI into", OCTO_VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(OCTO_VENV)], check=True)
        subprocess.run([str(OCTO_VENV / "bin" / "pip"), "install", "-q",
                        "octoprint>=1.11,<1.12"], check=True)
    version = subprocess.run([str(OCTO_VENV / "bin" / "python"), "-c",
                              "import octoprint; print(octoprint.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"OctoPrint {version} ({exe})", flush=True)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OctoPrint:
    """One OctoPrint server on 127.0.0.1 with its own base directory."""

    def __init__(self, exe: Path, base: Path, pty: str) -> None:
        self.key = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base.mkdir(parents=True, exist_ok=True)
        (base / "config.yaml").write_text(json.dumps({  # JSON is YAML
            "api": {"key": self.key},
            "server": {"firstRun": False, "onlineCheck": {"enabled": False},
                       "pluginBlacklist": {"enabled": False}, "host": "127.0.0.1",
                       "port": self.port},
            "serial": {"additionalPorts": [pty], "autoconnect": False, "log": False},
            "feature": {"sdSupport": False},
            "plugins": {"_disabled": ["softwareupdate", "announcements", "tracking",
                                      "pluginmanager", "errortracking", "firmware_check",
                                      "gcodeviewer"],
                        "tracking": {"enabled": False}},
        }))
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--basedir", str(base), "--host", "127.0.0.1", "--port",
             str(self.port), "--iknowwhatimdoing"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.get("/api/version")
                return
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                if self.proc.poll() is not None:
                    raise RuntimeError("OctoPrint exited") from None
                time.sleep(0.5)
        self.stop()
        raise TimeoutError("OctoPrint did not start")

    def _request(self, method: str, path: str, body: bytes | None = None,
                 ctype: str = "application/json") -> object:
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers={"X-Api-Key": self.key, "Content-Type": ctype})
        with _NO_PROXY.open(req, timeout=30) as resp:
            data = resp.read()
        return json.loads(data) if data else None

    def get(self, path: str) -> object:
        return self._request("GET", path)

    def post(self, path: str, payload: dict[str, object]) -> object:
        return self._request("POST", path, json.dumps(payload).encode())

    def upload(self, file: Path) -> None:
        boundary = "----layerline" + secrets.token_hex(8)
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{file.name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        self._request("POST", "/api/files/local", body,
                      f"multipart/form-data; boundary={boundary}")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)


def run_octoprint(exe: Path, file: Path, moves: list[str], tuned: bool,  # noqa: PLR0917
                  faults: Faults | None = None, label: str = "") -> Run:
    with tempfile.TemporaryDirectory(prefix="octo-bench-") as tmp, \
            VirtualPrinter(firmware(tuned, faults)) as vp:
        octo = OctoPrint(exe, Path(tmp) / "base", vp.path)
        try:
            octo.upload(file)
            octo.post("/api/connection", {"command": "connect", "port": vp.path,
                                          "baudrate": 115200})
            deadline = time.monotonic() + 60
            while True:
                state = octo.get("/api/connection")["current"]["state"]  # type: ignore[index]
                if state == "Operational":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"OctoPrint stays {state!r}")
                time.sleep(0.2)
            time.sleep(3)  # let the connect-time commands (M115, M155, M21...) settle
            cpu0 = octo.cpu()
            octo.post(f"/api/files/local/{file.name}", {"command": "select", "print": True})
            wait_moves(vp, len(moves), 900)
            cpu = octo.cpu() - cpu0
            ok, seconds, gap = check(vp.executed(), moves)
            return Run("OctoPrint", label or ("tuned" if tuned else "default"), len(moves),
                       seconds, cpu, gap, ok, vp.rx_overflow_bytes, vp.line_errors)
        finally:
            octo.stop()


# -- report -------------------------------------------------------------------------

def show(run: Run) -> None:
    print(f"  {run.host:<10} {run.buffers:<16} {run.rate:8.0f} lines/s  "
          f"{run.cpu_per_1000:7.3f} CPU s/1000 lines  {run.seconds:7.2f} s  "
          f"longest gap {run.max_gap * 1000:8.1f} ms  exactly-once={run.executed_ok}  "
          f"rx-overflow={run.overflow} B  line-errors={run.line_errors}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--skip-lost-ok", action="store_true")
    ap.add_argument("--lost-ok-only", action="store_true",
                    help="only the lost-ok runs (no OctoPrint comparison of throughput)")
    ap.add_argument("--layerline-host", nargs=4, metavar=("PORT", "FILE", "RX", "SLOTS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.layerline_host:
        port, file, rx, slots = args.layerline_host
        layerline_host(port, file, int(rx), int(slots))
        return 0

    exe = ensure_octoprint()
    print(f"virtual Marlin on a pty: {LATENCY * 1000:.0f} ms link latency, "
          f"{COMMAND_TIME * 1e6:.0f} us per command; a pty has NO baud-rate limit, so the "
          "ratios measure the hosts, not a UART.", flush=True)
    with tempfile.TemporaryDirectory(prefix="serial-bench-") as tmp:
        file = Path(tmp) / "moves.gcode"
        moves = make_file(file, args.lines)
        print(f"file: {args.lines} short G1 moves ({file.stat().st_size} bytes)\n", flush=True)
        results: dict[str, Run] = {}
        for tuned in (False, True) if not args.lost_ok_only else ():
            name = "tuned (BUFSIZE 16, 512 B)" if tuned else "default (BUFSIZE 4, 128 B)"
            print(f"== {name}", flush=True)
            o = run_octoprint(exe, file, moves, tuned)
            show(o)
            lay, _res = run_layerline(file, moves, tuned)
            show(lay)
            print(f"  ratio Layerline/OctoPrint: {lay.rate / o.rate:.2f}x lines/s, "
                  f"{lay.cpu_per_1000 / o.cpu_per_1000:.3f}x CPU per line", flush=True)
            results[f"o{int(tuned)}"], results[f"l{int(tuned)}"] = o, lay
        if not args.skip_lost_ok:
            print(f"\n== a lost ok (the ok of move {LOST_OK_MOVE} is dropped; default buffers)",
                  flush=True)
            lost = Faults(drop_ok_move=LOST_OK_MOVE)
            o = run_octoprint(exe, file, moves, False, lost, "lost ok")
            show(o)
            lay, _res = run_layerline(file, moves, False, lost, "lost ok")
            show(lay)
            if "o0" in results:
                o_cost = o.seconds - results["o0"].seconds
                l_cost = lay.seconds - results["l0"].seconds
                print(f"  a lost ok costs OctoPrint {o_cost:.2f} s (longest gap "
                      f"{o.max_gap:.2f} s) and Layerline {l_cost:.2f} s (longest gap "
                      f"{lay.max_gap:.2f} s): extra time over the clean run with the same "
                      "buffers", flush=True)
            one, _res = run_layerline(file, moves, False, lost, "lost ok, window 1", slots=1)
            show(one)
            print(f"  worst case, one line in flight like OctoPrint: the lost ok stalls "
                  f"Layerline {one.max_gap:.2f} s (OctoPrint {o.max_gap:.2f} s)", flush=True)
        if args.lost_ok_only:
            return 0
        print("\n== 1 % of lines corrupted on the wire (Layerline, default buffers)", flush=True)
        bad, res = run_layerline(file, moves, False, Faults(corrupt_rate=0.01, seed=3),
                                 "1% corrupted")
        show(bad)
        clean = results["l0"]
        print(f"  {bad.line_errors} line errors, {res['stats']}; time {bad.seconds:.2f} s vs "
              f"clean {clean.seconds:.2f} s = {bad.seconds / clean.seconds:.3f}x; every move "
              f"exactly once: {bad.executed_ok}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
