"""How many simulated Modbus meters one collector polls every second.

Starts the meter simulator as one process per gateway (247 unit ids each, as a
Modbus TCP gateway in front of an RS-485 bus would have), one `nevport energy collect`
process polling every meter each second (SDM630 map: 3 register blocks per poll), and
counts the polls that reached the collector's disk buffer, second by second, after a
warm-up. A meter counts as polled in a second when its readings for that second are
in the buffer. The center is not running: forwarding is measured by energy_ingest.py.

    .venv/bin/python bench/energy_collector.py --meters 250 500 1000
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from nevport.energy.simulator import MODBUS_UNITS
from nevport.web.server import free_port

WARMUP_S = 8.0  # [s] connections opened, first polls settled
WINDOW_S = 20  # [s] seconds counted


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nevport.cli", "energy", *args]


def _site(tmp: Path, ports: list[int], meters: int) -> Path:
    devices = [
        {
            "code": f"M{i}",
            "protocol": "modbus",
            "host": "127.0.0.1",
            "port": ports[i // MODBUS_UNITS],
            "unit": i % MODBUS_UNITS + 1,
            "interval_s": 1.0,
            "timeout_s": 1.0,
            "retries": 0,
        }
        for i in range(meters)
    ]
    site = {
        "center": {"url": f"http://127.0.0.1:{free_port()}", "token": "nvd_bench-only"},
        "buffer": str(tmp / "buffer.db"),
        "devices": devices,
    }
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(site), encoding="utf-8")
    return path


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(meters: int) -> tuple[float, float, float, float]:
    """Share of meter-seconds polled, the worst second's share, and the CPU [cores] of
    the collector and of the simulators."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        gateways = -(-meters // MODBUS_UNITS)
        ports = [free_port() for _ in range(gateways)]
        sims = [
            subprocess.Popen(
                _cli(
                    "simulate-meters",
                    "--count",
                    str(min(MODBUS_UNITS, meters - g * MODBUS_UNITS)),
                    "--modbus-port",
                    str(port),
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for g, port in enumerate(ports)
        ]
        time.sleep(3.0)  # simulators listening
        collector = subprocess.Popen(
            _cli("collect", "--config", str(_site(tmp, ports, meters)), "--report-s", "60"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(WARMUP_S)
            first = int(time.time()) + 1
            cpu0 = _cpu_s(collector.pid)
            sim0 = sum(_cpu_s(p.pid) for p in sims)
            time.sleep(WINDOW_S + 2)
            cpu = (_cpu_s(collector.pid) - cpu0) / (WINDOW_S + 2)
            sim_cpu = (sum(_cpu_s(p.pid) for p in sims) - sim0) / (WINDOW_S + 2)
        finally:
            for process in (collector, *sims):
                process.send_signal(signal.SIGINT)
            for process in (collector, *sims):
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        with sqlite3.connect(tmp / "buffer.db") as db:
            per_second = dict(
                db.execute(
                    "SELECT CAST(strftime('%s', ts) AS INTEGER) AS s, count(DISTINCT meter) "
                    "FROM readings WHERE quantity = 'active_energy_import' "
                    "AND s >= ? AND s < ? GROUP BY s",
                    (first, first + WINDOW_S),
                ).fetchall()
            )
    counts = [per_second.get(s, 0) for s in range(first, first + WINDOW_S)]
    return sum(counts) / (meters * WINDOW_S), min(counts) / meters, cpu, sim_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, nargs="+", default=[250, 500, 1000])
    args = parser.parse_args()
    print("| meters | gateways | polled (mean) | polled (worst second) | collector | simulators |")
    print("|---|---|---|---|---|---|")
    for meters in args.meters:
        mean, worst, cpu, sim = measure(meters)
        gateways = -(-meters // MODBUS_UNITS)
        print(
            f"| {meters:,} | {gateways} | {mean:.1%} | {worst:.1%} | {cpu:.2f} cores "
            f"| {sim:.2f} cores |"
        )


if __name__ == "__main__":
    main()
