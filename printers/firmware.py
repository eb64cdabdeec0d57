"""A Marlin-like firmware model, sans-IO: bytes in, bytes out, driven by a clock.

:class:`VirtualPrinter` (``printers.virtual``) runs it behind a pseudo-terminal;
tests can also drive it directly.  It models what matters to a host:

- a receive buffer of ``rx_buffer_size`` bytes that *drops* bytes when the
  host sends more than it can hold (as a UART ring buffer does);
- a command buffer of ``bufsize`` lines: the firmware reads no more bytes
  from the receive buffer while it is full;
- Marlin's line checks (``N`` must be last+1, checksum mandatory) with
  ``Error:...`` + ``Resend: N`` + ``ok``, flushing the receive buffer;
- ``ok`` sent after a command is processed (``command_time`` each), reaching
  the host ``latency`` seconds later; ADVANCED_OK on or off;
- heating curves, M104/M109/M140/M190, M105, M155 autoreport, M115 with
  capabilities, ``busy:`` keep-alives during long commands, M0/M1/M600
  waiting for M108, M112;
- fault injection: corrupted bytes on the wire, dropped ``ok``s, a reset, a
  thermal runaway, a disconnect (signalled to the pty driver).

Every executed line is logged in :attr:`FirmwareModel.executed`.
"""

from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass, field

from printers import gcode


@dataclass(frozen=True, slots=True)
class Faults:
    """What goes wrong, and when."""

    corrupt_rate: float = 0.0          # fraction of host lines with a corrupted byte
    drop_ok_rate: float = 0.0          # fraction of oks lost on the way back
    drop_ok_lines: frozenset[int] = frozenset()  # drop the ok of these executed line numbers
    garbage_rate: float = 0.0          # fraction of replies preceded by line noise
    reset_after: int | None = None     # reset after executing this many numbered lines
    runaway_after: int | None = None   # thermal runaway after this many numbered lines
    disconnect_after: int | None = None  # vanish after this many numbered lines
    drop_ok_move: int | None = None    # lose the ok of the k-th G1 move executed
    seed: int = 1


@dataclass(frozen=True, slots=True)
class FirmwareConfig:
    bufsize: int = 4
    rx_buffer_size: int = 128
    advanced_ok: bool = False
    latency: float = 0.001             # seconds from a reply to the host
    command_time: float = 0.00005      # seconds of firmware work per command
    home_time: float = 0.3
    heat_rate_hotend: float = 15.0     # degrees per second
    heat_rate_bed: float = 4.0
    cool_rate: float = 2.0
    ambient: float = 21.0
    autoreport_temp: bool = True
    busy_interval: float = 2.0
    idle_wait: float | None = None     # send "wait" when idle this long (NO_TIMEOUTS)
    planner_size: int = 16
    faults: Faults = field(default_factory=Faults)


@dataclass(frozen=True, slots=True)
class Executed:
    number: int | None
    command: str
    at: float = 0.0  # the firmware's clock when it finished the command


_N = re.compile(r"^N(-?\d+)\s*")


class FirmwareModel:
    """See the module docstring.  Not thread-safe: one owner drives it."""

    def __init__(self, config: FirmwareConfig | None = None, now: float = 0.0) -> None:
        self.config = config or FirmwareConfig()
        self._rng = random.Random(self.config.faults.seed)
        self.executed: list[Executed] = []
        self.numbered_executed = 0
        self._moves = 0
        self._drop_next_ok = False
        self.rx_overflow_bytes = 0
        self.line_errors = 0
        self.halted = False
        self.disconnect_requested = False
        self._out: deque[tuple[float, bytes]] = deque()
        self._last_due = now
        self._boot(now, greet=False)

    # -- lifecycle ----------------------------------------------------------
    def _boot(self, now: float, *, greet: bool = True) -> None:
        self._rx = bytearray()
        self._line = bytearray()
        self._arrival_line = bytearray()
        self._corrupt_at: int | None = None
        self._arrival_pos = 0
        self._ring: deque[tuple[int | None, str]] = deque()
        self._last_n = 0
        self._busy_until: float | None = None  # the head command finishes then
        self._busy_kind = ""
        self._last_keepalive = now
        self._clock = now
        self._temps = {"T0": self.config.ambient, "B": self.config.ambient}
        self._targets = {"T0": 0.0, "B": 0.0}
        self._autoreport = 0.0
        self._next_report = now
        self._waiting_user = False
        self._last_activity = now
        self._heat_clock = now
        if greet:
            self._emit(now, "start")
            self._emit(now, "echo:Marlin 2.1.2 (virtual)")

    # -- input --------------------------------------------------------------
    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the host arrive (corrupted per the faults); what does
        not fit the receive buffer is lost."""
        if self.halted:
            self._watch_emergency(data, now)
            return
        cap = self.config.rx_buffer_size - 1
        faults = self.config.faults
        out = bytearray()
        if not faults.corrupt_rate:
            out += data
        for byte in data if faults.corrupt_rate else b"":
            b = byte
            if self._arrival_pos == 0 and faults.corrupt_rate:
                self._corrupt_at = (self._rng.randrange(3, 20)
                                    if self._rng.random() < faults.corrupt_rate else None)
            if b != 0x0A and self._corrupt_at == self._arrival_pos:
                b ^= 0x04
            self._arrival_pos = 0 if b == 0x0A else self._arrival_pos + 1
            out.append(b)
        self._watch_emergency(bytes(out), now)
        room = cap - len(self._rx)
        if len(out) > room:
            self.rx_overflow_bytes += len(out) - max(room, 0)
            out = out[: max(room, 0)]
        self._rx += out
        self._last_activity = now

    def _watch_emergency(self, data: bytes, now: float) -> None:
        """Marlin's emergency parser sees M108/M112/M410 as they arrive."""
        seen = bytes(self._arrival_line[-8:]) + data
        if b"M112" not in seen and b"M108" not in seen:
            nl = data.rfind(b"\n")
            self._arrival_line[:] = data[nl + 1:] if nl >= 0 else self._arrival_line + data
            del self._arrival_line[:-16]
            return
        for b in data:
            if b == 0x0A:
                text = self._arrival_line.decode("latin-1", "replace").strip()
                self._arrival_line.clear()
                cmd = _N.sub("", text).split("*", 1)[0].strip().upper()
                if cmd == "M112":
                    self._kill(now, "Printer halted. kill() called!")
                elif cmd == "M108" and self._waiting_user:
                    self._waiting_user = False
                    self._busy_until = max(now, self._clock)
            else:
                self._arrival_line.append(b)

    # -- time ---------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Run the firmware up to ``now``."""
        self._heat(now)
        if self._busy_until is None:
            self._clock = max(self._clock, now)
        while not self.halted:
            self._read_commands()
            if self._busy_until is None:
                if not self._ring:
                    break
                self._start(self._clock)
                continue
            if self._waiting_user:
                break
            if self._busy_kind == "heating":
                if not self._ready():
                    break
                done_at = max(now, self._clock)
            else:
                if self._busy_until > now:
                    break
                done_at = self._busy_until
            self._clock = done_at
            self._finish(done_at)
        if self._busy_until is None:
            self._clock = max(self._clock, now)
        self._periodic(now)

    def next_deadline(self) -> float | None:
        """When something will happen next without input (for a select timeout)."""
        times: list[float] = []
        if self._out:
            times.append(self._out[0][0])
        if self._busy_kind == "heating":
            times.append(self._heat_clock + 0.05)
        elif self._busy_until is not None and not self._waiting_user:
            times.append(self._busy_until)
        if self._autoreport:
            times.append(self._next_report)
        if self._busy_until is not None or self._waiting_user:
            times.append(self._last_keepalive + min(1.0, self.config.busy_interval))
        return min(times) if times else None

    def take_output(self, now: float) -> bytes:
        """The reply bytes that have reached the host by ``now``."""
        out = bytearray()
        while self._out and self._out[0][0] <= now:
            out += self._out.popleft()[1]
        return bytes(out)

    # -- the command buffer ---------------------------------------------------
    def _read_commands(self) -> None:
        while len(self._ring) < self.config.bufsize and self._rx:
            nl = self._rx.find(b"\n")
            if nl < 0:
                self._line += self._rx
                self._rx.clear()
                return
            self._line += self._rx[:nl]
            del self._rx[: nl + 1]
            raw = bytes(self._line)
            self._line.clear()
            self._accept(raw.decode("latin-1").strip())

    def _accept(self, text: str) -> None:
        if not text:
            return
        number: int | None = None
        m = _N.match(text)
        if text.startswith("N"):
            if m is None:
                self._line_error("Line Number is not Last Line Number+1")
                return
            number = int(m.group(1))
            star = text.rfind("*")
            is_m110 = "M110" in text
            if number != self._last_n + 1 and not is_m110:
                self._line_error("Line Number is not Last Line Number+1")
                return
            if star < 0:
                self._line_error("No Checksum with line number")
                return
            try:
                expected = int(text[star + 1:])
            except ValueError:
                expected = -1
            if gcode.checksum(text[:star].encode("latin-1")) != expected:
                self._line_error("checksum mismatch")
                return
            self._last_n = number
            command = text[m.end():star].strip()
        else:
            if "*" in text:
                self._line_error("No Line Number with checksum")
                return
            command = text
        self._ring.append((number, command))

    def _line_error(self, what: str) -> None:
        self.line_errors += 1
        self._emit(self._clock, f"Error:{what}, Last Line: {self._last_n}")
        self._rx.clear()  # Marlin flushes the receive buffer
        self._line.clear()
        self._emit(self._clock, f"Resend: {self._last_n + 1}")
        self._emit(self._clock, "ok")

    # -- executing --------------------------------------------------------------
    def _start(self, at: float) -> None:
        _number, command = self._ring[0]
        if command.startswith(("G1 ", "G0 ")):  # the hot path: a move
            self._busy_kind = ""
            self._busy_until = at + self.config.command_time
            self._last_keepalive = at
            return
        code = gcode.code_of(command)
        params = _params(command)
        duration = self.config.command_time
        self._busy_kind = ""
        if code == "G28":
            duration += self.config.home_time
            self._busy_kind = "processing"
        elif code == "G4":
            duration += params.get("P", 0.0) / 1000.0 + params.get("S", 0.0)
            self._busy_kind = "processing"
        elif code in ("M109", "M190"):
            sensor = "T0" if code == "M109" else "B"
            self._targets[sensor] = params.get("S", params.get("R", self._targets[sensor]))
            self._busy_kind = "heating"
        elif code in gcode.USER_WAITS:
            self._waiting_user = True
            self._busy_kind = "paused for user"
            self._emit(at, "//action:paused" if code == "M600" else "//action:prompt_begin")
        self._busy_until = at + duration
        self._last_keepalive = at

    def _ready(self) -> bool:
        """A waiting command that has finished waiting (heating done, user)."""
        if self._busy_kind == "heating":
            _number, command = self._ring[0]
            sensor = "T0" if gcode.code_of(command) == "M109" else "B"
            return abs(self._temps[sensor] - self._targets[sensor]) < 1.0
        return False

    def _finish(self, at: float) -> None:
        number, command = self._ring.popleft()
        self._busy_until = None
        self.executed.append(Executed(number, command, at))
        if number is not None:
            self.numbered_executed += 1
        faults = self.config.faults
        if faults.drop_ok_move is not None and command.startswith("G1"):
            self._moves += 1
            self._drop_next_ok = self._moves == faults.drop_ok_move
        self._execute(number, command, at)
        if number is not None:
            n = self.numbered_executed
            if faults.runaway_after is not None and n == faults.runaway_after:
                self._emit(at, "Error:Thermal Runaway, system stopped! Heater_ID: 0")
                self._kill(at, "Printer halted. kill() called!")
            elif faults.reset_after is not None and n == faults.reset_after:
                self._out.clear()
                self._boot(at)
            elif faults.disconnect_after is not None and n == faults.disconnect_after:
                self.disconnect_requested = True

    def _execute(self, number: int | None, command: str, at: float) -> None:
        if command.startswith(("G1 ", "G0 ")):  # the hot path: a move
            self._emit(at, self._ok_text(number), number=number, is_ok=True)
            return
        code = gcode.code_of(command)
        params = _params(command)
        reply_ok = True
        if code == "M105":
            self._emit(at, "ok " + self._temperature_report(), number=number, is_ok=True)
            reply_ok = False
        elif code == "M115":
            self._emit(at, "FIRMWARE_NAME:Marlin 2.1.2 (virtual) SOURCE_CODE_URL:"
                           "github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 "
                           "MACHINE_TYPE:Layerline Virtual EXTRUDER_COUNT:1 UUID:virtual")
            for cap, on in (("SERIAL_XON_XOFF", False), ("EEPROM", True),
                            ("AUTOREPORT_TEMP", self.config.autoreport_temp),
                            ("BUSY_PROTOCOL", True), ("EMERGENCY_PARSER", True),
                            ("HOST_ACTION_COMMANDS", True)):
                self._emit(at, f"Cap:{cap}:{int(on)}")
        elif code == "M155":
            self._autoreport = params.get("S", 0.0)
            self._next_report = at + self._autoreport
        elif code in ("M104", "M109"):
            self._targets["T0"] = params.get("S", params.get("R", self._targets["T0"]))
        elif code in ("M140", "M190"):
            self._targets["B"] = params.get("S", params.get("R", self._targets["B"]))
        elif code == "M110":
            self._last_n = int(params.get("N", number or 0))
        elif code == "M27":
            self._emit(at, "Not SD printing")
        elif code == "M73":
            self._emit(at, f"echo:NORMAL MODE: Percent done: {int(params.get('P', 0))}; "
                           f"print time remaining in mins: {int(params.get('R', -1))}")
        elif code == "M999":
            self.halted = False
        if reply_ok:
            self._emit(at, self._ok_text(number), number=number, is_ok=True)

    def _ok_text(self, number: int | None) -> str:
        if not self.config.advanced_ok:
            return "ok"
        n = f" N{number}" if number is not None else ""
        free = self.config.bufsize - len(self._ring)
        return f"ok{n} P{self.config.planner_size - 1} B{free}"

    def _kill(self, at: float, text: str) -> None:
        if not self.halted:
            self._emit(at, "Error:" + text)
            self.halted = True
            self._targets = {"T0": 0.0, "B": 0.0}

    # -- heat and keep-alives --------------------------------------------------
    def _heat(self, now: float) -> None:
        dt = now - self._heat_clock
        self._heat_clock = now
        if dt <= 0:
            return
        for sensor, rate in (("T0", self.config.heat_rate_hotend),
                             ("B", self.config.heat_rate_bed)):
            temp, target = self._temps[sensor], self._targets[sensor]
            goal = target if target > 0 else self.config.ambient
            step = (rate if goal > temp else self.config.cool_rate) * dt
            self._temps[sensor] = min(temp + step, goal) if goal > temp else max(temp - step, goal)

    def _periodic(self, now: float) -> None:
        if self._autoreport and now >= self._next_report:
            self._next_report = now + self._autoreport
            self._emit(now, " " + self._temperature_report())
        waiting = self._busy_until is not None and (self._busy_kind or self._waiting_user)
        if waiting and now - self._last_keepalive >= min(1.0, self.config.busy_interval):
            self._last_keepalive = now
            if self._busy_kind == "heating":
                self._emit(now, " " + self._temperature_report(wait=True))
            else:
                self._emit(now, f"echo:busy: {self._busy_kind}")
        idle = self.config.idle_wait
        if (idle is not None and not self._ring and self._busy_until is None
                and now - self._last_activity >= idle):
            self._last_activity = now
            self._emit(now, "wait")

    def _temperature_report(self, wait: bool = False) -> str:
        t, b = self._temps["T0"], self._temps["B"]
        tt, bt = self._targets["T0"], self._targets["B"]
        if wait:
            return f"T:{t:.2f} E:0 W:?"
        return f"T:{t:.2f} /{tt:.2f} B:{b:.2f} /{bt:.2f} @:0 B@:0"

    def temperatures(self) -> dict[str, tuple[float, float]]:
        return {k: (self._temps[k], self._targets[k]) for k in self._temps}

    # -- output -----------------------------------------------------------------
    def _emit(self, at: float, text: str, *, number: int | None = None,
              is_ok: bool = False) -> None:
        faults = self.config.faults
        if is_ok and self._drop_next_ok:
            self._drop_next_ok = False
            return
        if is_ok and (
            (number is not None and number in faults.drop_ok_lines)
            or (faults.drop_ok_rate and self._rng.random() < faults.drop_ok_rate)
        ):
            return
        data = text.encode("latin-1", "replace") + b"\n"
        if faults.garbage_rate and self._rng.random() < faults.garbage_rate:
            data = b"\xfe\x81garbage\x00\n" + data
        due = max(at + self.config.latency, self._last_due)
        self._last_due = due
        self._out.append((due, data))


def _params(command: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for word in command.split()[1:]:
        if len(word) >= 2 and word[0].isalpha():
            try:
                out[word[0].upper()] = float(word[1:])
            except ValueError:
                continue
    return out
