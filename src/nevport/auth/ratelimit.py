"""Failed-login throttling: a sliding window of failures per (client, username)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from threading import Lock

from nevport.errors import RateLimited


class LoginThrottle:
    """Refuses further attempts once ``max_failures`` fail within ``window_s``.

    Keyed by client address and username together, so one attacker cannot lock a user
    out from everywhere. In-process: each server process counts its own attempts.
    """

    def __init__(
        self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ):
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        horizon = self._clock() - self.window_s
        while failures and failures[0] < horizon:
            failures.popleft()
        return failures

    def check(self, client: str, username: str) -> None:
        key = (client, username.casefold())
        with self._lock:
            failures = self._recent(key)
            if len(failures) >= self.max_failures:
                retry = int(failures[0] + self.window_s - self._clock()) + 1
                raise RateLimited(
                    f"too many failed logins for {username!r}; try again in {retry} s",
                    retry_after_s=retry,
                )

    def failed(self, client: str, username: str) -> None:
        with self._lock:
            self._recent((client, username.casefold())).append(self._clock())

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username.casefold()), None)
