"""The Marlin host protocol, sans-IO: pure state fed with received bytes and
the clock, returning the bytes to send and what happened.

No port, no thread, no clock of its own.  The owner (the connection's I/O
thread, or a test) calls:

- :meth:`MarlinProtocol.connect` to start the handshake (``M110 N0``, then
  ``M115`` for the firmware's name and capabilities);
- :meth:`MarlinProtocol.enqueue` to queue a command (``tag`` comes back in
  its :class:`Acked` event: the job runner tags file lines with their index);
- :meth:`MarlinProtocol.receive` with every chunk read from the port;
- :meth:`MarlinProtocol.tick` now and then (timeouts: lost ``ok``, handshake);
- :meth:`MarlinProtocol.outgoing` to get the bytes to write now.

Streaming is windowed: lines are sent while the lines in flight fit the
firmware's command buffer (``command_slots``, Marlin's BUFSIZE) *and* their
bytes fit its receive buffer (``rx_buffer_size``).  ADVANCED_OK's ``P`` and
``B`` count slots, not bytes, so the bytes are counted here.  Every line is
numbered with a checksum; a resend request rewinds to the line asked for, and
Marlin's line-number check means a line sent twice is never executed twice.

A lost ``ok`` is recovered after ``ok_timeout`` (1 s) by a probe: a numbered
``M105``.  Its reply (``ok T:...``) is recognisable, and since the firmware
answers in order, it acknowledges every line sent before it, whatever ``ok``
went missing; a probe never executes anything twice.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from dataclasses import dataclass, field

from printers import gcode
from printers.config import ProtocolConfig
from printers.events import (
    Acked,
    Action,
    Busy,
    Connected,
    Event,
    Failed,
    FirmwareInfo,
    FirmwareReset,
    Garbage,
    Message,
    ProbeSent,
    ProgressReport,
    Resending,
    SdProgress,
    Temperatures,
    WaitingForUser,
)

__all__ = [
    "PROBE_TAG", "Acked", "Action", "Busy", "Connected", "Event", "Failed", "FirmwareInfo",
    "FirmwareReset", "Garbage", "LinkState", "MarlinProtocol", "Message", "ProbeSent",
    "ProgressReport", "ProtocolConfig", "Resending", "SdProgress", "Temperatures",
    "WaitingForUser",
]

log = logging.getLogger(__name__)

PROBE_TAG = "probe"
_FIRMWARE_TAG = "firmware-report"
_INTERNAL_TAGS = (PROBE_TAG, _FIRMWARE_TAG)
_PLAIN_OK = gcode.Ok(None, None, None, False)
_PLAIN_OKS = frozenset({b"ok", b"ok\r"})


class LinkState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    OPERATIONAL = "operational"
    HALTED = "halted"


@dataclass(slots=True)
class _Line:
    number: int
    command: str
    data: bytes
    tag: object
    code: str = field(default="")


class MarlinProtocol:
    """The host side of Marlin's serial protocol (see the module docstring)."""

    def __init__(self, config: ProtocolConfig | None = None) -> None:
        self.config = config or ProtocolConfig()
        self.state = LinkState.IDLE
        self.firmware: dict[str, str] = {}
        self.capabilities: dict[str, bool] = {}
        self.autoreporting = False
        self.advanced_ok = False
        self.stats = {"sent": 0, "resent": 0, "resend_requests": 0, "probes": 0,
                      "duplicate_oks": 0, "garbage": 0}
        self._rx = bytearray()
        self._out: list[bytes] = []
        self._urgent = bytearray()
        self._pending: deque[tuple[str, object]] = deque()
        self._history: dict[int, _Line] = {}
        self._next_number = 1
        self._send_pos = 1
        self._in_flight: deque[_Line] = deque()
        self._in_flight_bytes = 0
        self._last_progress = 0.0
        self._probes = 0
        self._swallow_ok = False
        self._last_error_kind = ""
        self._rewound_to: int | None = None
        self._resend_line = -1
        self._resend_repeats = 0
        self._hello_sent = 0.0
        self._hellos = 0
        self._last_poll = 0.0
        self._error_prefix: str | None = None
        self._probe_number: int | None = None
        # Lines dropped from the window by a rewind may still sit in the
        # firmware's receive buffer (if it does not flush it): their bytes
        # count until the firmware has provably read past them.
        self._stale: deque[int] = deque()
        self._last_sync = 0.0
        self._quick_probe_at: float | None = None
        # The head of the queue, framed (a line that does not fit yet is
        # looked at again on every wake-up: frame it once).
        self._framed: tuple[tuple[str, object], _Line] | None = None

    # -- public API -------------------------------------------------------
    def connect(self, now: float) -> None:
        """Start (or restart) the handshake: ``N0 M110 N0`` until an ``ok``."""
        self._reset_link()
        self.state = LinkState.CONNECTING
        self._hellos = 0
        self._send_hello(now)

    def enqueue(self, command: str, tag: object = None) -> None:
        """Queue one command (without comments) to be numbered and sent."""
        command = command.strip()
        if command:
            self._pending.append((command, tag))

    def enqueue_front(self, command: str, tag: object = None) -> None:
        self._pending.appendleft((command.strip(), tag))

    def send_now(self, command: str) -> None:
        """Send a command at once, unnumbered, ahead of every queued line
        (M108, M410: the firmware's emergency parser acts on them on arrival)."""
        self._urgent += command.strip().encode("ascii", "replace") + b"\n"

    def emergency_stop(self) -> None:
        """M112 at once, ahead of the queue (raw, then numbered, for firmware
        without the emergency parser), heaters off; the link halts."""
        self._urgent += b"M112\n" + gcode.frame(self._next_number, "M112")
        self._urgent += b"M104 S0\nM140 S0\n"
        self._next_number += 1
        self._send_pos = self._next_number
        self._pending.clear()
        self._drop_in_flight()
        self.state = LinkState.HALTED

    def clear_pending(self) -> list[tuple[str, object]]:
        """Take back every queued command not sent yet (oldest first)."""
        taken = list(self._pending)
        self._pending.clear()
        return taken

    @property
    def pending(self) -> int:
        """Commands queued and not sent yet (including a rewind's backlog)."""
        return len(self._pending) + (self._next_number - self._send_pos)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def in_flight_bytes(self) -> int:
        return self._in_flight_bytes

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing waiting for an ``ok``."""
        return not self._in_flight and self.pending == 0

    def wants_more(self) -> bool:
        """True while the queue is short: the job runner tops it up."""
        return self.pending < 2 * self.config.command_slots + 2

    def outgoing(self, now: float) -> bytes:
        """The bytes to write now (urgent ones first); fills the window."""
        if self.state is LinkState.OPERATIONAL:
            self._fill(now)
        if not self._out and not self._urgent:
            return b""
        data = b"".join(self._out)
        self._out = []
        if self._urgent:
            data, self._urgent = bytes(self._urgent) + data, bytearray()
        return data

    def receive(self, data: bytes, now: float) -> list[Event]:
        """Feed bytes read from the port; returns what they meant."""
        self._rx += data
        events: list[Event] = []
        while True:
            nl = self._rx.find(b"\n")
            if nl < 0:
                break
            raw = bytes(self._rx[:nl])
            del self._rx[: nl + 1]
            if raw in _PLAIN_OKS and self._error_prefix is None:
                # The reply to nearly every line: skip the general parser.
                if self._swallow_ok:
                    self._swallow_ok = False
                else:
                    self._on_ok(_PLAIN_OK, "ok", now, events)
                continue
            self._handle_raw(raw, now, events)
        if len(self._rx) > 4096:  # a flood without newlines: drop it
            events.append(Garbage(bytes(self._rx[:64])))
            self.stats["garbage"] += 1
            self._rx.clear()
        return events

    def tick(self, now: float) -> list[Event]:
        """Time-driven work: handshake retries, lost-``ok`` probes, polls."""
        events: list[Event] = []
        if self.state is LinkState.CONNECTING:
            if now - self._hello_sent >= self.config.hello_timeout:
                if self._hellos >= self.config.hello_attempts:
                    self._halt(events, "no-response", "the printer does not answer")
                else:
                    self._send_hello(now)
            return events
        if self.state is not LinkState.OPERATIONAL:
            return events
        waited = now - self._last_progress
        quick = self._quick_probe_at is not None and now >= self._quick_probe_at
        if self._in_flight and (quick or waited >= min(self.config.ok_timeout,
                                                       self.config.long_command_timeout)):
            long_running = any(line.code in gcode.LONG_RUNNING for line in self._in_flight)
            timeout = (self.config.long_command_timeout if long_running
                       else self.config.ok_timeout)
            if waited >= timeout or quick:
                self._quick_probe_at = None
                if self._probes >= self.config.max_probes:
                    self._halt(events, "no-response",
                               f"no answer from the printer for {waited:.0f} s")
                    return events
                self._probe(now)
                events.append(ProbeSent(waited))
        if (now - self._last_sync >= self.config.sync_interval and self._in_flight
                and self.pending and not any(line.code == "M105" for line in self._in_flight)):
            self._last_sync = now
            self.enqueue_front("M105")
        if not self.autoreporting and now - self._last_poll >= self.config.temperature_interval:
            self._last_poll = now
            if not any(c == "M105" for c, _ in self._pending) and not any(
                line.code == "M105" for line in self._in_flight
            ):
                self.enqueue("M105")
        return events

    # -- sending ----------------------------------------------------------
    def _reset_link(self) -> None:
        self._pending.clear()
        self._drop_in_flight()
        self._history.clear()
        self._next_number = 1
        self._send_pos = 1
        self._swallow_ok = False
        self._rewound_to = None
        self._stale.clear()
        self._resend_line = -1
        self._resend_repeats = 0
        self._probes = 0
        self._probe_number = None
        self._rx.clear()
        self.autoreporting = False

    def _drop_in_flight(self) -> None:
        self._in_flight.clear()
        self._in_flight_bytes = 0
        self._stale.clear()

    def _send_hello(self, now: float) -> None:
        self._drop_in_flight()
        hello = _Line(0, "M110 N0", gcode.frame(0, "M110 N0"), None, "M110")
        self._in_flight.append(hello)
        self._in_flight_bytes = len(hello.data)
        self._out.append(hello.data)
        self._hello_sent = now
        self._last_progress = now
        self._hellos += 1
        self._next_number = 1
        self._send_pos = 1

    def _next_line(self) -> _Line | None:
        if self._send_pos < self._next_number:
            return self._history.get(self._send_pos)
        if not self._pending:
            return None
        head = self._pending[0]
        number = self._next_number
        framed = self._framed
        if framed is not None and framed[0] is head and framed[1].number == number:
            return framed[1]
        command, tag = head
        line = _Line(number, command, gcode.frame(number, command), tag, gcode.code_of(command))
        self._framed = (head, line)
        return line

    def _transmit(self, line: _Line) -> None:
        if line.number == self._next_number:  # a new line: number it for good
            self._pending.popleft()
            self._framed = None
            self._history[line.number] = line
            self._next_number += 1
            self._history.pop(line.number - self.config.history_size, None)
        else:
            self.stats["resent"] += 1
        if not self._in_flight:
            self._probes = 0
        self._send_pos += 1
        self._in_flight.append(line)
        self._in_flight_bytes += len(line.data)
        self._out.append(line.data)
        self.stats["sent"] += 1

    def _fits(self, line: _Line) -> bool:
        if not self._in_flight:
            return True
        if len(self._in_flight) >= self.config.command_slots:
            return False
        used = self._in_flight_bytes + sum(self._stale)
        return used + len(line.data) <= self.config.rx_buffer_size - 1

    def _fill(self, now: float) -> None:
        free = self.config.command_slots - len(self._in_flight)
        if self._in_flight and free < min(self.config.min_batch, self.config.command_slots):
            return
        while True:
            line = self._next_line()
            if line is None or not self._fits(line):
                return
            if not self._in_flight:
                self._last_progress = now
            self._transmit(line)

    def _probe(self, now: float) -> None:
        """Send a harmless numbered line beyond the window: M105, or the next
        line of a rewind.  Its reply acknowledges everything before it."""
        self._probes += 1
        self.stats["probes"] += 1
        self._last_progress = now
        # After a silence the firmware is idle: a resend request from now on
        # is about the probe, never an old copy from before a rewind.
        self._rewound_to = None
        self._stale.clear()
        if self._send_pos < self._next_number:
            line = self._history[self._send_pos]
        else:
            self._pending.appendleft(("M105", PROBE_TAG))
            probe = self._next_line()
            assert probe is not None
            line = probe
        log.info("no ok for a while: probing with line %d (%s)", line.number, line.command)
        self._probe_number = line.number if line.code == "M105" else None
        self._transmit(line)

    # -- receiving --------------------------------------------------------
    def _handle_raw(self, raw: bytes, now: float, events: list[Event]) -> None:
        text = raw.decode("latin-1").strip()
        if not text:
            return
        # Tolerate noise before a reply (a reset's bootloader bytes, line noise).
        start = 0
        while start < len(text) and not (" " <= text[start] <= "~"):
            start += 1
        text = text[start:]
        if not text or any(not (" " <= c <= "~" or c == "\t") for c in text):
            self.stats["garbage"] += 1
            events.append(Garbage(raw))
            return
        self._handle_line(text, now, events)

    def _handle_line(self, line: str, now: float, events: list[Event]) -> None:
        swallow = self._swallow_ok
        self._swallow_ok = False
        if self._error_prefix is not None:
            joined = self._error_prefix + " " + line
            self._error_prefix = None
            self._on_error(joined, now, events)
            return
        ok = gcode.parse_ok(line)
        if ok is not None:
            if swallow:
                return  # the ok that follows a resend request acknowledges the bad line
            self._on_ok(ok, line, now, events)
            return
        resend = gcode.parse_resend(line)
        if resend is not None:
            self._on_resend(resend, now, events)
            return
        if line.startswith(("Error:", "!!", "fatal:")):
            if line.startswith("Error:") and line[6:].strip().isdigit():
                self._error_prefix = line  # "Error:0" + ": Extruder switched off..."
                return
            self._on_error(line, now, events)
            return
        if line == "start":
            self._on_start(now, events)
            return
        if line == "wait":
            self._last_poll = now
            if self.state is LinkState.OPERATIONAL and self._in_flight:
                # An idle firmware with lines we believe in flight: an ok was lost.
                waited = now - self._last_progress
                self._probe(now)
                events.append(ProbeSent(waited))
            return
        body = line[5:].lstrip() if line.startswith("echo:") else line
        if body.startswith("busy:"):
            self._last_progress = now
            if "paused for" in body:
                events.append(WaitingForUser(body[5:].strip()))
            else:
                events.append(Busy(body[5:].strip()))
            return
        if "kill() called" in line or line.startswith("Printer halted"):
            self._halt(events, gcode.failure_kind(line), line)
            return
        if line.startswith("//action:"):
            name, _, arg = line[9:].strip().partition(" ")
            events.append(Action(name.lower(), arg.strip()))
            return
        if gcode.is_temperature_line(line):
            events.append(Temperatures(gcode.parse_temperatures(line)))
            if self._in_flight and any(ln.code in gcode.HEATING_WAITS for ln in self._in_flight):
                self._last_progress = now  # M109/M190 report while they wait
            return
        if line.startswith("FIRMWARE_NAME:") or "FIRMWARE_NAME:" in line:
            self.firmware = gcode.parse_firmware_info(line)
            return
        cap = gcode.parse_capability(line)
        if cap is not None:
            self.capabilities[cap[0]] = cap[1]
            return
        sd = gcode.parse_sd_progress(line)
        if sd is not None:
            events.append(SdProgress(*sd))
            return
        percent, left = gcode.parse_m73(body)
        if percent is not None:
            events.append(ProgressReport(percent, left))
            return
        events.append(Message(line))

    def _on_ok(self, ok: gcode.Ok, line: str, now: float, events: list[Event]) -> None:
        self._last_progress = now
        self._quick_probe_at = None
        if ok.temperatures:
            events.append(Temperatures(gcode.parse_temperatures(line[2:])))
        if self.state is LinkState.CONNECTING:
            if self._in_flight and self._in_flight[0].number == 0:
                self._drop_in_flight()
                self.state = LinkState.OPERATIONAL
                self._probes = 0
                self.enqueue_front("M115", _FIRMWARE_TAG)
                events.append(Connected())
            return
        if self.state is not LinkState.OPERATIONAL:
            return
        if not self._in_flight:
            self.stats["duplicate_oks"] += 1
            return
        if ok.line_number is not None:
            self.advanced_ok = True
            if ok.line_number < self._in_flight[0].number:
                self.stats["duplicate_oks"] += 1
                return
            through = ok.line_number
        elif (ok.temperatures and self._probe_number is not None
              and any(ln.number == self._probe_number and ln.code == "M105"
                      for ln in self._in_flight)):
            # The firmware was idle when the probe went out: whatever M105
            # replies went missing before it, this one is the probe's.
            through = self._probe_number
            self._probe_number = None
        elif ok.temperatures and any(ln.code == "M105" for ln in self._in_flight):
            through = next(ln.number for ln in self._in_flight if ln.code == "M105")
        else:
            through = self._in_flight[0].number
        self._probes = 0
        while self._in_flight and self._in_flight[0].number <= through:
            done = self._in_flight.popleft()
            self._in_flight_bytes -= len(done.data)
            self._on_acked(done, events)

    def _on_acked(self, line: _Line, events: list[Event]) -> None:
        if self._resend_line == line.number:
            self._resend_repeats = 0
        if self._rewound_to is not None and line.number >= self._rewound_to:
            self._rewound_to = None  # the firmware read the new copy: nothing stale is left
            self._stale.clear()
        if line.tag == _FIRMWARE_TAG:
            self._on_firmware_report(events)
        elif line.code == "M155":
            self.autoreporting = "S0" not in line.command.replace(" ", "")
        if line.tag is not None and line.tag not in _INTERNAL_TAGS:
            events.append(Acked(line.tag, line.number, line.command))

    def _on_firmware_report(self, events: list[Event]) -> None:
        events.append(FirmwareInfo(dict(self.firmware), dict(self.capabilities)))
        if self.config.autoreport and self.capabilities.get("AUTOREPORT_TEMP"):
            seconds = max(1, round(self.config.temperature_interval))
            self.enqueue_front(f"M155 S{seconds}")

    def _on_resend(self, number: int, now: float, events: list[Event]) -> None:
        self._swallow_ok = True
        self.stats["resend_requests"] += 1
        if self.state is not LinkState.OPERATIONAL:
            return
        self._last_progress = now
        error_kind, self._last_error_kind = self._last_error_kind, ""
        highest = self._send_pos - 1
        if number > highest:
            # The firmware has every line sent so far (e.g. a garbled line
            # that was not ours): nothing to rewind.
            log.info("resend of line %d, not sent yet (last sent %d): ignored", number, highest)
            events.append(Message(f"Resend: {number} (not sent yet; ignored)"))
            return
        if number not in self._history:
            self._halt(events, "resend-history",
                       f"the printer asked for line {number} again, which is no longer kept")
            return
        if error_kind == "line-number" and self._rewound_to == number:
            # An old copy of a later line, sent before our rewind, reached the
            # firmware after the bad one: the rewind already covers it.
            if self._stale:
                self._stale.popleft()
            self._quick_probe_at = now + self.config.stale_probe_delay
            return
        if number == self._resend_line:
            self._resend_repeats += 1
            if self._resend_repeats >= self.config.max_resends:
                self._halt(events, "resend-loop",
                           f"the printer asked for line {number} {self._resend_repeats} times")
                return
        else:
            self._resend_line = number
            self._resend_repeats = 1
        rewound = self._send_pos - number
        # The firmware read up to the bad line: older stale lines are gone.
        self._stale.clear()
        stale: list[int] = []
        while self._in_flight and self._in_flight[-1].number >= number:
            gone = self._in_flight.pop()
            self._in_flight_bytes -= len(gone.data)
            if gone.number > number:
                stale.append(len(gone.data))
        self._stale.extend(reversed(stale))
        self._send_pos = number
        self._rewound_to = number
        if self._probe_number is not None and self._probe_number >= number:
            self._probe_number = None  # re-sent in the window: an ordinary M105 now
        events.append(Resending(number, rewound))

    def _on_error(self, line: str, now: float, events: list[Event]) -> None:
        kind = gcode.classify_error(line)
        if kind == "recoverable":
            low = line.lower()
            self._last_error_kind = ("line-number" if "not last line number" in low
                                     else "corrupt")
            self._last_progress = now
            events.append(Message(line))
            return
        if kind == "ignored":
            events.append(Message(line))
            return
        self._halt(events, gcode.failure_kind(line), line.removeprefix("fatal:").strip())

    def _on_start(self, now: float, events: list[Event]) -> None:
        if self.state is LinkState.CONNECTING:
            self._send_hello(now)
            return
        if self.state is LinkState.OPERATIONAL:
            events.append(FirmwareReset())
            self.connect(now)

    def _halt(self, events: list[Event], kind: str, reason: str) -> None:
        if self.state is LinkState.HALTED:
            return
        log.warning("printer failure (%s): %s", kind, reason)
        self.state = LinkState.HALTED
        self._pending.clear()
        self._drop_in_flight()
        self._send_pos = self._next_number
        events.append(Failed(kind, reason))
