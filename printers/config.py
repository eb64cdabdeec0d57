"""The host protocol's knobs (see :mod:`printers.protocol`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProtocolConfig:
    """Knobs of the host protocol.  The defaults suit a stock Marlin."""

    rx_buffer_size: int = 128
    command_slots: int = 4
    ok_timeout: float = 1.0
    long_command_timeout: float = 30.0
    hello_timeout: float = 2.0
    hello_attempts: int = 5
    max_probes: int = 10
    history_size: int = 4096
    max_resends: int = 10
    temperature_interval: float = 1.0
    autoreport: bool = True
    #: Send only when this many command slots are free (or the window is
    #: empty): fewer, larger writes for nearly the same throughput.
    min_batch: int = 2
    #: While streaming, a numbered M105 goes out this often: its ``ok T:``
    #: reply re-synchronises the count of lines in flight, so a lost ``ok``
    #: costs at most this long of a smaller window.
    sync_interval: float = 0.5
    #: After a resend request taken for a stale copy, probe this soon if
    #: nothing moves (it may have been about a corrupted new copy after all).
    stale_probe_delay: float = 0.05

    def __post_init__(self) -> None:
        if self.rx_buffer_size < 16:
            raise ValueError("rx_buffer_size must be at least 16 bytes")
        if self.command_slots < 1:
            raise ValueError("command_slots must be at least 1")
