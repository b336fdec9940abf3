"""Fixtures shared by every test: a migrated database on each backend, the app, users.

Every test that takes ``database`` runs twice: on embedded SQLite and on the PostgreSQL
server that scripts/test starts (``NEVPORT_TEST_POSTGRES_URL``). Under CI a missing
server is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from nevport.auth import service as auth_service
from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.park.models import Enterprise, Sector
from nevport.web.app import create_app

from .factories import valid_credit_code

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
TEST_PASSWORD = "correct-horse-battery"
BACKENDS = ("sqlite", "postgresql")


def _postgres_admin_url() -> str:
    url = os.environ.get("NEVPORT_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("NEVPORT_TEST_POSTGRES_URL is not set; run the suite through scripts/test")
    pytest.skip("no PostgreSQL server (NEVPORT_TEST_POSTGRES_URL); scripts/test starts one")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is far faster than migrating."""
    path = tmp_path_factory.mktemp("sqlite-template") / "nevport.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[Database]:
    """A migrated PostgreSQL database for this xdist worker, emptied after each test."""
    admin_url = _postgres_admin_url()
    name = f"nevport_test_{worker_id}_{os.getpid()}".replace("-", "_")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database.engine)
    yield database
    database.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(database: Database) -> None:
    present = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
    tables = ", ".join(f'"{name}"' for name in sorted(present))
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "nevport.db"
        shutil.copyfile(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("postgres_database")
    try:
        yield database
    finally:
        _empty_postgres(database)


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database.url,
        secret_key=TEST_SECRET,
        cookie_secure=False,
        background_tasks=False,  # tests of background loops switch them on themselves
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_enterprise(database: Database) -> Callable[..., Enterprise]:
    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> Enterprise:
        n = next(counter)
        values: dict[str, Any] = {
            "name_zh": f"测试企业{n}",
            "name_en": f"Test Enterprise {n}",
            "credit_code": valid_credit_code(n),
            "sector": Sector.electronics,
        }
        values.update(fields)
        with database.session() as session:
            enterprise = Enterprise(**values)
            session.add(enterprise)
        return enterprise

    return make


@pytest.fixture
def make_user(database: Database) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str, enterprise_id: int | None = None, username: str | None = None
    ) -> User:
        with database.session() as session:
            return auth_service.create_user(
                session,
                username or f"{Role(role).value}-{next(counter)}",
                TEST_PASSWORD,
                role,
                enterprise_id=enterprise_id,
            )

    return make


@pytest.fixture
def auth_headers(client: TestClient) -> Callable[[User], dict[str, str]]:
    def headers(user: User) -> dict[str, str]:
        response = client.post(
            "/api/auth/token", data={"username": user.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers
