"""The protocol against the firmware model, with faults: every line runs
exactly once and in order, and the receive buffer never overflows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printers.firmware import Faults, FirmwareConfig, FirmwareModel
from printers.protocol import MarlinProtocol, ProtocolConfig
from tests.printers.sim import moves, run


def _executed_moves(fw: FirmwareModel) -> list[str]:
    return [e.command for e in fw.executed if e.command.startswith("G1")]


def test_clean_stream_is_windowed_and_exact() -> None:
    cmds = moves(500)
    fw = FirmwareModel(FirmwareConfig(bufsize=4, rx_buffer_size=128))
    proto = MarlinProtocol(ProtocolConfig(command_slots=4, rx_buffer_size=128))
    res = run(proto, fw, cmds)
    assert res.failed is None
    assert _executed_moves(fw) == cmds
    assert res.acked == list(range(500))
    assert fw.rx_overflow_bytes == 0 and fw.line_errors == 0


def test_lost_oks_are_recovered() -> None:
    cmds = moves(200)
    fw = FirmwareModel(FirmwareConfig(faults=Faults(drop_ok_lines=frozenset({20, 21, 90}))))
    proto = MarlinProtocol()
    res = run(proto, fw, cmds)
    assert res.failed is None
    assert _executed_moves(fw) == cmds
    assert res.acked == list(range(200))
    assert proto.stats["probes"] >= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bufsize=st.integers(1, 16),
    rx=st.sampled_from([64, 128, 256, 512]),
    slots=st.integers(1, 16),
    advanced_ok=st.booleans(),
    corrupt=st.sampled_from([0.0, 0.01, 0.05, 0.2]),
    drop_ok=st.sampled_from([0.0, 0.01, 0.05]),
    garbage=st.sampled_from([0.0, 0.02]),
    seed=st.integers(0, 1000),
)
def test_every_line_runs_exactly_once_in_order_under_faults(  # noqa: PLR0917
    bufsize: int, rx: int, slots: int, advanced_ok: bool, corrupt: float, drop_ok: float,
    garbage: float, seed: int,
) -> None:
    cmds = moves(150)
    fw = FirmwareModel(FirmwareConfig(
        bufsize=bufsize, rx_buffer_size=rx, advanced_ok=advanced_ok,
        faults=Faults(corrupt_rate=corrupt, drop_ok_rate=drop_ok, garbage_rate=garbage,
                      seed=seed)))
    proto = MarlinProtocol(ProtocolConfig(command_slots=slots, rx_buffer_size=rx,
                                          max_resends=50))
    res = run(proto, fw, cmds, limit=300.0)
    assert res.failed is None, res.failed
    assert _executed_moves(fw) == cmds
    assert res.acked == list(range(len(cmds)))
    assert fw.rx_overflow_bytes == 0
