"""Stored power of an enterprise -> HJ 212 packets in the outbox, then to the platform.

Each sample of the supervision grid becomes a facility-status packet (CN 2021) and an
electrical-data packet (CN 2011) per group of facilities, all asking for an answer, so
the sender keeps each one queued until the platform has acknowledged it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from nevport.environment.hj212.mapping import (
    FacilityReading,
    electrical_packet,
    qn_for,
    status_packet,
)
from nevport.environment.hj212.outbox import Outbox
from nevport.environment.hj212.packet import FLAG_ANSWER, Packet, encode_packet
from nevport.environment.service import topology_of
from nevport.environment.source import power_history
from nevport.environment.states import FacilityState, StateVector, advance

# Facilities per packet: 8 x two electrical items stays well under the 1,024-byte data
# segment of HJ 212-2017 (an item pair is ~70 bytes; the header ~110).
FACILITIES_PER_PACKET = 8


def _answered(packet: Packet, at: datetime, serial: int) -> Packet:
    """Ask for an answer, and give each packet of one sample its own QN (the platform
    dedupes by QN, so two packets sharing one would lose the second)."""
    return replace(
        packet, flag=packet.flag | FLAG_ANSWER, qn=qn_for(at + timedelta(milliseconds=serial))
    )


def queue_packets(
    session: Session,
    enterprise_id: int,
    start: datetime,
    end: datetime,
    outbox: Outbox,
    *,
    mn: str,
    pw: str,
) -> int:
    """Put the packets of every stored sample in [start, end) into ``outbox``; count them."""
    topology = topology_of(session, enterprise_id)
    t, power, _ = power_history(session, enterprise_id, start, end)
    if not len(t):
        return 0
    states = StateVector.initial(len(topology.facilities), int(t[0]))
    thresholds = topology.thresholds()
    queued = 0
    for row in range(len(t)):
        advance(states, int(t[row]), power[row], thresholds)
        at = datetime.fromtimestamp(int(t[row]), UTC)
        readings = [
            FacilityReading(
                code,
                None if states.state[i] < 0 else FacilityState(int(states.state[i])),
                None if np.isnan(power[row, i]) else float(power[row, i]),
            )
            for i, code in enumerate(topology.codes)
        ]
        serial = 0
        for first in range(0, len(readings), FACILITIES_PER_PACKET):
            group = readings[first : first + FACILITIES_PER_PACKET]
            for build in (status_packet, electrical_packet):
                packet = _answered(build(at, group, mn=mn, pw=pw), at, serial)
                outbox.put(encode_packet(packet))
                serial += 1
                queued += 1
    return queued
