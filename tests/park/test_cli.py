"""`nevport park`: seed-demo twice, list as JSON, overview, and a one-line user error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nevport.cli import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("NEVPORT_DATABASE_URL", raising=False)
    monkeypatch.delenv("NEVPORT_CONFIG", raising=False)
    return str(tmp_path / "data")


def test_seed_list_and_overview(data_dir: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["park", "seed-demo", "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    assert "enterprises: 172 added, 0 already there" in first.output
    again = runner.invoke(app, ["park", "seed-demo", "--data-dir", data_dir])
    assert "enterprises: 0 added, 172 already there" in again.output
    assert "projects: 0 added, 21 already there" in again.output

    listed = runner.invoke(
        app,
        [
            "park",
            "list",
            "--data-dir",
            data_dir,
            "--json",
            "--limit",
            "2",
            "--sort",
            "-patents",
            "--sector",
            "electronics",
        ],
    )
    assert listed.exit_code == 0, listed.output
    page = json.loads(listed.output)
    assert page["items"][0]["name_zh"] == "天津博顿电子有限公司"  # 85 patents, the most
    assert len(page["items"]) == 2
    assert page["total"] == 36

    overview = runner.invoke(app, ["park", "overview", "--data-dir", data_dir, "--json"])
    figures = json.loads(overview.output)
    assert figures["projects"]["investment_yuan"] == 3_120_000_000
    assert figures["oem_plants"] == 18

    table = runner.invoke(app, ["park", "list", "--data-dir", data_dir, "--limit", "1"])
    assert "1 of 172 enterprises" in table.output


def test_a_bad_sort_is_a_user_error(data_dir: str) -> None:
    result = CliRunner().invoke(app, ["park", "list", "--data-dir", data_dir, "--sort", "rank"])
    assert result.exit_code != 0
    assert result.exception is not None
    assert str(result.exception).startswith("sort: cannot sort by 'rank'")
