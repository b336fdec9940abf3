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


class Connection:
    """One keep-alive HTTP/1.1 connection speaking raw bytes.

    httpx costs about a millisecond of client CPU per request, which on a 2-core machine
    is taken from the server under test; this costs a tenth of that.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: float, connections: int = 64
) -> tuple[list[float], int]:
    """Latencies in ms (from each request's due time) and the count of failed requests."""
    target = httpx.URL(url, params={"limit": 50, "sort": "name_en"})
    lines = [f"GET {target.raw_path.decode()} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(*await asyncio.open_connection(target.host, target.port)))
    latencies: list[float] = []
    failures = 0
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        nonlocal failures
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        connection = await idle.get()
        try:
            status = await connection.get(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            failures += 1
            return
        idle.put_nowait(connection)
        if status != 200:
            failures += 1
            return
        latencies.append((time.perf_counter() - due) * 1000)

    await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
    while not idle.empty():
        idle.get_nowait().writer.close()
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


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="server processes (one per core)")
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
    # The floor runs with the same number of processes as nevport.
    results = []
    server = start(
        [
            sys.executable,
            "-m",
            "nevport.cli",
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env,
        data_dir / "serve.log",
    )
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
        stop(server)
    floor = start(
        [sys.executable, str(HERE / "floor_app.py"), str(args.port + 1), str(args.workers)],
        {**env, "FLOOR_PAGE": str(data_dir / "page.json")},
        data_dir / "floor.log",
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
        stop(floor)
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
