"""`nevport energy simulate-equipment`: equipment controllers to command on loopback."""

from __future__ import annotations

from typing import Annotated

import typer

from nevport.cli_common import err_console


def simulate_equipment(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Modbus TCP port.")] = 5030,
    units: Annotated[int, typer.Option(min=1, max=247, help="Devices (unit ids 1..N).")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve devices with 64 coils and 64 holding registers each until interrupted."""
    import asyncio
    import contextlib

    from nevport.energy.control.simulator import COILS, REGISTERS, serve_equipment

    async def serve() -> None:
        await (await serve_equipment(host, port, units))

    err_console.print(
        f"serving {units} equipment controller(s) on {host}:{port}: "
        f"{COILS} coils and {REGISTERS} holding registers each"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
