"""`nevport energy tariff`: check a tariff file, show a tariff's periods and prices."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from nevport.cli_common import err_console
from nevport.errors import InvalidInput

if TYPE_CHECKING:
    from nevport.energy.analysis.tariff import Tariff

app = typer.Typer(help="Time-of-use tariffs (docs/energy/tariffs.md).", no_args_is_help=True)
BAD_INPUT = 2
HOURS = range(24)


def _load(name_or_path: str) -> Tariff:
    from nevport.energy.analysis.tariff import load_tariff

    try:
        return load_tariff(name_or_path)
    except InvalidInput as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(BAD_INPUT) from exc


@app.command("show")
def show(
    tariff: Annotated[str, typer.Argument(help="Packaged name or a .yaml path.")] = (
        "tianjin-general-industrial"
    ),
    month: Annotated[int, typer.Option(min=1, max=12, help="Month for critical peaks.")] = 7,
) -> None:
    """Print prices [yuan/kWh] and the period of each local hour of a day in MONTH."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    loaded = _load(tariff)
    zone = ZoneInfo("Asia/Shanghai")
    day = datetime(2026, month, 15, tzinfo=zone)
    hours = {f"{h:02d}:00": loaded.period_at(day.replace(hour=h), zone).value for h in HOURS}
    prices = {p.value: str(v) for p, v in loaded.prices.items()}
    typer.echo(json.dumps({"name": loaded.name, "prices": prices, "hours": hours}, indent=2))


@app.command("check")
def check(path: Annotated[str, typer.Argument(help="A tariff .yaml file.")]) -> None:
    """Validate a tariff file; errors name the line and field and exit 2."""
    _load(path)
    typer.echo(f"{path}: ok")
