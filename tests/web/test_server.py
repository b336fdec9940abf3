"""`nevport serve --workers N`: settings reach every process, and shutdown is clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from nevport.config import load_settings
from nevport.web.server import _export, free_port

SECRET = "serve-test-secret-0123456789abcdefghijklmnop"


def test_export_round_trips_every_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("NEVPORT_"):
            monkeypatch.delenv(name)
    original = load_settings(
        data_dir=tmp_path, secret_key=SECRET, cookie_secure=False, access_token_minutes=7
    )
    with monkeypatch.context() as patch:
        _export(original)
        rebuilt = load_settings()
        for name in list(os.environ):
            if name.startswith("NEVPORT_"):
                patch.delenv(name)
    assert rebuilt.cookie_secure is False
    assert rebuilt.access_token_minutes == 7
    assert rebuilt.require_secret_key() == SECRET
    assert rebuilt.resolved_database_url == original.resolved_database_url


def children_of(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in out.stdout.split()]


def test_two_workers_serve_and_stop_with_their_background_process(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "NEVPORT_DATA_DIR": str(tmp_path), "NEVPORT_SECRET_KEY": SECRET}
    env.pop("NEVPORT_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "nevport.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server never answered")
        children = children_of(server.pid)
        assert len(children) >= 3  # two HTTP workers and the background process
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.1)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
