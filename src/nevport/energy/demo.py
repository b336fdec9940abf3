"""The energy part of `nevport demo`: meters for a few demo enterprises, one simulator
serving them over Modbus TCP, one collector per enterprise forwarding to the portal.

Each enterprise gets an incomer over four feeders (the simulator makes the incomer read
their sum plus 3 %, so the meter tree shows a realistic balance). Site files and device
tokens are kept in the data dir and reused on the next run. Child processes die with
the demo: they are stopped on exit and, on Linux, told by the kernel when it dies.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nevport.auth import service as auth_service
from nevport.energy import service
from nevport.energy.models import Channel, Meter, MeterLevel, Reading
from nevport.energy.protocols import modbus
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate

# (code, Chinese name, level): an incomer first, then the feeders it supplies
METERS = (
    ("IN", "进线总表", MeterLevel.incomer),
    ("W1", "冲压车间", MeterLevel.workshop),
    ("W2", "焊装车间", MeterLevel.workshop),
    ("L1", "装配线", MeterLevel.line),
    ("E1", "空压机", MeterLevel.equipment),
)
# A virtual meter: what the incomer supplies beyond the metered feeders (lighting,
# offices, losses), computed from the others and never polled.
REST = ("REST", "其他负荷（计算）", "IN - W1 - W2 - L1 - E1")
INSTALLED = datetime(2024, 1, 1, tzinfo=UTC)  # demo meters' installation date
GROUP = len(METERS)  # simulator --group: one incomer and its feeders per enterprise
POLL_S = 2.0  # [s] demo poll interval: live enough, light on a laptop
STOP_WAIT_S = 5.0  # [s] for a child to stop after SIGTERM before it is killed
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def ensure_meters(session: Session, enterprise_id: int) -> None:
    """The demo meter tree with every SDM630 quantity as a channel, and the virtual
    rest-of-plant meter; each meter is created once."""
    codes = set(
        session.scalars(select(Meter.code).where(Meter.enterprise_id == enterprise_id)).all()
    )
    polled = sorted({r.quantity for r in modbus.load_map("sdm630").registers if r.quantity})
    rest_code, rest_name, formula = REST
    wanted = [
        MeterCreate(
            code=code,
            name=name,
            level=level,
            parent_code=None if level is MeterLevel.incomer else "IN",
            protocol="modbus",
            register_map="sdm630",
            installed_at=INSTALLED,
            channels=[ChannelCreate(quantity=q) for q in polled],
        )
        for code, name, level in METERS
    ]
    wanted.append(
        MeterCreate(
            code=rest_code,
            name=rest_name,
            level=MeterLevel.virtual,
            parent_code="IN",
            protocol="virtual",
            formula=formula,
            installed_at=INSTALLED,
            channels=[
                ChannelCreate(quantity=q)
                for q in (Quantity.active_energy_import, Quantity.active_power)
            ],
        )
    )
    for meter in wanted:
        if meter.code not in codes:
            service.create_meter(session, enterprise_id, meter)


def write_site(
    session: Session, data_dir: Path, slot: int, enterprise_id: int, center: str, port: int
) -> Path:
    """The site file of the demo collector ``slot`` (its meters are units slot*GROUP+1...)."""
    folder = data_dir / "energy" / f"site-{enterprise_id}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.yaml"
    token = None
    if path.exists():
        token = yaml.safe_load(path.read_text(encoding="utf-8"))["center"]["token"]
    if token is None:
        token, _ = auth_service.create_device_token(session, enterprise_id, "demo collector")
    devices = [
        {
            "code": code,
            "protocol": "modbus",
            "host": "127.0.0.1",
            "port": port,
            "unit": slot * GROUP + i + 1,
            "interval_s": POLL_S,
        }
        for i, (code, _, _) in enumerate(METERS)
    ]
    site = {"center": {"url": center, "token": token}, "buffer": "buffer.db", "devices": devices}
    path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    path.chmod(0o600)  # holds the device token
    return path


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the demo process dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: stop() on exit still ends the children


@dataclass
class Children:
    processes: list[subprocess.Popen[bytes]]

    @classmethod
    def start(cls, sites: list[Path], modbus_port: int, log_dir: Path) -> Children:
        log_dir.mkdir(parents=True, exist_ok=True)
        commands = [
            [
                "simulate-meters",
                "--count",
                str(GROUP * len(sites)),
                "--group",
                str(GROUP),
                "--modbus-port",
                str(modbus_port),
                "--fault-rate",
                "0",
            ],
            *(["collect", "--config", str(site), "--report-s", "30"] for site in sites),
        ]
        children = cls([])
        for n, args in enumerate(commands):
            log = (log_dir / f"child-{n}.log").open("ab")
            children.processes.append(
                subprocess.Popen(  # noqa: S603 - our own CLI with arguments built here
                    [sys.executable, "-m", "nevport.cli", "energy", *args],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - sets a signal, no threads touched
                )
            )
            log.close()
        return children

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def readings(session: Session, enterprise_ids: list[int]) -> dict[int, int]:
    """Stored readings per enterprise."""
    rows = session.execute(
        select(Channel.enterprise_id, func.count())
        .join(Reading, Reading.channel_id == Channel.id)
        .where(Channel.enterprise_id.in_(enterprise_ids))
        .group_by(Channel.enterprise_id)
    )
    return {enterprise_id: int(n) for enterprise_id, n in rows}
