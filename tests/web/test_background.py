"""Background tasks start with the application, survive a crash and stop with it."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nevport.config import Settings
from nevport.db.engine import Database
from nevport.web import app as app_module
from nevport.web import background


def test_tasks_run_restart_after_a_crash_and_are_cancelled(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    crashes = iter([True, False])

    async def loop(app: FastAPI) -> None:
        events.append("start")
        if next(crashes, False):
            raise RuntimeError("boom")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    monkeypatch.setattr(background, "RESTART_DELAY_S", 0.01)
    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [loop])
    app = app_module.create_app(settings.model_copy(update={"background_tasks": True}), database)
    with TestClient(app) as client:
        for _ in range(200):
            if events.count("start") == 2:
                break
            client.get("/healthz")
            asyncio.run(asyncio.sleep(0.01))
    assert events == ["start", "start", "cancelled"]


def test_disabled_tasks_do_not_start(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    async def loop(app: FastAPI) -> None:
        started.append(1)

    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [loop])
    with TestClient(app_module.create_app(settings, database)) as client:
        client.get("/healthz")
    assert started == []
