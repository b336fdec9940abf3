"""Latency of `GET /api/enterprises` at a fixed request rate, server in another process.

Open loop: request i is due at t0 + i/rate whatever happened before, and its latency is
measured from that due time, so a stalled server shows up as queueing instead of hiding
it (no coordinated omission). The same load is sent to a floor: a minimal FastAPI app
under the same uvicorn that returns a pre-built page of the same size from memory, which
is what the framework alone costs.

    .venv/bin/python bench/api_latency.py --rate 200 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def wait_healthy(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


async def open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: float
) -> tuple[list[float], int]:
    """Latencies in ms and the count of failed requests."""
    count = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as http:
        start = time.perf_counter() + 0.2

        async def one(i: int) -> None:
            nonlocal failures
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                response = await http.get(url, params={"limit": 50, "sort": "name_en"})
                response.raise_for_status()
            except httpx.HTTPError:
                failures += 1
                return
            latencies.append((time.perf_counter() - due) * 1000)

        await asyncio.gather(*(one(i) for i in range(count)))
    return latencies, failures


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else float("nan")
    )


def summarise(
    name: str, latencies: list[float], failures: int, rate: float
) -> dict[str, float | str]:
    return {
        "target": name,
        "rate_rps": rate,
        "requests": len(latencies) + failures,
        "failures": failures,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    from nevport.demo import prepare  # the demo park: 170+ enterprises, accounts per role

    data_dir = Path(tempfile.mkdtemp(prefix="nevport-bench-"))
    settings, accounts = prepare(data_dir)
    admin = next(a for a in accounts if a.role.value == "park_admin")
    env = {
        **os.environ,
        "NEVPORT_DATA_DIR": str(data_dir),
        "NEVPORT_COOKIE_SECURE": "false",
        "NEVPORT_SECRET_KEY": settings.secret_key.get_secret_value(),
    }  # type: ignore[union-attr]
    env.pop("NEVPORT_DATABASE_URL", None)
    nevport_url = f"http://127.0.0.1:{args.port}"
    floor_url = f"http://127.0.0.1:{args.port + 1}"
    results = []
    server = start([sys.executable, "-m", "nevport.cli", "serve", "--port", str(args.port)], env)
    try:
        wait_healthy(nevport_url)
        token = httpx.post(
            f"{nevport_url}/api/auth/token",
            data={"username": admin.username, "password": admin.password},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = httpx.get(
            f"{nevport_url}/api/enterprises",
            params={"limit": 50, "sort": "name_en"},
            headers=headers,
        ).json()
        (data_dir / "page.json").write_text(json.dumps(page), encoding="utf-8")
        asyncio.run(open_loop(f"{nevport_url}/api/enterprises", headers, args.rate, 2))  # warm-up
        lat, fail = asyncio.run(
            open_loop(f"{nevport_url}/api/enterprises", headers, args.rate, args.seconds)
        )
        results.append(
            summarise("nevport GET /api/enterprises (SQLite, auth, tenancy)", lat, fail, args.rate)
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    floor = start(
        [
            sys.executable,
            str(HERE / "floor_app.py"),
            str(data_dir / "page.json"),
            str(args.port + 1),
        ],
        env,
    )
    try:
        wait_healthy(floor_url)
        asyncio.run(open_loop(f"{floor_url}/api/enterprises", {}, args.rate, 2))
        lat, fail = asyncio.run(
            open_loop(f"{floor_url}/api/enterprises", {}, args.rate, args.seconds)
        )
        results.append(
            summarise("floor: minimal FastAPI, same page from memory", lat, fail, args.rate)
        )
    finally:
        floor.terminate()
        floor.wait(timeout=10)
    ratio = results[0]["p95_ms"] / results[1]["p95_ms"]  # type: ignore[operator]
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "results": results,
                "p95_ratio_vs_floor": round(ratio, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
