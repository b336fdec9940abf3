"""Running the application under uvicorn, in the foreground or in a background thread."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import threading
import time

import httpx
import uvicorn
from pydantic import SecretStr

from nevport.config import Settings, load_settings
from nevport.web.app import create_app


def create_app_from_env() -> object:
    """Factory for worker processes: settings come from NEVPORT_* variables."""
    return create_app(load_settings())


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted.

    With several workers, the HTTP workers run no background tasks; one extra process
    runs them, so each loop (alarms, rule engines, deliveries) runs exactly once.
    """
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    _export(settings)
    background = None
    if settings.background_tasks:
        background = multiprocessing.get_context("spawn").Process(
            target=_background_main, name="nevport-background", daemon=True
        )
        background.start()
    os.environ["NEVPORT_BACKGROUND_TASKS"] = "false"
    try:
        uvicorn.run(
            "nevport.web.server:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
        )
    finally:
        if background is not None:
            background.terminate()
            background.join(timeout=15)


def _export(settings: Settings) -> None:
    """Every setting as a NEVPORT_* variable, for processes that build their own app."""
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        os.environ[f"NEVPORT_{name.upper()}"] = str(plain)
    os.environ["NEVPORT_DATABASE_URL"] = settings.resolved_database_url


def _background_main() -> None:
    """The process that runs the background tasks for a multi-worker server."""
    app = create_app(load_settings(background_tasks=True))

    async def forever() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with app.router.lifespan_context(app):
            await stop.wait()

    asyncio.run(forever())


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """The app served from a thread; for checks and browser tests."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            create_app(settings), host=host, port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="nevport-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 30  # [s] generous for a cold start on a busy machine
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"server at {self.url} did not become healthy within 30 s")

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
