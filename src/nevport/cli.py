"""The `nevport` command: mounts each domain's sub-app.

A user error prints one line and exits 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import nevport
from nevport.auth.cli import tokens_app, users_app
from nevport.cli_common import DataDirOption, console, err_console, open_database, settings_for
from nevport.energy.cli import app as energy_app
from nevport.environment.cli import app as env_app
from nevport.errors import NevportError
from nevport.park.cli import app as park_app

USAGE_ERROR = 2

app = typer.Typer(
    name="nevport",
    help="Smart automotive industrial park platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nevport {nevport.__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """nevport: six systems of a smart automotive industrial park on one platform."""


def _planned(name: str, issue_text: str) -> typer.Typer:
    group = typer.Typer(help=f"{issue_text} (planned).", invoke_without_command=True)

    @group.callback()
    def _status() -> None:
        err_console.print(f"nevport {name}: {issue_text} is planned and has no commands yet.")
        raise typer.Exit(USAGE_ERROR)

    return group


def _mount_sim() -> None:
    try:
        from nevport.sim.cli import app as sim_app
    except ImportError:
        sim_app = _planned("sim", "AD virtual simulation test system")
    app.add_typer(sim_app, name="sim", help="AD virtual simulation test system.")


_mount_sim()
app.add_typer(energy_app, name="energy", help="Energy management center.")
app.add_typer(env_app, name="env", help="Environmental power supervision.")
app.add_typer(_planned("factory", "Digital workshop and traceability"), name="factory")
app.add_typer(_planned("supply", "Regional supply-chain coordination"), name="supply")
app.add_typer(park_app, name="park", help="Park operations: enterprises, OEM plants, projects.")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Apply every pending migration."""
    from nevport.db.migrate import current_revision

    settings = settings_for(data_dir)
    database = open_database(settings)
    console.print(f"database at revision {current_revision(database.engine)} ({database.backend})")


@db_app.command("current")
def db_current(data_dir: DataDirOption = None) -> None:
    """Print the schema revision and the newest one available."""
    from nevport.db.migrate import current_revision, head_revision

    database = open_database(settings_for(data_dir), migrate=False)
    console.print(f"current {current_revision(database.engine)}, head {head_revision()}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the portal, the HTTP API and the background tasks."""
    from nevport.web.server import run_server

    settings = settings_for(data_dir)
    settings.require_secret_key()
    open_database(settings).dispose()
    run_server(settings, host=host, port=port, workers=workers)


@app.command()
def demo(
    check: Annotated[
        bool, typer.Option("--check", help="Start, verify, stop; exit 0 if healthy.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="TCP port (default 8000; --check picks a free one).")
    ] = None,
    data_dir: Annotated[
        str, typer.Option("--data-dir", help="Demo data directory, created or reused.")
    ] = "nevport-demo",
) -> None:
    """Everything at once: a demo park, one account per role, the portal."""
    from pathlib import Path

    from nevport.demo import run_demo

    raise typer.Exit(run_demo(Path(data_dir), host=host, port=port, check=check))


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        app()
    except NevportError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(USAGE_ERROR)


if __name__ == "__main__":
    main()
