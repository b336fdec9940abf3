"""`nevport demo`: a demo park, one account per role, the portal; or a one-shot check."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.auth import service as auth_service
from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.cli_common import console, open_database, settings_for
from nevport.config import Settings
from nevport.park.demo import DEMO_ACCOUNT_ENTERPRISE, seed_demo
from nevport.park.models import Enterprise
from nevport.web.server import BackgroundServer, free_port, run_server

if TYPE_CHECKING:
    from nevport.energy.demo import Children

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_USERNAMES = {
    Role.park_admin: "admin",
    Role.regulator: "regulator",
    Role.enterprise_admin: "ent-admin",
    Role.enterprise_user: "ent-user",
    Role.instructor: "teacher",
    Role.student: "student",
}


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    username: str
    password: str
    enterprise_id: int | None


def _private_file(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)


def demo_secret(data_dir: Path) -> str:
    """The data dir's signing key, generated on first use and kept for later runs."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        _private_file(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def _demo_enterprise(session: Session) -> int:
    found = session.scalar(
        select(Enterprise.id).where(Enterprise.name_zh == DEMO_ACCOUNT_ENTERPRISE)
    )
    if found is None:
        raise RuntimeError(f"demo enterprise {DEMO_ACCOUNT_ENTERPRISE} missing after seeding")
    return found


def ensure_accounts(session: Session, data_dir: Path) -> list[DemoAccount]:
    """One account per role, created once; passwords are random and kept in the data dir."""
    path = data_dir / ACCOUNTS_FILE
    if path.exists():
        saved = dict(line.split(" ", 1) for line in path.read_text("utf-8").splitlines() if line)
    else:
        saved = {}
    enterprise_id = _demo_enterprise(session)
    accounts = []
    for role, username in DEMO_USERNAMES.items():
        bound = enterprise_id if role.is_enterprise_role else None
        password = saved.get(username) or secrets.token_urlsafe(12)
        exists = session.scalar(select(User.id).where(User.username == username)) is not None
        if not exists:
            auth_service.create_user(session, username, password, role, enterprise_id=bound)
        accounts.append(DemoAccount(role, username, password, bound))
    _private_file(path, "".join(f"{a.username} {a.password}\n" for a in accounts))
    return accounts


def prepare(data_dir: Path) -> tuple[Settings, list[DemoAccount]]:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_for(data_dir, secret_key=demo_secret(data_dir), cookie_secure=False)
    database = open_database(settings)
    with database.session() as session:
        seed_demo(session)
    with database.session() as session:
        accounts = ensure_accounts(session, data_dir)
    with database.session() as session:
        _seed_environment(session, accounts)
    database.dispose()
    return settings, accounts


def _seed_environment(session: Session, accounts: list[DemoAccount]) -> None:
    """Supervised plants with a week of power and events (environment.demo)."""
    from datetime import UTC, datetime

    from nevport.environment import demo as env_demo

    ids = dict(session.execute(select(User.username, User.id)).tuples().all())
    first = next(a.enterprise_id for a in accounts if a.role is Role.enterprise_admin)
    admin, regulator = DEMO_USERNAMES[Role.park_admin], DEMO_USERNAMES[Role.regulator]
    env_demo.seed(session, ids[admin], ids[regulator], first, datetime.now(UTC))


def _accounts_table(accounts: list[DemoAccount]) -> Table:
    table = Table("role", "username", "password", "enterprise", title="demo accounts")
    for account in accounts:
        table.add_row(
            account.role.value, account.username, account.password, str(account.enterprise_id or "")
        )
    return table


# Demo enterprises whose meters the simulator serves: the energy-equipment maker whose
# energy center the park article describes (seed/facts.md, system 2) and two neighbours.
ENERGY_ENTERPRISES = (
    "博思特能源装备(天津)股份有限公司",
    "天津吉兴汽车部件有限公司",
    "天津博顿电子有限公司",
)
ENERGY_WAIT_S = 60.0  # [s] --check: every demo enterprise has stored readings by then


def start_energy(settings: Settings, center_url: str) -> tuple[Children, list[int]]:
    """Meters, site files, then the meter simulator and one collector per enterprise."""
    from nevport.energy import demo as energy_demo

    modbus_port = free_port()
    database = open_database(settings, migrate=False)
    sites: list[Path] = []
    ids: list[int] = []
    with database.session() as session:
        for name in ENERGY_ENTERPRISES:
            found = session.scalar(select(Enterprise.id).where(Enterprise.name_zh == name))
            if found is None:
                continue
            energy_demo.ensure_meters(session, found)
            sites.append(
                energy_demo.write_site(
                    session, settings.data_dir, len(ids), found, center_url, modbus_port
                )
            )
            ids.append(found)
    database.dispose()
    logs = settings.data_dir / "energy" / "logs"
    return energy_demo.Children.start(sites, modbus_port, logs), ids


def _check_energy(settings: Settings, url: str, table: Table, failures: list[str]) -> None:
    """New readings of every demo enterprise reach the center within ENERGY_WAIT_S."""
    import time

    from nevport.energy import demo as energy_demo

    children, ids = start_energy(settings, url)
    database = open_database(settings, migrate=False)
    try:
        with database.session() as session:
            before = energy_demo.readings(session, ids)
        deadline = time.monotonic() + ENERGY_WAIT_S
        counts = before
        while time.monotonic() < deadline:
            with database.session() as session:
                counts = energy_demo.readings(session, ids)
            if ids and all(counts.get(i, 0) > before.get(i, 0) for i in ids):
                break
            time.sleep(1.0)
    finally:
        children.stop()
        database.dispose()
    for enterprise_id in ids:
        new = counts.get(enterprise_id, 0) - before.get(enterprise_id, 0)
        table.add_row("-", f"new energy readings, enterprise {enterprise_id}", str(new))
        if new <= 0:
            failures.append(f"enterprise {enterprise_id}: no new energy reading within 60 s")
    if not ids:
        failures.append("no demo enterprise for the energy center")


def run_demo(data_dir: Path, *, host: str, port: int | None, check: bool) -> int:
    settings, accounts = prepare(data_dir)
    if check:
        return check_demo(settings, accounts, host=host, port=port)
    port = port or 8000
    console.print(_accounts_table(accounts))
    console.print(
        f"nevport demo at http://{host}:{port}/  (data in {data_dir.resolve()}; Ctrl+C stops)"
    )
    from nevport.environment.demo import feed_loop
    from nevport.web.app import BACKGROUND_TASKS

    BACKGROUND_TASKS.append(feed_loop)  # the demo plants' meters keep reporting
    center = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    children, _ = start_energy(settings, center)
    try:
        run_server(settings, host=host, port=port)
    finally:
        children.stop()
    return 0


def _expected_visible(role: Role, total: int) -> int | None:
    """How many enterprises each role must see in the registry list (None: refused)."""
    if role.sees_all_enterprises:
        return total
    return 1 if role.is_enterprise_role else 0


def check_demo(
    settings: Settings, accounts: list[DemoAccount], *, host: str, port: int | None
) -> int:
    """Start the portal, exercise it as every role, stop it. 0 when everything held."""
    failures: list[str] = []
    table = Table("role", "check", "result", title="nevport demo --check")
    with (
        BackgroundServer(settings, host=host, port=port or free_port(host)) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        health = http.get("/healthz").json()
        table.add_row("-", "GET /healthz", f"{health['status']} ({health['database']})")
        admin_total = 0
        for account in accounts:
            token = http.post(
                "/api/auth/token", data={"username": account.username, "password": account.password}
            )
            if token.status_code != 200:
                failures.append(f"{account.username}: sign-in answered {token.status_code}")
                continue
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            listing = http.get("/api/enterprises", headers=headers, params={"limit": 1})
            total = listing.json()["total"] if listing.status_code == 200 else 0
            admin_total = max(admin_total, total)
            expected = _expected_visible(account.role, admin_total)
            ok = listing.status_code == 200 and total == expected
            table.add_row(
                account.role.value,
                "GET /api/enterprises",
                f"{total} visible" + ("" if ok else " (WRONG)"),
            )
            if not ok:
                failures.append(
                    f"{account.username}: sees {total} enterprises, expected {expected}"
                )
            overview = http.get("/api/park/overview", headers=headers)
            table.add_row(account.role.value, "GET /api/park/overview", str(overview.status_code))
            if overview.status_code != 200:
                failures.append(f"{account.username}: overview answered {overview.status_code}")
        _check_energy(settings, server.url, table, failures)
    console.print(table)
    for failure in failures:
        console.print(f"[red]FAIL[/red] {failure}")
    console.print("demo check passed" if not failures else f"demo check failed ({len(failures)})")
    return 0 if not failures else 1
