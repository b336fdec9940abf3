"""Background work of `nevport serve`: each domain's long-running loops, started with the
application and stopped with it.

A domain contributes a ``BackgroundTask``: an async callable taking the running app
(``app.state.settings`` and ``app.state.db`` are there) that loops until cancelled. The
list lives in ``nevport.web.app.BACKGROUND_TASKS``; a task that crashes is logged and
restarted after a pause, so one failing loop never takes the portal down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from fastapi import FastAPI

log = logging.getLogger("nevport.background")

BackgroundTask = Callable[[FastAPI], Awaitable[None]]
RESTART_DELAY_S = 5.0  # [s] pause before restarting a task that crashed


async def _supervise(app: FastAPI, task: BackgroundTask) -> None:
    name = getattr(task, "__qualname__", repr(task))
    while True:
        try:
            await task(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s crashed; restarting in %.0f s", name, RESTART_DELAY_S)
            await asyncio.sleep(RESTART_DELAY_S)
        else:
            return


def lifespan_for(
    tasks: Sequence[BackgroundTask], *, enabled: bool
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = [asyncio.create_task(_supervise(app, task)) for task in tasks] if enabled else []
        app.state.background = running
        try:
            yield
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    return lifespan
