"""HJ 212-2017 upstream protocol: framing and CRC (``packet``), the facility mapping
(``mapping``), and a store-and-forward TCP sender (``sender``)."""

from nevport.environment.hj212.packet import (
    Hj212Error,
    Packet,
    crc16,
    decode_packet,
    encode_packet,
)

__all__ = ["Hj212Error", "Packet", "crc16", "decode_packet", "encode_packet"]
