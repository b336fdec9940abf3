"""Send queued HJ 212 packets to the upstream platform over TCP, with retries.

Packets that ask for an answer (Flag A bit) stay queued until the platform returns
the data answer (CN 9014) carrying the same QN; others are done once written. The
link is reopened with exponential backoff while the platform is unreachable.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from nevport.environment.hj212.outbox import Outbox
from nevport.environment.hj212.packet import TRAILER, Hj212Error, decode_packet

CN_DATA_ANSWER = "9014"  # HJ 212-2017 table B.1: data answer from the platform


@dataclass(frozen=True)
class SenderConfig:
    host: str
    port: int
    timeout_s: float = 5.0  # [s] connect and answer timeout
    backoff_initial_s: float = 0.5  # [s] first wait after a failure
    backoff_max_s: float = 60.0  # [s] longest wait between attempts


class Hj212Sender:
    def __init__(self, outbox: Outbox, config: SenderConfig):
        self.outbox = outbox
        self.config = config
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.failures = 0
        self.sent = 0

    def _connect(self) -> socket.socket:
        if self.sock is None:
            address = (self.config.host, self.config.port)
            self.sock = socket.create_connection(address, timeout=self.config.timeout_s)
            self.buffer = b""
        return self.sock

    def _drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _answer(self, sock: socket.socket, qn: str | None) -> None:
        """Wait for the 9014 answer to ``qn``; other packets from the platform are skipped."""
        while True:
            end = self.buffer.find(TRAILER)
            if end < 0:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError("upstream closed the link before answering")
                self.buffer += chunk
                continue
            line, self.buffer = self.buffer[: end + 2], self.buffer[end + 2 :]
            try:
                reply = decode_packet(line)
            except Hj212Error:
                continue  # a garbled reply is not an answer; the packet stays queued
            if reply.cn == CN_DATA_ANSWER and reply.qn == qn:
                return

    def _send_one(self, row_id: int, raw: bytes) -> None:
        packet = decode_packet(raw)
        sock = self._connect()
        self.outbox.attempted(row_id)
        sock.sendall(raw)
        if packet.answer_wanted:
            self._answer(sock, packet.qn)
        self.outbox.done(row_id)
        self.sent += 1

    def drain(self, deadline_s: float) -> int:
        """Send until the outbox is empty or ``deadline_s`` [s] passes; return what is left."""
        stop = time.monotonic() + deadline_s
        while len(self.outbox) and time.monotonic() < stop:
            try:
                for row_id, raw in self.outbox.peek():
                    self._send_one(row_id, raw)
                self.failures = 0
            except OSError:
                self._drop()
                self.failures += 1
                wait = self.config.backoff_initial_s * 2 ** (self.failures - 1)
                time.sleep(min(wait, self.config.backoff_max_s, max(0.0, stop - time.monotonic())))
        return len(self.outbox)

    def close(self) -> None:
        self._drop()
