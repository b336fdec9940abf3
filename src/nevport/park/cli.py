"""`nevport park`: load the demo park, list enterprises, print the overview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.cli_common import DataDirOption, console, open_database, settings_for
from nevport.park import service
from nevport.park.demo import load_demo, seed_demo, total_records
from nevport.park.schemas import EnterpriseQuery, parse

app = typer.Typer(help="Park operations: enterprises, OEM plants, projects.", no_args_is_help=True)

# The CLI runs with the operator's own access to the database, which is the park's view.
OPERATOR = Principal(user_id=0, username="cli", role=Role.park_admin, enterprise_id=None)


@app.command("seed-demo")
def seed_demo_command(
    data_dir: DataDirOption = None,
    source: Annotated[
        Path | None,
        typer.Option(help="Folder with the demo park's YAML files (default: packaged)."),
    ] = None,
) -> None:
    """Load the demo park (idempotent: a second run adds nothing)."""
    park = load_demo(source)
    database = open_database(settings_for(data_dir))
    with Progress(console=console, transient=True) as bar, database.session() as session:
        task = bar.add_task("seeding the demo park", total=total_records(park))
        report = seed_demo(
            session, park, lambda what, n: bar.update(task, advance=n, description=what)
        )
    for kind in ("vehicle_makers", "oem_plants", "enterprises", "projects"):
        console.print(
            f"{kind}: {report.created.get(kind, 0)} added, {report.kept.get(kind, 0)} already there"
        )
    database.dispose()


@app.command("list")
def list_command(
    data_dir: DataDirOption = None,
    q: Annotated[str | None, typer.Option(help="Search names and credit code.")] = None,
    sector: Annotated[str | None, typer.Option(help="Only this sector.")] = None,
    sort: Annotated[str | None, typer.Option(help="e.g. name_en or -output_value_yuan.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (1-500).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many rows.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List enterprises."""
    query = parse(
        EnterpriseQuery, {"q": q, "sector": sector, "sort": sort, "limit": limit, "offset": offset}
    )
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        page = service.list_enterprises(session, OPERATOR, query)
    database.dispose()
    if as_json:
        typer.echo(page.model_dump_json(indent=2))
        return
    table = Table(
        "id",
        "name",
        "sector",
        "credit code",
        "output [million yuan]",
        "green",
        title=f"{len(page.items)} of {page.total} enterprises",
    )
    for row in page.items:
        output = "" if row.output_value_yuan is None else f"{row.output_value_yuan / 1e6:,.1f}"
        table.add_row(
            str(row.id),
            f"{row.name_zh}\n{row.name_en}",
            row.sector.value,
            row.credit_code,
            output,
            row.green_level.value,
        )
    console.print(table)


@app.command("overview")
def overview_command(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Park-wide figures: enterprises, output, green factories, projects, OEM plants."""
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        overview = service.park_overview(session)
    database.dispose()
    if as_json:
        typer.echo(overview.model_dump_json(indent=2))
        return
    data = json.loads(overview.model_dump_json())
    table = Table("figure", "value", show_header=False)
    for key, value in data.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
        table.add_row(key, shown)
    console.print(table)
