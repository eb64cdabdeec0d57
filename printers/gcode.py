"""G-code lines: framing with line numbers and checksums, comment stripping,
and parsers for the firmware's informational replies.

Pure functions, no state: the protocol (:mod:`printers.protocol`) and the job
runner (:mod:`printers.jobs`) build on them.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

#: Commands during which the firmware may legitimately stay silent (no ``ok``)
#: for a long time: no lost-``ok`` probe is sent while one is in flight.
LONG_RUNNING = frozenset(
    {"G4", "G28", "G29", "G30", "G32", "G34", "M0", "M1", "M109", "M116", "M190",
     "M191", "M226", "M303", "M400", "M600"}
)
#: Commands that wait for the user at the printer.
USER_WAITS = frozenset({"M0", "M1", "M600"})
#: Heating commands that block until a temperature is reached.
HEATING_WAITS = frozenset({"M109", "M190", "M191", "M116"})


def checksum(data: bytes) -> int:
    """Marlin's checksum: the XOR of every byte before the ``*``."""
    return functools.reduce(operator.xor, data, 0)


def frame(line_number: int, command: str) -> bytes:
    """``N<n> <command>*<xor>\\n`` as bytes."""
    body = f"N{line_number} {command}".encode("ascii", "replace")
    return body + b"*" + str(checksum(body)).encode() + b"\n"


_COMMENT_PAREN = re.compile(r"\([^)]*\)")


def strip_line(raw: str) -> str:
    """A G-code line without comments (``;`` and ``( )``) and surrounding
    blanks; empty when nothing is left to send."""
    line = raw.split(";", 1)[0]
    if "(" in line:
        line = _COMMENT_PAREN.sub("", line)
    return line.strip()


_CODES: dict[str, str] = {}


def code_of(command: str) -> str:
    """The command word (``G1``, ``M109``), upper case; ``""`` if none."""
    word = command.split(None, 1)[0] if command else ""
    code = _CODES.get(word)
    if code is None:
        code = _code_of_word(word)
        if len(_CODES) < 4096:  # a file has few distinct command words
            _CODES[word] = code
    return code


def _code_of_word(word: str) -> str:
    word = word.upper()
    if len(word) >= 2 and word[0] in "GMT" and word[1:].replace(".", "").isdigit():
        # G01 -> G1
        num = word[1:]
        if "." not in num:
            num = str(int(num))
        return word[0] + num
    return word


# -- replies ----------------------------------------------------------------

_TEMP = re.compile(
    r"(?:^|\s)(?P<sensor>B|C|P|A|W|T\d*|@\d*|B@)\s*:\s*(?P<actual>-?\d+(?:\.\d+)?|\?)"
    r"(?:\s*/\s*(?P<target>-?\d+(?:\.\d+)?))?"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """One sensor: ``actual`` (None when the firmware reports ``?``) and ``target``."""

    actual: float | None
    target: float | None


def is_temperature_line(line: str) -> bool:
    return bool(
        line.startswith(("T:", "T0:", "ok T:", "ok T0:", "B:"))
        or " T:" in line or " T0:" in line
    )


def parse_temperatures(line: str) -> dict[str, Reading]:
    """Sensor readings in a temperature report.

    Handles ``T:21.3 /0.0 B:21.2 /0.0 @:0 B@:0``, several tools (``T0:``,
    ``T1:``; a bare ``T`` is the current tool), chamber ``C:``, Prusa's ``P:``
    and ``A:``, and Marlin's ``W:`` (seconds left in a wait; ``W:?``).
    Heater powers (``@:``, ``B@:``) are skipped: they are not temperatures.
    """
    out: dict[str, Reading] = {}
    for m in _TEMP.finditer(line):
        sensor = m.group("sensor")
        if sensor.startswith("@") or sensor == "B@":
            continue
        actual_s = m.group("actual")
        actual = None if actual_s == "?" else float(actual_s)
        target_s = m.group("target")
        target = None if target_s is None else float(target_s)
        if sensor in out:
            continue  # the first occurrence wins (``T:`` repeats ``T0:``)
        out[sensor] = Reading(actual, target)
    if "T" in out and "T0" not in out:
        out["T0"] = out["T"]
    out.pop("T", None)
    return out


_FIRMWARE = re.compile(r"([A-Z_]+):")


def parse_firmware_info(line: str) -> dict[str, str]:
    """``FIRMWARE_NAME:Marlin 2.1.2 (Github) SOURCE_CODE_URL:... MACHINE_TYPE:...``
    as a dict of its fields."""
    out: dict[str, str] = {}
    matches = list(_FIRMWARE.finditer(line))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        out[m.group(1)] = line[m.end():end].strip()
    return out


def parse_capability(line: str) -> tuple[str, bool] | None:
    """``Cap:AUTOREPORT_TEMP:1`` -> ``("AUTOREPORT_TEMP", True)``."""
    if not line.lower().startswith("cap:"):
        return None
    parts = line[4:].rsplit(":", 1)
    if len(parts) != 2:
        return None
    name, value = parts
    return name.strip().upper(), value.strip() == "1"


_SD_PROGRESS = re.compile(r"SD printing byte (\d+)\s*/\s*(\d+)")


def parse_sd_progress(line: str) -> tuple[int, int] | None:
    """M27's ``SD printing byte 123/4567`` -> (123, 4567); ``Not SD printing``
    -> (0, 0); None for any other line."""
    m = _SD_PROGRESS.search(line)
    if m:
        return int(m.group(1)), int(m.group(2))
    if "Not SD printing" in line:
        return 0, 0
    return None


_M73 = re.compile(r"\bP\s*(\d+(?:\.\d+)?)|\bR\s*(\d+(?:\.\d+)?)")
_PRUSA_PROGRESS = re.compile(
    r"Percent done:\s*(\d+);\s*print time remaining in mins:\s*(-?\d+)"
)


def parse_m73(command: str) -> tuple[float | None, float | None]:
    """An ``M73 P<percent> R<minutes left>`` command (the slicer's progress
    and remaining-time estimate), or the firmware's echo of it, as
    (percent, seconds left)."""
    m = _PRUSA_PROGRESS.search(command)
    if m:
        minutes = int(m.group(2))
        return float(m.group(1)), None if minutes < 0 else minutes * 60.0
    if code_of(command) != "M73":
        return None, None
    percent: float | None = None
    left: float | None = None
    for mm in _M73.finditer(command[3:]):
        if mm.group(1) is not None:
            percent = float(mm.group(1))
        elif mm.group(2) is not None:
            left = float(mm.group(2)) * 60.0
    return percent, left


_RESEND = re.compile(r"^(?:resend|rs)\s*:?\s*(?:N:?)?\s*(\d+)", re.IGNORECASE)


def parse_resend(line: str) -> int | None:
    """``Resend: 12``, ``Resend:12``, ``rs N12``, ``rs 12 Expected checksum 67``."""
    m = _RESEND.match(line)
    return int(m.group(1)) if m else None


_ADVANCED_OK = re.compile(r"\b([NPB])(\d+)\b")


@dataclass(frozen=True, slots=True)
class Ok:
    """A parsed ``ok``: ADVANCED_OK's line number and free planner (P) and
    command-buffer (B) slots when present, and whether it carries a
    temperature report (the reply of M105)."""

    line_number: int | None
    planner_free: int | None
    buffer_free: int | None
    temperatures: bool


def parse_ok(line: str) -> Ok | None:
    """``ok``, ``ok 1066``, ``ok N123 P15 B3``, ``ok T:210 /210 B:60 /60``."""
    if not line.startswith("ok"):
        return None
    rest = line[2:]
    if rest and not rest[0].isspace() and rest[0] != ":":
        return None  # "okay" is not an ok
    temps = is_temperature_line(rest.strip()) or "T:" in rest
    n = p = b = None
    if not temps:
        for m in _ADVANCED_OK.finditer(rest):
            val = int(m.group(2))
            if m.group(1) == "N":
                n = val
            elif m.group(1) == "P":
                p = val
            else:
                b = val
    return Ok(n, p, b, temps)


_KILL_REASONS = re.compile(
    r"Heating failed|Thermal Runaway|Thermal Malfunction|MAXTEMP|MINTEMP|"
    r"Invalid extruder number|Watchdog barked|KILL caused|kill\(\) called|"
    r"Printer halted|Printer stopped due to errors",
    re.IGNORECASE,
)
_RECOVERABLE = re.compile(
    r"checksum mismatch|Line Number is not Last Line Number|No Checksum with line number|"
    r"No Line Number with checksum|Format error|expected line|missing linenumber",
    re.IGNORECASE,
)
_IGNORED = re.compile(r"Unknown command|SD init fail|volume\.init|open failed|"
                      r"openRoot failed|workDir open failed|No media", re.IGNORECASE)


def classify_error(text: str) -> str:
    """``"recoverable"`` (a line error: a resend follows), ``"ignored"``
    (unknown command, SD card) or ``"fatal"``."""
    if _RECOVERABLE.search(text):
        return "recoverable"
    if _IGNORED.search(text) and not _KILL_REASONS.search(text):
        return "ignored"
    return "fatal"


def failure_kind(text: str) -> str:
    """A short tag for a fatal firmware message."""
    low = text.lower()
    for key, tag in (
        ("thermal runaway", "thermal-runaway"),
        ("thermal malfunction", "thermal-runaway"),
        ("heating failed", "heating-failed"),
        ("maxtemp", "maxtemp"),
        ("mintemp", "mintemp"),
        ("watchdog", "watchdog"),
        ("kill", "killed"),
        ("halted", "killed"),
        ("stopped due to errors", "stopped"),
    ):
        if key in low:
            return tag
    return "firmware-error"
