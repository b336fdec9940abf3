"""Settings: defaults, environment, TOML file, and refusal of unsafe secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nevport.config import load_settings
from nevport.errors import ConfigError


def test_defaults_give_embedded_sqlite_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEVPORT_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'nevport.db'}"
    assert settings.timezone == "Asia/Shanghai"


def test_environment_switches_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEVPORT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert load_settings().resolved_database_url == "postgresql+psycopg://u@h/db"


def test_toml_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "site.toml"
    config.write_text('timezone = "UTC"\naccess_token_minutes = 15\n', encoding="utf-8")
    monkeypatch.setenv("NEVPORT_CONFIG", str(config))
    monkeypatch.setenv("NEVPORT_ACCESS_TOKEN_MINUTES", "30")
    settings = load_settings()
    assert settings.timezone == "UTC"
    assert settings.access_token_minutes == 30


def test_unknown_keys_in_the_file_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "site.toml"
    config.write_text("timezon = 'UTC'\n", encoding="utf-8")
    monkeypatch.setenv("NEVPORT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="timezon"):
        load_settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEVPORT_CONFIG", "/nonexistent/nevport.toml")
    with pytest.raises(ConfigError, match=re.escape("/nonexistent/nevport.toml")):
        load_settings()


@pytest.mark.parametrize("secret", [None, "", "changeme", "secret", "short-but-not-placeholder"])
def test_missing_placeholder_or_short_secrets_are_refused(
    secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEVPORT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="NEVPORT_SECRET_KEY"):
        load_settings(secret_key=secret).require_secret_key()


def test_a_real_secret_is_accepted() -> None:
    key = "k" * 40
    assert load_settings(secret_key=key).require_secret_key() == key
