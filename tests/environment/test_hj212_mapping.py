"""Facility status and electrical readings as HJ 212 data, and the decoder CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from nevport.environment.hj212 import decode_packet, encode_packet
from nevport.environment.hj212.mapping import (
    FacilityReading,
    electrical_packet,
    readings_from,
    status_packet,
)
from nevport.environment.states import FacilityState

AT = datetime(2026, 1, 5, 0, 30, 15, 250_000, tzinfo=UTC)  # 08:30:15.250 in Tianjin
READINGS = [
    FacilityReading("SC1", FacilityState.running, 42_500.0, 70.25),
    FacilityReading("SB1", FacilityState.standby, 800.0, 1.5),
    FacilityReading("SB2", None, None, None),
]


def test_status_packet_literal() -> None:
    raw = encode_packet(status_packet(AT, READINGS, mn="NVP0001", pw="123456"))
    data = (
        b"QN=20260105083015250;ST=31;CN=2021;PW=123456;MN=NVP0001;Flag=4;"
        b"CP=&&DataTime=20260105083015;SC1-RS=1,SC1-Sta=2;SB1-RS=0,SB1-Sta=1;SB2-Flag=B&&"
    )
    assert raw[6:-6] == data
    assert raw[:6] == b"##%04d" % len(data)


def test_electrical_packet_in_kilowatts_and_amperes_with_missing_as_flag_b() -> None:
    packet = electrical_packet(AT, READINGS, mn="NVP0001", pw="123456")
    fields = readings_from(decode_packet(encode_packet(packet)))
    assert fields["SC1"] == {"Pt-Rtd": "42.500", "Pt-Flag": "N", "Ia-Rtd": "70.25", "Ia-Flag": "N"}
    assert fields["SB2"] == {"Pt-Flag": "B", "Ia-Flag": "B"}  # missing: no value, never 0
    assert packet.cn == "2011"


STANDARD_EXAMPLE = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    "Flag=5;CP=&&RtdInterval=30&&1C80"
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nevport.cli", "env", "decode", "hj212", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_decodes_to_json_and_refuses_with_reason() -> None:
    good = _cli(STANDARD_EXAMPLE)
    assert good.returncode == 0, good.stderr
    body = json.loads(good.stdout)
    assert (body["cn"], body["mn"], body["cp"]) == (
        "1062",
        "010000A8900016F000169DC0",
        [{"RtdInterval": "30"}],
    )
    bad = _cli(STANDARD_EXAMPLE.replace("1C80", "1C81"))
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: bad_crc: CRC is 1C81, data segment gives 1C80 at byte 107"
    assert bad.stdout == ""
