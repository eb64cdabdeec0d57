"""Drive the sans-IO protocol against the sans-IO firmware model on a
simulated clock: no thread, no port, deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field

from printers.firmware import FirmwareModel
from printers.protocol import Acked, Event, Failed, LinkState, MarlinProtocol


@dataclass
class SimResult:
    acked: list[object] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    failed: Failed | None = None
    time: float = 0.0


def run(proto: MarlinProtocol, fw: FirmwareModel, commands: list[str], *,
        step: float = 0.0002, limit: float = 120.0) -> SimResult:
    result = SimResult()
    t = 0.0
    proto.connect(t)
    queue = list(enumerate(commands))
    queue.reverse()
    while t < limit:
        sent = proto.outgoing(t)
        fw.receive(sent, t)
        fw.advance(t)
        replies = fw.take_output(t)
        events = proto.receive(replies, t) + proto.tick(t)
        for e in events:
            if isinstance(e, Acked):
                result.acked.append(e.tag)
            elif isinstance(e, Failed):
                result.failed = e
            result.events.append(e)
        if result.failed or fw.disconnect_requested:
            break
        if proto.state is LinkState.OPERATIONAL and proto.capabilities != {}:
            while queue and proto.wants_more():
                i, cmd = queue.pop()
                proto.enqueue(cmd, tag=i)
        if not queue and proto.idle and proto.state is LinkState.OPERATIONAL \
                and len(result.acked) >= len(commands):
            break
        if sent or replies or events:
            t += step
        else:  # nothing moves: jump to the firmware's next deadline
            deadline = fw.next_deadline()
            t = max(t + step, min(deadline if deadline is not None else t + 0.05, t + 0.05))
    result.time = t
    return result


def moves(n: int) -> list[str]:
    return [f"G1 X{i % 200}.{i % 7} Y{(i * 3) % 200}.5 E{i * 0.01:.3f}" for i in range(n)]
