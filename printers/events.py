"""What the Marlin protocol reports: immutable events returned by
:meth:`printers.protocol.MarlinProtocol.receive` and ``tick``."""

from __future__ import annotations

from dataclasses import dataclass

from printers.gcode import Reading


@dataclass(frozen=True, slots=True)
class Connected:
    """The firmware answered the handshake."""


@dataclass(frozen=True, slots=True)
class FirmwareInfo:
    fields: dict[str, str]
    capabilities: dict[str, bool]

    @property
    def name(self) -> str:
        return self.fields.get("FIRMWARE_NAME", "")


@dataclass(frozen=True, slots=True)
class Acked:
    """The firmware confirmed (``ok``) the command queued with ``tag``."""

    tag: object
    line_number: int
    command: str


@dataclass(frozen=True, slots=True)
class Temperatures:
    readings: dict[str, Reading]


@dataclass(frozen=True, slots=True)
class Resending:
    """The firmware asked for ``line_number`` again; the host rewound."""

    line_number: int
    rewound: int


@dataclass(frozen=True, slots=True)
class Busy:
    text: str


@dataclass(frozen=True, slots=True)
class WaitingForUser:
    """The firmware waits for the user (M0/M1/M600: ``busy: paused for user``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Action:
    """A ``//action:<name>`` host action command."""

    name: str
    argument: str


@dataclass(frozen=True, slots=True)
class SdProgress:
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """The firmware's echo of M73 (percent, seconds left)."""

    percent: float | None
    seconds_left: float | None


@dataclass(frozen=True, slots=True)
class Message:
    """Anything else the firmware said (``echo:``, unknown lines)."""

    text: str


@dataclass(frozen=True, slots=True)
class Garbage:
    raw: bytes


@dataclass(frozen=True, slots=True)
class ProbeSent:
    """No ``ok`` for a while: a harmless probe went out to recover it."""

    waited: float


@dataclass(frozen=True, slots=True)
class FirmwareReset:
    """``start`` while operational: the board reset and lost its state."""


@dataclass(frozen=True, slots=True)
class Failed:
    """The printer is in trouble (halted, thermal runaway, silent...)."""

    kind: str
    reason: str


Event = (
    Connected | FirmwareInfo | Acked | Temperatures | Resending | Busy | WaitingForUser
    | Action | SdProgress | ProgressReport | Message | Garbage | ProbeSent | FirmwareReset
    | Failed
)


