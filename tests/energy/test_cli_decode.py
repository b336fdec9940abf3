"""`nevport energy decode` as a field engineer runs it: a real process, JSON out, exit 2."""

from __future__ import annotations

import json

from tests.test_cli import nevport_cli


def test_dlt645_reply_prints_json() -> None:
    result = nevport_cli(
        "energy",
        "decode",
        "dlt645",
        "FE FE 68 01 00 00 00 00 00 68 91 08 33 33 34 33 89674533 9F 16",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "address": "000000000001",
        "control": "0x91",
        "direction": "reply",
        "data_identifier": "00010000",
        "name": "active_energy_import",
        "value": "1234.56",
        "unit": "kWh",
    }


def test_dlt645_bad_checksum_exits_2_with_reason() -> None:
    result = nevport_cli("energy", "decode", "dlt645", "680100000000006891083333343389674533 9E16")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "checksum: sum is 0x9F, frame says 0x9E at byte 18" in result.stderr


def test_modbus_dump_and_bad_register() -> None:
    good = nevport_cli(
        "energy", "decode", "modbus", "--map", "dtsu666", "--start", "0x2006", "0x450F", "0xC000"
    )
    assert good.returncode == 0, good.stderr
    (value,) = json.loads(good.stdout)["values"]
    assert (value["name"], value["value"], value["unit"]) == ("voltage_a", "230.00", "V")
    bad = nevport_cli("energy", "decode", "modbus", "--map", "dtsu666", "zz")
    assert bad.returncode == 2
    assert "register 'zz' is not an integer" in bad.stderr
