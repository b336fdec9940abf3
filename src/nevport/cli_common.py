"""Pieces every sub-command shares: global options, settings, the database, output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from nevport.config import Settings, load_settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade

console = Console()
err_console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $NEVPORT_DATA_DIR or ~/.local/share/nevport)."
    ),
]


def settings_for(data_dir: Path | None = None, **overrides: Any) -> Settings:
    return load_settings(data_dir=data_dir, **overrides)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The configured database, migrated to the newest schema unless told otherwise."""
    database = Database(settings.resolved_database_url)
    if migrate:
        upgrade(database.engine)
    return database
