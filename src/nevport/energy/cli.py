"""`nevport energy`: field tools (decode), the meter simulator and the edge collector."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import typer

from nevport.cli_common import err_console
from nevport.energy.analysis.cli import app as tariff_app
from nevport.energy.control.cli import simulate_equipment

app = typer.Typer(help="Energy management center.", no_args_is_help=True)
decode_app = typer.Typer(help="Decode meter frames and register dumps.", no_args_is_help=True)
app.add_typer(decode_app, name="decode")
app.add_typer(tariff_app, name="tariff")
app.command("simulate-equipment")(simulate_equipment)

BAD_INPUT = 2


def _json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)  # exact: a float would round 0.1 kWh
        raise TypeError(type(obj).__name__)

    return json.dumps(value, default=default, ensure_ascii=False, indent=2)


def _refuse(message: str) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(BAD_INPUT)


@decode_app.command("dlt645")
def decode_dlt645(
    frame: Annotated[list[str], typer.Argument(help="Frame bytes in hex; spaces allowed.")],
) -> None:
    """Decode one DL/T 645-2007 frame and print it as JSON."""
    from nevport.energy.protocols import dlt645
    from nevport.energy.protocols.errors import DecodeError

    text = "".join(frame).replace(" ", "").replace(":", "")
    try:
        raw = bytes.fromhex(text)
    except ValueError as exc:
        raise _refuse(f"framing: {text!r} is not hexadecimal bytes") from exc
    try:
        decoded = dlt645.decode(raw)
        reading = dlt645.interpret(decoded)
    except DecodeError as exc:
        raise _refuse(str(exc)) from exc
    typer.echo(
        _json(
            {
                "address": decoded.address,
                "control": f"0x{decoded.control:02X}",
                "direction": "reply" if decoded.from_meter else "request",
                "data_identifier": f"{reading.di:08X}",
                "name": reading.name,
                "value": reading.value,
                "unit": reading.unit,
            }
        )
    )


def _register(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise _refuse(f"value: register {text!r} is not an integer (decimal or 0x hex)") from None


@decode_app.command("modbus")
def decode_modbus(
    registers: Annotated[list[str], typer.Argument(help="16-bit registers, decimal or 0x hex.")],
    map_name: Annotated[str, typer.Option("--map", help="Packaged map name or YAML path.")],
    start: Annotated[str, typer.Option(help="Address of the first register.")] = "0",
) -> None:
    """Decode a register dump with a register map and print the values as JSON."""
    from nevport.energy.protocols import modbus
    from nevport.errors import InvalidInput

    try:
        regmap = modbus.load_map(map_name)
        values = modbus.decode_registers(
            regmap, _register(start), [_register(r) for r in registers]
        )
    except InvalidInput as exc:
        raise _refuse(str(exc)) from exc
    typer.echo(
        _json(
            {
                "map": regmap.name,
                "values": [
                    {
                        "name": v.name,
                        "address": f"0x{v.address:04X}",
                        "quantity": v.quantity.value if v.quantity else None,
                        "value": v.value,
                        "unit": v.unit,
                    }
                    for v in values
                ],
            }
        )
    )


@app.command("simulate-meters")
def simulate_meters(
    count: Annotated[int, typer.Option(min=1, max=5000, help="Meters to serve.")] = 10,
    modbus_port: Annotated[int | None, typer.Option(help="Modbus TCP port (SDM630 map).")] = None,
    dlt645_port: Annotated[int | None, typer.Option(help="DL/T 645 over TCP port.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    fault: Annotated[
        list[str] | None,
        typer.Option(help="Inject on meter 0: timeout, malformed, zero, rollover, reset."),
    ] = None,
    fault_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of reads hit.")] = 0.05,
    group: Annotated[
        int,
        typer.Option(min=0, help="Meters per site: an incomer reading the sum of the rest."),
    ] = 0,
) -> None:
    """Serve simulated factory meters on loopback until interrupted."""
    import asyncio
    import contextlib

    from nevport.energy.simulator import Fleet, run

    if modbus_port is None and dlt645_port is None:
        raise _refuse("give --modbus-port, --dlt645-port or both")
    try:
        fleet = Fleet.build(count, fault or [], fault_rate, group)
    except ValueError as exc:
        raise _refuse(str(exc)) from exc
    err_console.print(f"serving {count} meters: modbus {modbus_port}, dlt645 {dlt645_port}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(fleet, host, modbus_port, dlt645_port))


@app.command("collect")
def collect_command(
    config: Annotated[str, typer.Option("--config", help="Site file (YAML).")],
    report_s: Annotated[float, typer.Option(help="Seconds between status lines.")] = 10.0,
) -> None:
    """Poll the site's meters, buffer every reading on disk, forward to the center."""
    import asyncio
    import contextlib
    from pathlib import Path

    from nevport.energy.collector.config import load_site
    from nevport.energy.collector.run import collect

    site = load_site(Path(config))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(collect(site, report_s=report_s))
