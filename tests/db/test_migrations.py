"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from nevport.db.engine import Database
from nevport.db.migrate import current_revision, head_revision, upgrade
from nevport.db.models import metadata


def test_schema_is_at_head_and_matches_the_models(database: Database) -> None:
    assert current_revision(database.engine) == head_revision()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_upgrade_twice_changes_nothing(database: Database) -> None:
    before = sorted(inspect(database.engine).get_table_names())
    upgrade(database.engine)
    assert sorted(inspect(database.engine).get_table_names()) == before
    assert {"users", "enterprises", "alembic_version"} <= set(before)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sub' / 'nevport.db'}")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_timestamps_come_back_aware_utc(database: Database, make_enterprise: object) -> None:
    from nevport.park.models import Enterprise

    enterprise = make_enterprise()  # type: ignore[operator]
    with database.session() as session:
        stored = session.get(Enterprise, enterprise.id)
        assert stored is not None
        assert isinstance(stored.created_at, datetime)
        assert stored.created_at.utcoffset() is not None
        assert stored.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_downgrade_to_base_and_back(database: Database) -> None:
    from alembic import command

    from nevport.db.migrate import alembic_config

    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()
