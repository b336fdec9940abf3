"""One Settings object, read from ``NEVPORT_*`` variables and an optional TOML file.

Precedence, highest first: explicit keyword arguments (the CLI's flags), environment
variables, the TOML file named by ``NEVPORT_CONFIG`` (or ``<data dir>/nevport.toml``),
then the defaults below.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from nevport.errors import ConfigError

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "please-change", "xxx"})
MIN_SECRET_LENGTH = 32  # [characters] 32 url-safe characters carry >= 190 bits


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "nevport"


def _toml_path() -> Path | None:
    explicit = os.environ.get("NEVPORT_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"NEVPORT_CONFIG names {path}, which is not a file")
        return path
    data_dir = Path(os.environ.get("NEVPORT_DATA_DIR") or default_data_dir())
    candidate = data_dir / "nevport.toml"
    return candidate if candidate.is_file() else None


class Settings(BaseSettings):
    """Everything an operator can configure. Unknown keys are errors."""

    model_config = SettingsConfigDict(env_prefix="NEVPORT_", extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: SecretStr | None = None
    timezone: str = "Asia/Shanghai"
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = True
    max_body_bytes: int = Field(default=1_048_576, ge=1024)  # [bytes] 1 MiB per request
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=300, ge=1)  # [s] failures counted over 5 minutes
    default_language: str = "zh-CN"
    background_tasks: bool = True  # rule engines and receivers inside `nevport serve`
    mqtt_url: str | None = None  # mqtt://host:port: the energy center reads collectors' batches
    mqtt_topic: str = "nevport"  # topic prefix shared with the collectors' site files

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh-CN", "en"):
            raise ValueError(f"default_language must be zh-CN or en, got {value!r}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = _toml_path()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @cached_property
    def resolved_database_url(self) -> str:
        """The URL in force: the configured one, or SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'nevport.db'}"

    def require_secret_key(self) -> str:
        """The signing key, or a ConfigError when it is missing or a placeholder."""
        raw = self.secret_key.get_secret_value() if self.secret_key else ""
        if raw.strip().lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(
                "NEVPORT_SECRET_KEY is missing or a placeholder",
                hint='generate one: python -c "import secrets; print(secrets.token_urlsafe(48))"',
            )
        if len(raw) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"NEVPORT_SECRET_KEY has {len(raw)} characters, need at least {MIN_SECRET_LENGTH}",
            )
        return raw


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the CLI's explicit values on top."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc
