"""`nevport demo --check`: the newcomer's one-command verification, as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .conftest import _postgres_admin_url


def run_check(
    data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    if env is None:
        full_env.pop("NEVPORT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "nevport.cli", "demo", "--check", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


def test_demo_check_passes_and_reuses_its_data_dir(tmp_path: Path) -> None:
    first = run_check(tmp_path / "demo")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "demo check passed" in first.stdout
    assert first.stdout.count("new energy readings") == 3  # three metered demo enterprises
    accounts = (tmp_path / "demo" / "demo-accounts.txt").read_text()
    assert (tmp_path / "demo" / "demo-accounts.txt").stat().st_mode & 0o077 == 0
    second = run_check(tmp_path / "demo")
    assert second.returncode == 0, second.stdout + second.stderr
    assert (tmp_path / "demo" / "demo-accounts.txt").read_text() == accounts


def test_demo_check_on_postgresql(tmp_path: Path) -> None:
    admin_url = _postgres_admin_url()
    name = f"nevport_demo_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        result = run_check(tmp_path / "demo", env={"NEVPORT_DATABASE_URL": url})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "(postgresql)" in result.stdout
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
