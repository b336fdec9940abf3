"""The `nevport` command as a user meets it: a real process, its output and exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nevport


def nevport_cli(
    *args: str, data_dir: Path | None = None, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("NEVPORT_DATABASE_URL", None)
    if data_dir is not None:
        full_env["NEVPORT_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "nevport.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = nevport_cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"nevport {nevport.__version__}\n"


def test_help_lists_every_system_group() -> None:
    result = nevport_cli("--help")
    assert result.returncode == 0
    for group in (
        "sim",
        "energy",
        "env",
        "factory",
        "supply",
        "park",
        "users",
        "tokens",
        "db",
        "serve",
        "demo",
    ):
        assert f" {group} " in result.stdout, group


def test_user_error_is_one_line_exit_2_without_traceback(tmp_path: Path) -> None:
    result = nevport_cli(
        "users",
        "create",
        "li",
        "--role",
        "student",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="short\n",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: username: 'li' is not a valid username; use 3-64 letters, digits, '_', '.' or '-'"
    ]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = nevport_cli(
        "--debug",
        "users",
        "create",
        "li",
        "--role",
        "student",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="x\n",
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_users_create_and_list(tmp_path: Path) -> None:
    created = nevport_cli(
        "users",
        "create",
        "wang.teacher",
        "--role",
        "instructor",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="a-long-password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created user wang.teacher" in created.stdout
    listed = nevport_cli("users", "list", data_dir=tmp_path)
    assert "wang.teacher" in listed.stdout
    assert "instructor" in listed.stdout


def test_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    result = nevport_cli(
        "users",
        "create",
        "zhang",
        "--role",
        "janitor",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="a-long-password\n",
    )
    assert result.returncode == 2
    assert "janitor" in result.stderr


def test_serve_refuses_a_placeholder_secret(tmp_path: Path) -> None:
    result = nevport_cli(
        "serve", "--port", "1", data_dir=tmp_path, env={"NEVPORT_SECRET_KEY": "changeme"}
    )
    assert result.returncode == 2
    assert "NEVPORT_SECRET_KEY is missing or a placeholder" in result.stderr


@pytest.mark.parametrize("group", ["factory", "supply"])
def test_planned_groups_say_so(group: str) -> None:
    result = nevport_cli(group)
    assert result.returncode == 2
    assert "planned" in result.stderr


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    assert nevport_cli("db", "upgrade", data_dir=tmp_path).returncode == 0
    current = nevport_cli("db", "current", data_dir=tmp_path)
    assert current.returncode == 0
    revision = current.stdout.split()[1].rstrip(",")
    assert current.stdout.strip() == f"current {revision}, head {revision}"
