"""The sans-IO Marlin protocol, from byte fixtures: no port, no thread."""

from __future__ import annotations

import re

import pytest

from printers import gcode
from printers.protocol import (
    Acked,
    Action,
    Busy,
    Connected,
    Failed,
    FirmwareInfo,
    FirmwareReset,
    Garbage,
    LinkState,
    MarlinProtocol,
    ProbeSent,
    ProgressReport,
    ProtocolConfig,
    Resending,
    SdProgress,
    Temperatures,
    WaitingForUser,
)

FRAME = re.compile(rb"N(\d+) ([^*]*)\*(\d+)\n")

M115_REPLY = (
    b"FIRMWARE_NAME:Marlin 2.1.2 (Github) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin "
    b"PROTOCOL_VERSION:1.0 MACHINE_TYPE:Virtual EXTRUDER_COUNT:1\n"
    b"Cap:SERIAL_XON_XOFF:0\nCap:EEPROM:1\nCap:AUTOREPORT_TEMP:%d\nCap:BUSY_PROTOCOL:1\n"
    b"Cap:EMERGENCY_PARSER:1\nok\n"
)


def frames(data: bytes) -> list[tuple[int, str]]:
    """The numbered lines in ``data``, with their checksums verified."""
    out = []
    for m in FRAME.finditer(data):
        body = b"N" + m.group(1) + b" " + m.group(2)
        assert gcode.checksum(body) == int(m.group(3)), body
        out.append((int(m.group(1)), m.group(2).decode()))
    return out


def connected(autoreport: bool = True, **config: object) -> MarlinProtocol:
    p = MarlinProtocol(ProtocolConfig(**config))  # type: ignore[arg-type]
    p.connect(0.0)
    assert p.outgoing(0.0) == b"N0 M110 N0*125\n"
    assert p.receive(b"ok\n", 0.0) == [Connected()]
    assert frames(p.outgoing(0.0)) == [(1, "M115")]
    events = p.receive(M115_REPLY % int(autoreport), 0.0)
    info = [e for e in events if isinstance(e, FirmwareInfo)]
    assert info and info[0].name.startswith("Marlin 2.1.2")
    if autoreport:
        assert frames(p.outgoing(0.0)) == [(2, "M155 S1")]
        p.receive(b"ok\n", 0.0)
        assert p.autoreporting
    assert p.idle
    return p


def acks(events: list[object]) -> list[object]:
    return [e.tag for e in events if isinstance(e, Acked)]


def test_checksum_and_framing() -> None:
    assert gcode.frame(0, "M110 N0") == b"N0 M110 N0*125\n"
    body = b"N12 G1 X10 Y5"
    assert gcode.frame(12, "G1 X10 Y5") == body + b"*" + str(gcode.checksum(body)).encode() + b"\n"


def test_comments_and_blank_lines_are_stripped() -> None:
    assert gcode.strip_line("G1 X1 ; move") == "G1 X1"
    assert gcode.strip_line("  ;only a comment") == ""
    assert gcode.strip_line("G1 (inline) X2") == "G1  X2"
    assert gcode.strip_line("   ") == ""


def test_handshake_retries_and_start_restarts_it() -> None:
    p = MarlinProtocol()
    p.connect(0.0)
    assert p.outgoing(0.0) == b"N0 M110 N0*125\n"
    assert p.tick(1.0) == []
    p.tick(2.0)
    assert p.outgoing(2.0) == b"N0 M110 N0*125\n"
    p.receive(b"start\n", 2.1)  # the board reset on open: say hello again
    assert p.outgoing(2.1) == b"N0 M110 N0*125\n"
    assert p.receive(b"echo:Marlin 2.1.2\nok\n", 2.2)[-1] == Connected()
    assert p.state is LinkState.OPERATIONAL


def test_handshake_gives_up_with_a_reason() -> None:
    p = MarlinProtocol(ProtocolConfig(hello_attempts=2))
    p.connect(0.0)
    p.tick(2.0)
    events = p.tick(4.0)
    assert events == [Failed("no-response", "the printer does not answer")]


def test_capabilities_without_autoreport_poll_m105() -> None:
    p = connected(autoreport=False)
    assert not p.autoreporting
    p.tick(5.0)
    assert frames(p.outgoing(5.0)) == [(2, "M105")]
    events = p.receive(b"ok T:21.3 /0.0 B:20.9 /0.0 @:0 B@:0\n", 5.1)
    temps = [e for e in events if isinstance(e, Temperatures)]
    assert temps[0].readings["T0"].actual == 21.3
    assert p.idle


def test_ok_split_across_reads() -> None:
    p = connected()
    p.enqueue("G1 X1", tag=1)
    assert frames(p.outgoing(0.0)) == [(3, "G1 X1")]
    assert p.receive(b"o", 0.1) == []
    assert p.receive(b"k", 0.1) == []
    assert acks(p.receive(b"\r\n", 0.1)) == [1]


def test_window_is_bounded_by_command_slots() -> None:
    p = connected(command_slots=4, rx_buffer_size=512, min_batch=1)
    for i in range(10):
        p.enqueue(f"G1 X{i}", tag=i)
    assert [n for n, _ in frames(p.outgoing(0.0))] == [3, 4, 5, 6]
    assert p.outgoing(0.0) == b""
    assert acks(p.receive(b"ok\n", 0.1)) == [0]
    assert frames(p.outgoing(0.1)) == [(7, "G1 X4")]


def test_refills_are_batched() -> None:
    p = connected(command_slots=4, rx_buffer_size=512, min_batch=2)
    for i in range(10):
        p.enqueue(f"G1 X{i}", tag=i)
    assert len(frames(p.outgoing(0.0))) == 4
    p.receive(b"ok\n", 0.1)
    assert p.outgoing(0.1) == b""  # one free slot: wait for a second
    p.receive(b"ok\n", 0.1)
    assert [n for n, _ in frames(p.outgoing(0.1))] == [7, 8]


def test_window_is_bounded_by_receive_buffer_bytes() -> None:
    p = connected(command_slots=16, rx_buffer_size=128)
    long = "G1 X100.123 Y100.456 Z0.3 E1.23456 F1800"  # ~48 bytes framed
    for i in range(10):
        p.enqueue(long, tag=i)
    sent = p.outgoing(0.0)
    assert len(frames(sent)) == 2
    assert len(sent) <= 127 and p.in_flight_bytes == len(sent)
    p.receive(b"ok\n", 0.1)
    more = p.outgoing(0.1)
    assert len(frames(more)) == 1 and p.in_flight_bytes <= 127


def test_a_line_longer_than_the_buffer_goes_alone() -> None:
    p = connected(rx_buffer_size=32)
    p.enqueue("M117 " + "x" * 40, tag="long")
    p.enqueue("G1 X1", tag="short")
    assert len(frames(p.outgoing(0.0))) == 1


def _stream(p: MarlinProtocol, n: int) -> list[tuple[int, str]]:
    for i in range(n):
        p.enqueue(f"G1 X{i}", tag=i)
    return frames(p.outgoing(0.0))


@pytest.mark.parametrize(
    "request_line", [b"Resend: 5", b"Resend:5", b"rs N5", b"rs 5 Expected checksum 67"])
def test_resend_rewinds_and_swallows_its_ok(request_line: bytes) -> None:
    p = connected()
    sent = _stream(p, 6)  # lines 3..6 in flight
    assert [n for n, _ in sent] == [3, 4, 5, 6]
    events = p.receive(b"ok\nok\n", 0.1)  # 3 and 4 done
    assert acks(events) == [0, 1]
    assert [n for n, _ in frames(p.outgoing(0.1))] == [7, 8]
    events = p.receive(b"Error:checksum mismatch, Last Line: 4\n" + request_line + b"\nok\n", 0.2)
    assert [e for e in events if isinstance(e, Resending)] == [Resending(5, 4)]
    assert acks(events) == []  # the ok after a resend belongs to the bad line
    assert [n for n, _ in frames(p.outgoing(0.2))] == [5, 6, 7, 8]
    assert acks(p.receive(b"ok\nok\nok\nok\n", 0.3)) == [2, 3, 4, 5]
    assert p.idle


def test_stale_resend_requests_after_a_rewind_are_ignored() -> None:
    # A firmware that does not flush its receive buffer rejects each old copy
    # of the lines after the bad one with "Line Number is not Last Line+1".
    p = connected()
    _stream(p, 4)  # 3,4,5,6
    p.receive(b"Error:checksum mismatch, Last Line: 2\nResend: 3\nok\n", 0.1)
    assert [n for n, _ in frames(p.outgoing(0.1))] == [3, 4, 5, 6]
    stale = b"Error:Line Number is not Last Line Number+1, Last Line: 2\nResend: 3\nok\n"
    events = p.receive(stale * 3, 0.1)
    assert not any(isinstance(e, Resending) for e in events)
    assert p.outgoing(0.1) == b""
    # ... but a corrupted new copy does rewind again.
    events = p.receive(b"Error:checksum mismatch, Last Line: 2\nResend: 3\nok\n", 0.2)
    assert [e for e in events if isinstance(e, Resending)] == [Resending(3, 4)]
    assert [n for n, _ in frames(p.outgoing(0.2))] == [3, 4, 5, 6]
    assert acks(p.receive(b"ok\n" * 4, 0.3)) == [0, 1, 2, 3]


def test_resend_for_a_line_not_sent_yet_is_ignored() -> None:
    p = connected()
    _stream(p, 2)  # 3,4
    events = p.receive(b"Resend: 9\nok\n", 0.1)
    assert not any(isinstance(e, Resending) for e in events)
    assert acks(events) == []
    assert p.outgoing(0.1) == b""
    assert acks(p.receive(b"ok\nok\n", 0.2)) == [0, 1]


def test_resend_of_a_forgotten_line_fails() -> None:
    p = connected(history_size=8)
    for i in range(20):
        p.enqueue(f"G1 X{i}", tag=i)
        p.outgoing(0.0)
        p.receive(b"ok\n", 0.0)
    events = p.receive(b"Resend: 3\nok\n", 0.1)
    assert [e.kind for e in events if isinstance(e, Failed)] == ["resend-history"]


def test_resend_loop_fails() -> None:
    p = connected(max_resends=3)
    _stream(p, 1)
    events: list[object] = []
    for _ in range(3):
        events += p.receive(b"Error:checksum mismatch, Last Line: 2\nResend: 3\nok\n", 0.1)
        p.outgoing(0.1)
    assert [e.kind for e in events if isinstance(e, Failed)] == ["resend-loop"]
    assert p.state is LinkState.HALTED


def test_duplicate_ok_is_harmless() -> None:
    p = connected()
    _stream(p, 1)
    assert acks(p.receive(b"ok\nok\n", 0.1)) == [0]
    assert p.stats["duplicate_oks"] == 1
    assert p.in_flight == 0


def test_advanced_ok_acknowledges_through_its_line_and_ignores_duplicates() -> None:
    p = connected()
    _stream(p, 4)  # 3..6
    assert acks(p.receive(b"ok N4 P15 B2\n", 0.1)) == [0, 1]  # the ok of 3 was lost
    assert p.advanced_ok
    assert acks(p.receive(b"ok N4 P15 B3\n", 0.1)) == []  # duplicated
    assert acks(p.receive(b"ok N6 P14 B3\n", 0.1)) == [2, 3]
    assert p.idle


def test_garbage_bytes_are_reported_and_do_not_count() -> None:
    p = connected()
    _stream(p, 2)
    events = p.receive(b"\xff\xfe\x00garbage\x81\n", 0.1)
    assert isinstance(events[0], Garbage) and acks(events) == []
    assert acks(p.receive(b"\x00\xffok\n", 0.1)) == [0]  # noise before a reply
    assert p.in_flight == 1


def test_busy_keeps_the_link_alive_and_paused_for_user_waits() -> None:
    p = connected()
    _stream(p, 1)
    assert p.receive(b"echo:busy: processing\n", 0.9) == [Busy("processing")]
    assert not any(isinstance(e, ProbeSent) for e in p.tick(1.5))
    assert p.receive(b"busy: paused for user\n", 1.6) == [WaitingForUser("paused for user")]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (b"Error:Thermal Runaway, system stopped! Heater_ID: 0\n"
         b"Error:Printer halted. kill() called!\n", "thermal-runaway"),
        (b"Error:Printer halted. kill() called!\n", "killed"),
        (b"Error:0\n: Extruder switched off. MAXTEMP triggered !\n", "maxtemp"),
        (b"Error:Heating failed, system stopped! Heater_ID: bed\n", "heating-failed"),
        (b"!! Shutdown due to MCU error\n", "firmware-error"),
        (b"Error:Printer stopped due to errors. Fix the error and use M999 to restart.\n",
         "stopped"),
        (b"echo:Printer halted. kill() called!\n", "killed"),
    ],
)
def test_firmware_failures_halt_with_a_reason(reply: bytes, kind: str) -> None:
    p = connected()
    _stream(p, 3)
    events = p.receive(reply, 0.1)
    failed = [e for e in events if isinstance(e, Failed)]
    assert [f.kind for f in failed] == [kind]
    assert failed[0].reason
    assert p.state is LinkState.HALTED
    assert p.outgoing(0.1) == b""


def test_recoverable_and_ignored_errors_do_not_halt() -> None:
    p = connected()
    _stream(p, 1)
    p.receive(b'echo:Unknown command: "G12345"\nError:Line Number is not Last Line Number+1, '
              b"Last Line: 2\nError:volume.init failed\n", 0.1)
    assert p.state is LinkState.OPERATIONAL


def test_start_mid_print_is_a_reset() -> None:
    p = connected()
    _stream(p, 4)
    events = p.receive(b"start\n", 0.1)
    assert events == [FirmwareReset()]
    assert p.state is LinkState.CONNECTING
    assert p.outgoing(0.1) == b"N0 M110 N0*125\n"
    assert p.pending == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("T:21.3 /0.0 B:21.2 /0.0 @:0 B@:0", {"T0": (21.3, 0.0), "B": (21.2, 0.0)}),
        ("ok T:210.0 /210.0 B:60 /60 @:64 B@:0", {"T0": (210.0, 210.0), "B": (60.0, 60.0)}),
        ("T0:200.1 /200.0 T1:150.0 /0.0 B:60.0 /60.0 C:35.2 /40.0",
         {"T0": (200.1, 200.0), "T1": (150.0, 0.0), "B": (60.0, 60.0), "C": (35.2, 40.0)}),
        ("T:180.4 E:0 W:?", {"T0": (180.4, None), "W": (None, None)}),
        ("T:190.0 E:0 W:3", {"T0": (190.0, None), "W": (3.0, None)}),
        (" T:25.0 /0.0 B:24.0 /0.0 P:30.1 /0.0 A:31.2 /0.0",
         {"T0": (25.0, 0.0), "B": (24.0, 0.0), "P": (30.1, 0.0), "A": (31.2, 0.0)}),
    ],
)
def test_temperature_formats(line: str, expected: dict[str, tuple[float | None, float | None]]
                             ) -> None:
    readings = gcode.parse_temperatures(line)
    got = {k: (v.actual, v.target) for k, v in readings.items() if k in expected}
    assert got == expected


def test_autoreported_temperatures_become_events() -> None:
    p = connected()
    events = p.receive(b" T:200.0 /200.0 B:60.0 /60.0 @:40 B@:10\n", 0.1)
    assert isinstance(events[0], Temperatures)
    assert events[0].readings["B"].target == 60.0


def test_sd_progress_m73_and_actions() -> None:
    p = connected()
    events = p.receive(b"SD printing byte 1234/5678\nNot SD printing\n"
                       b"echo:NORMAL MODE: Percent done: 42; print time remaining in mins: 12\n"
                       b"//action:pause\n", 0.1)
    assert events == [SdProgress(1234, 5678), SdProgress(0, 0), ProgressReport(42.0, 720.0),
                      Action("pause", "")]
    assert gcode.parse_m73("M73 P25 R30") == (25.0, 1800.0)


def test_m112_jumps_the_queue() -> None:
    p = connected()
    for i in range(20):
        p.enqueue(f"G1 X{i}", tag=i)
    p.outgoing(0.0)
    p.emergency_stop()
    out = p.outgoing(0.0)
    assert out.startswith(b"M112\n")
    assert [c for _, c in frames(out)] == ["M112"]
    assert p.state is LinkState.HALTED and p.pending == 0


def test_a_lost_ok_is_recovered_by_a_probe_within_two_seconds() -> None:
    p = connected(command_slots=1, sync_interval=60.0)
    _stream(p, 3)  # line 3 in flight
    assert p.tick(0.5) == []
    events = p.tick(1.0)
    assert isinstance(events[0], ProbeSent)
    assert frames(p.outgoing(1.0)) == [(4, "M105")]  # beyond the window, numbered
    # The ok of line 3 was lost; the probe's reply acknowledges it.
    events = p.receive(b"ok T:21.0 /0.0 B:21.0 /0.0 @:0 B@:0\n", 1.1)
    assert acks(events) == [0]
    assert frames(p.outgoing(1.1)) == [(5, "G1 X1")]


def test_a_late_ok_and_the_probe_reply_are_both_counted() -> None:
    p = connected(command_slots=1, sync_interval=60.0)
    _stream(p, 3)
    p.tick(1.0)
    p.outgoing(1.0)
    assert acks(p.receive(b"ok\n", 1.05)) == [0]  # the ok was only late
    assert acks(p.receive(b"ok T:21.0 /0.0 B:21.0 /0.0\n", 1.1)) == []  # the probe
    assert frames(p.outgoing(1.1)) == [(5, "G1 X1")]
    assert p.in_flight == 1


def test_wait_from_an_idle_firmware_probes_at_once() -> None:
    p = connected()
    _stream(p, 1)
    events = p.receive(b"wait\n", 0.2)
    assert isinstance(events[0], ProbeSent)
    assert [c for _, c in frames(p.outgoing(0.2))] == ["M105"]


def test_long_running_commands_are_not_probed_early() -> None:
    p = connected()
    p.enqueue("G28", tag="home")
    p.outgoing(0.0)
    assert p.tick(5.0) == []
    assert isinstance(p.tick(30.0)[0], ProbeSent)


def test_silent_printer_fails_after_the_probes() -> None:
    p = connected(max_probes=2)
    _stream(p, 1)
    p.tick(1.0)
    p.tick(2.0)
    events = p.tick(3.0)
    assert [e.kind for e in events if isinstance(e, Failed)] == ["no-response"]


def test_a_periodic_sync_m105_repairs_the_count_after_a_lost_ok() -> None:
    p = connected(min_batch=1)
    _stream(p, 20)  # lines 3..6 (tags 0..3) in flight, 16 queued
    got = acks(p.receive(b"ok\nok\nok\n", 0.1))  # 3's ok was lost: these are 4, 5, 6
    assert [n for n, _ in frames(p.outgoing(0.1))] == [7, 8, 9]
    # The host believes 6 is still in flight (a phantom): one slot is lost.
    p.tick(1.0)  # streaming for a second: a sync M105 goes next
    assert p.outgoing(1.0) == b""  # (the window is full)
    got += acks(p.receive(b"ok\n", 1.01))  # the ok of 7
    assert frames(p.outgoing(1.01)) == [(10, "M105")]
    got += acks(p.receive(b"ok\nok\n", 1.02))  # 8, 9
    got += acks(p.receive(b"ok T:21.0 /0.0 B:21.0 /0.0\n", 1.03))  # the M105
    # Its reply acknowledges everything before it: the count is right again.
    assert p.in_flight == 0
    assert got == [0, 1, 2, 3, 4, 5, 6]


def test_a_resend_taken_as_stale_is_probed_soon() -> None:
    p = connected()
    _stream(p, 4)
    p.receive(b"Error:checksum mismatch, Last Line: 2\nResend: 3\nok\n", 0.1)
    p.outgoing(0.1)
    stale = b"Error:Line Number is not Last Line Number+1, Last Line: 2\nResend: 3\nok\n"
    p.receive(stale, 0.2)
    assert p.tick(0.22) == []
    assert isinstance(p.tick(0.26)[0], ProbeSent)
