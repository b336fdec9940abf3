"""Analysis over stored readings, through the HTTP API, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.park.models import Enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2026, 3, 1)  # a Sunday
Headers = Callable[[User], dict[str, str]]


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def load(database: Database, enterprise_id: int, daily_kwh: list[float], pf_q: float = 0.75) -> int:
    """Hourly counter readings of an incomer using ``daily_kwh[i]`` evenly on day i, with
    reactive energy ``pf_q`` kvarh per kWh; returns the active channel id."""
    with database.session() as session:
        meter = service.create_meter(
            session,
            enterprise_id,
            MeterCreate(
                code="INC",
                name="Incomer",
                level=MeterLevel.incomer,
                installed_at=midnight(START) - timedelta(days=1),
                channels=[
                    ChannelCreate(quantity=Quantity.active_energy_import),
                    ChannelCreate(quantity=Quantity.reactive_energy_import),
                ],
            ),
        )
        rows, counter = [], Decimal(0)
        for h in range(len(daily_kwh) * 24 + 1):
            at = midnight(START) + timedelta(hours=h)
            q = round(counter * Decimal(str(pf_q)), 3)
            rows.append(
                ReadingIn(meter="INC", quantity=Quantity.active_energy_import, ts=at, value=counter)
            )
            rows.append(
                ReadingIn(meter="INC", quantity=Quantity.reactive_energy_import, ts=at, value=q)
            )
            if h < len(daily_kwh) * 24:
                counter += Decimal(str(round(daily_kwh[h // 24] / 24, 3)))
        for i in range(0, len(rows), 48):  # a day at a time, as a collector would send them
            chunk = rows[i : i + 48]
            ingest(session, enterprise_id, chunk, zone=SHANGHAI, now=chunk[-1].ts)
        return next(c.id for c in meter.channels if c.quantity is Quantity.active_energy_import)


@pytest.fixture
def firm(make_enterprise: Callable[..., Enterprise]) -> Enterprise:
    return make_enterprise()


def test_cost_and_bill_of_a_steady_incomer(
    client: TestClient,
    database: Database,
    firm: Enterprise,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    channel = load(database, firm.id, [2400.0] * 3)  # 100 kW for three days
    headers = auth_headers(make_user(Role.enterprise_user, firm.id))
    base = f"/api/enterprises/{firm.id}/energy"
    day = {
        "start": midnight(START).isoformat(),
        "end": midnight(START + timedelta(days=1)).isoformat(),
    }
    cost = client.get(f"{base}/cost", params={"channel_id": channel, **day}, headers=headers)
    assert cost.status_code == 200, cost.text
    assert Decimal(cost.json()["energy_kwh"]) == 2400
    assert Decimal(cost.json()["cost_yuan"]) == Decimal("1560.00")

    bill = client.get(
        f"{base}/bill", params={"channel_id": channel, "month": "2026-03"}, headers=headers
    )
    assert bill.status_code == 200, bill.text
    got = bill.json()
    assert Decimal(got["energy_kwh"]) == 7200
    assert Decimal(got["max_demand_kw"]) == 100
    assert Decimal(got["power_factor"]) == Decimal("0.8")
    assert Decimal(got["pf_adjustment_percent"]) == 5
    assert got["missing_quarters"] == 31 * 96 - 3 * 96
    assert Decimal(got["co2_kg"]) == Decimal("7200") * Decimal("0.5366")


def test_enpi_and_savings_against_a_five_percent_target(
    client: TestClient,
    database: Database,
    firm: Enterprise,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    outputs = [1000 + 37 * (i % 9) for i in range(30)]
    # 2000 kWh a day plus 3 kWh a unit; from day 21 on, 6 % less for the same output
    energy = [(2000 + 3 * q) * (1 if i < 20 else 0.94) for i, q in enumerate(outputs)]
    channel = load(database, firm.id, energy)
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    base = f"/api/enterprises/{firm.id}/energy"
    counts = [
        {"day": (START + timedelta(days=i)).isoformat(), "quantity": q}
        for i, q in enumerate(outputs)
    ]
    stored = client.post(f"{base}/production", json={"counts": counts}, headers=admin)
    assert stored.json() == {"inserted": 30, "updated": 0}
    again = client.post(f"{base}/production", json={"counts": counts[:2]}, headers=admin)
    assert again.json() == {"inserted": 0, "updated": 2}

    enpi = client.get(
        f"{base}/enpi",
        params={"channel_id": channel, "start": "2026-03-01", "end": "2026-03-02"},
        headers=admin,
    ).json()
    assert Decimal(enpi[0]["kwh_per_unit"]) == pytest.approx(
        Decimal(5000) / 1000, abs=Decimal("0.01")
    )

    result = client.get(
        f"{base}/savings",
        params={
            "channel_id": channel,
            "baseline_start": "2026-03-01",
            "baseline_end": "2026-03-20",
            "reporting_start": "2026-03-21",
            "reporting_end": "2026-03-30",
        },
        headers=admin,
    )
    assert result.status_code == 200, result.text
    got = result.json()
    assert got["model"]["terms"] == ["intercept", "output"]
    assert got["model"]["meets_guideline_14"]
    assert got["savings_fraction"] == pytest.approx(0.06, abs=0.002)
    assert got["target_met_with_confidence"]


def test_bad_analysis_requests_are_refused_with_reasons(
    client: TestClient,
    database: Database,
    firm: Enterprise,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    channel = load(database, firm.id, [2400.0])
    user = auth_headers(make_user(Role.enterprise_user, firm.id))
    base = f"/api/enterprises/{firm.id}/energy"
    counts = {"counts": [{"day": "2026-03-01", "quantity": 5}]}
    assert client.post(f"{base}/production", json=counts, headers=user).status_code == 403
    twice = {"counts": [{"day": "2026-03-01", "quantity": 5}] * 2}
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    dup = client.post(f"{base}/production", json=twice, headers=admin)
    assert dup.status_code == 422
    assert "appears twice" in dup.json()["detail"]
    bad_month = client.get(
        f"{base}/bill", params={"channel_id": channel, "month": "2026-13"}, headers=user
    )
    assert bad_month.status_code == 422
    assert "not YYYY-MM" in bad_month.json()["detail"]
    no_tariff = client.get(
        f"{base}/bill",
        params={"channel_id": channel, "month": "2026-03", "tariff": "nowhere"},
        headers=user,
    )
    assert "unknown tariff 'nowhere'" in no_tariff.json()["detail"]
    path = client.get(
        f"{base}/bill",
        params={"channel_id": channel, "month": "2026-03", "tariff": "../../etc/x.yaml"},
        headers=user,
    )
    assert path.status_code == 422
    few = client.get(
        f"{base}/savings",
        params={
            "channel_id": channel,
            "baseline_start": "2026-03-01",
            "baseline_end": "2026-03-01",
            "reporting_start": "2026-03-01",
            "reporting_end": "2026-03-01",
        },
        headers=user,
    )
    assert "need at least 10" in few.json()["detail"]
