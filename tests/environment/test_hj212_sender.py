"""Store-and-forward to a real local TCP platform that goes down and comes back."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nevport.environment.hj212 import Packet, decode_packet, encode_packet
from nevport.environment.hj212.mapping import FacilityReading, electrical_packet
from nevport.environment.hj212.outbox import Outbox
from nevport.environment.hj212.packet import FLAG_ANSWER
from nevport.environment.hj212.sender import Hj212Sender, SenderConfig
from nevport.environment.states import FacilityState


class Platform:
    """A minimal upstream platform: answers 9014 per packet; can crash after N packets."""

    def __init__(self, port: int = 0, crash_after: int | None = None):
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.port = self.listener.getsockname()[1]
        self.crash_after = crash_after
        self.received: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        buffer = b""
        with conn:
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    packet = decode_packet(line + b"\r\n")
                    if self.crash_after is not None and len(self.received) >= self.crash_after:
                        self.stop()
                        return  # crashed: this packet was never stored nor answered
                    self.received.append(packet.qn or "")
                    answer = Packet(st="91", cn="9014", pw=packet.pw, mn=packet.mn, qn=packet.qn)
                    conn.sendall(encode_packet(answer))

    def stop(self) -> None:
        self.listener.close()


def _queue(outbox: Outbox, count: int) -> list[str]:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    qns = []
    for i in range(count):
        at = start + timedelta(minutes=i)
        reading = FacilityReading("SB1", FacilityState.running, 12_000.0 + i, 20.0)
        packet = electrical_packet(at, [reading], mn="NVP0001", pw="123456")
        packet = Packet(**{**packet.__dict__, "flag": packet.flag | FLAG_ANSWER})
        outbox.put(encode_packet(packet))
        qns.append(packet.qn or "")
    return qns


def test_nothing_is_lost_while_the_platform_is_down(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "hj212-outbox.db")
    sent = _queue(outbox, 30)
    first = Platform(crash_after=12)
    sender = Hj212Sender(
        outbox, SenderConfig("127.0.0.1", first.port, timeout_s=1.0, backoff_initial_s=0.05)
    )
    assert sender.drain(deadline_s=0.5) == 18  # crashed after 12; the rest stay queued
    assert len(Outbox(tmp_path / "hj212-outbox.db")) == 18  # on disk, for a restarted sender

    second = Platform(port=first.port)  # the platform comes back on the same address
    assert sender.drain(deadline_s=5.0) == 0
    assert first.received + second.received == sent  # every packet, in order, none twice
    sender.close()
    second.stop()


def test_a_platform_that_never_answers_keeps_packets_queued(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    _queue(outbox, 3)
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    sender = Hj212Sender(outbox, SenderConfig("127.0.0.1", port, timeout_s=0.2))
    assert sender.drain(deadline_s=0.6) == 3  # connected, sent, never acknowledged
    sender.close()
    silent.close()
