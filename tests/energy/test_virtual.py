"""Virtual meters: the formula grammar, checks at creation, and evaluation on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy import monitor, service, virtual
from nevport.energy.alarms import service as alarms
from nevport.energy.alarms.models import RuleKind
from nevport.energy.alarms.schemas import RuleCreate
from nevport.energy.control import service as control
from nevport.energy.control.models import RegisterKind
from nevport.energy.control.schemas import InterlockCreate, PointCreate
from nevport.energy.counters import Flag
from nevport.energy.ingest import BatchRefused, ingest
from nevport.energy.intervals import Resolution
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import (
    ChannelCreate,
    FormulaChange,
    MeterCreate,
    MeterOut,
    Point,
    ReadingIn,
)
from nevport.errors import InvalidInput
from nevport.park.models import Enterprise

from .conftest import INSTALLED, SHANGHAI

D = Decimal
NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
DAY = datetime(2025, 6, 1, 16, 0, tzinfo=UTC)  # 2025-06-02 00:00 in Shanghai
STEP = timedelta(minutes=5)
ENERGY = Quantity.active_energy_import
POWER = Quantity.active_power
Headers = Callable[[User], dict[str, str]]


# -- grammar ------------------------------------------------------------------------------


def test_parse_signed_terms_with_coefficients() -> None:
    terms = virtual.parse("A - B + 0.5*C")
    assert [(t.coefficient, t.code, t.position) for t in terms] == [
        (D(1), "A", 1),
        (D(-1), "B", 5),
        (D("0.5"), "C", 13),
    ]
    assert virtual.render(terms) == "A - B + 0.5*C"
    assert virtual.render(virtual.parse("+A -B")) == "A - B"  # the older "+A -B" style
    assert virtual.render(virtual.parse("-2 * IN.1 + WS-3")) == "-2*IN.1 + WS-3"


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("A + (B)", "unexpected character '(' at position 5"),
        ("A B", "expected + or - at position 3"),
        ("A + ", "expected a meter code at position 5"),
        ("A + 0.5*", "expected a meter code after '*' at position 9"),
        ("A + 0.1234567*B", "coefficient '0.1234567' at position 5 is not a decimal number"),
        ("A + x*B", "coefficient 'x' at position 5"),
        ("A + 0*B", "coefficient 0 at position 5 is outside (0, 1000000]"),
        ("A + B - A", "meter 'A' appears twice (again at position 9)"),
        ("", "expected a meter code at position 1"),
    ],
)
def test_parse_refuses_with_position(formula: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        virtual.parse(formula)
    assert raised.value.field == "formula"
    assert reason in raised.value.message


def test_combine_is_exact_and_never_invents_zero() -> None:
    at = [DAY, DAY + timedelta(minutes=15)]
    a = [Point(start=at[0], value=D("0.1"), flags=0), Point(start=at[1], value=D(2), flags=0)]
    b = [
        Point(start=at[0], value=D("0.2"), flags=int(Flag.ESTIMATED)),
        Point(start=at[1], value=None, flags=int(Flag.MISSING)),
    ]
    got = virtual.combine([(D(1), a), (D("0.5"), b)])
    assert got[0].value == D("0.2")
    assert got[0].flags == Flag.ESTIMATED
    assert got[1].value is None
    assert got[1].flags & Flag.MISSING


# -- a plant: incomer A, workshops B and C under it --------------------------------------


def meter(
    code: str,
    level: MeterLevel = MeterLevel.workshop,
    formula: str | None = None,
    quantities: tuple[Quantity, ...] = (ENERGY, POWER),
    parent: str | None = None,
) -> MeterCreate:
    return MeterCreate(
        code=code,
        name=code,
        level=level,
        parent_code=parent,
        formula=formula,
        protocol="virtual" if formula else "http",
        installed_at=INSTALLED,
        channels=[ChannelCreate(quantity=q) for q in quantities],
    )


def counter(code: str, first: str, step: str, count: int) -> list[ReadingIn]:
    return [
        ReadingIn(meter=code, quantity=ENERGY, ts=DAY + i * STEP, value=D(first) + i * D(step))
        for i in range(count)
    ]


def power(code: str, values: list[str]) -> list[ReadingIn]:
    return [
        ReadingIn(meter=code, quantity=POWER, ts=DAY + i * STEP, value=D(v))
        for i, v in enumerate(values)
    ]


@pytest.fixture
def enterprise(database: Database, make_enterprise: Callable[..., Enterprise]) -> int:
    enterprise_id: int = make_enterprise().id
    with database.session() as session:
        service.create_meter(session, enterprise_id, meter("A", MeterLevel.incomer))
        service.create_meter(session, enterprise_id, meter("B", parent="A"))
        service.create_meter(session, enterprise_id, meter("C", parent="A"))
        service.create_meter(session, enterprise_id, meter("D", quantities=(ENERGY,)))
    return enterprise_id


def create(database: Database, enterprise_id: int, body: MeterCreate) -> MeterOut:
    with database.session() as session:
        return service.create_meter(session, enterprise_id, body)


def channel(out: MeterOut, quantity: Quantity) -> int:
    return next(c.id for c in out.channels if c.quantity == quantity)


def series(
    database: Database,
    enterprise_id: int,
    channel_id: int,
    hours: int = 2,
    resolution: Resolution = Resolution.quarter,
) -> list[Point]:
    with database.session() as session:
        return service.energy_series(
            session,
            enterprise_id,
            channel_id,
            DAY,
            DAY + timedelta(hours=hours),
            resolution,
            SHANGHAI,
        ).points


def store(database: Database, enterprise_id: int, rows: list[ReadingIn]) -> None:
    with database.session() as session:
        ingest(session, enterprise_id, rows, zone=SHANGHAI, now=NOW)


# -- checks at creation --------------------------------------------------------------------


def refused(database: Database, enterprise_id: int, body: MeterCreate) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised, database.session() as session:
        service.create_meter(session, enterprise_id, body)
    return raised.value


def test_unknown_code_is_refused_with_its_position(database: Database, enterprise: int) -> None:
    error = refused(database, enterprise, meter("V", MeterLevel.virtual, "A - GHOST"))
    assert error.field == "formula"
    assert error.message == f"meter 'GHOST' at position 5 does not exist in enterprise {enterprise}"


def test_another_enterprises_code_is_unknown(
    database: Database, enterprise: int, make_enterprise: Callable[..., Enterprise]
) -> None:
    other = make_enterprise().id
    create(database, other, meter("X", MeterLevel.incomer))
    error = refused(database, enterprise, meter("V", MeterLevel.virtual, "A - X"))
    assert "meter 'X' at position 5 does not exist" in error.message


def test_self_reference_and_missing_channel_and_level(database: Database, enterprise: int) -> None:
    error = refused(database, enterprise, meter("V", MeterLevel.virtual, "A - V"))
    assert error.message == "meter 'V' refers to itself at position 5"
    error = refused(database, enterprise, meter("V", MeterLevel.virtual, "A - D"))
    assert (error.field, error.message) == (
        "channels",
        "meter 'D' at position 5 has no active_power channel",
    )
    error = refused(database, enterprise, meter("V", MeterLevel.virtual, None))
    assert (error.field, error.message) == ("formula", "virtual meter 'V' needs a formula")
    error = refused(database, enterprise, meter("E", MeterLevel.line, "A - B"))
    assert error.message == "only a virtual meter has a formula; 'E' is line"
    voltage = meter("V", MeterLevel.virtual, "A - B", (Quantity.voltage,))
    assert "cannot have a voltage channel" in refused(database, enterprise, voltage).message


def test_a_cycle_through_other_virtual_meters_is_refused(
    database: Database, enterprise: int
) -> None:
    create(database, enterprise, meter("V1", MeterLevel.virtual, "A - B"))
    create(database, enterprise, meter("V2", MeterLevel.virtual, "V1 - C"))
    with pytest.raises(InvalidInput) as raised, database.session() as session:
        service.change_formula(session, enterprise, "V1", FormulaChange(formula="A + 2*V2"))
    assert raised.value.field == "formula"
    assert raised.value.message == "cycle: V1 -> V2 -> V1 (meter 'V2' at position 7)"
    with database.session() as session:
        kept = {m.code: m.formula for m in service.list_meters(session, enterprise)}
    assert kept["V1"] == "A - B"
    with database.session() as session:
        changed = service.change_formula(session, enterprise, "V1", FormulaChange(formula="+A -C"))
    assert changed.formula == "A - C"


# -- evaluation ----------------------------------------------------------------------------


def test_exact_sum_of_a_virtual_meter(database: Database, enterprise: int) -> None:
    """Rest of plant = incomer - workshop B + half of C (C is shared with a neighbour):
    its quarters add up to the same formula of the counters' first and last values."""
    count = 25  # 00:00 to 02:00 every 5 min
    store(database, enterprise, counter("A", "1000.123456", "1.234567", count))
    store(database, enterprise, counter("B", "20", "0.5", count))
    store(database, enterprise, counter("C", "7", "0.333333", count))
    v = create(database, enterprise, meter("V", MeterLevel.virtual, "A - B + 0.5*C", (ENERGY,)))
    points = series(database, enterprise, channel(v, ENERGY))
    assert len(points) == 8
    assert all(p.value is not None for p in points)
    a, b, c = (D("1.234567"), D("0.5"), D("0.333333"))
    assert points[0].value == 3 * a - 3 * b + D("0.5") * 3 * c  # 2.7037005, exact
    total = sum((p.value for p in points if p.value is not None), D(0))
    assert total == (count - 1) * (a - b + D("0.5") * c) == D("21.6296040")
    hourly = series(database, enterprise, channel(v, ENERGY), resolution=Resolution.hour)
    assert sum((p.value for p in hourly if p.value is not None), D(0)) == total
    nested = create(database, enterprise, meter("W", MeterLevel.virtual, "2*V + B", (ENERGY,)))
    assert (
        series(database, enterprise, channel(nested, ENERGY))[0].value
        == 2 * (3 * a - 3 * b + D("0.5") * 3 * c) + 3 * b
    )


def test_a_missing_term_bucket_is_null_never_zero(database: Database, enterprise: int) -> None:
    store(database, enterprise, counter("A", "100", "1", 25))
    store(database, enterprise, counter("B", "10", "0.25", 13))  # B stops after 01:00
    v = create(database, enterprise, meter("V", MeterLevel.virtual, "A - B", (ENERGY,)))
    points = series(database, enterprise, channel(v, ENERGY))
    assert [p.value for p in points[:4]] == [D("2.25")] * 4
    for p in points[4:]:
        assert p.value is None
        assert p.flags & Flag.MISSING


def test_virtual_power_through_the_api(
    client: TestClient,
    database: Database,
    enterprise: int,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    store(database, enterprise, power("A", ["1000", "1200", "1100"]))
    store(database, enterprise, power("B", ["400", "400.5", "399.5"]))
    store(database, enterprise, counter("A", "100", "1", 4))
    store(database, enterprise, counter("B", "10", "0.25", 4))
    v = create(database, enterprise, meter("V", MeterLevel.virtual, "A - B"))
    headers = auth_headers(make_user(Role.enterprise_user, enterprise))
    base = f"/api/enterprises/{enterprise}/energy/channels"
    span = {"start": DAY.isoformat(), "end": (DAY + timedelta(minutes=30)).isoformat()}
    got = client.get(f"{base}/{channel(v, POWER)}/power", params=span, headers=headers)
    assert got.status_code == 200, got.text
    assert [p["value"] for p in got.json()["points"]] == [
        "700.000",
        None,
    ]  # 1100 - 400, to the mW like a physical power channel
    got = client.get(f"{base}/{channel(v, ENERGY)}/energy", params=span, headers=headers)
    assert [p["value"] for p in got.json()["points"]] == ["2.25", None]
    assert got.json()["points"][1]["flags"] & Flag.MISSING
    got = client.get(f"{base}/{channel(v, ENERGY)}/power", params=span, headers=headers)
    assert got.json()["points"][0]["value"] == "9000.000"  # 2.25 kWh in a quarter


def test_formula_route_checks_role_and_cycles(
    client: TestClient,
    database: Database,
    enterprise: int,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    create(database, enterprise, meter("V1", MeterLevel.virtual, "A - B"))
    create(database, enterprise, meter("V2", MeterLevel.virtual, "V1 - C"))
    url = f"/api/enterprises/{enterprise}/energy/meters/V1/formula"
    reader = auth_headers(make_user(Role.enterprise_user, enterprise))
    admin = auth_headers(make_user(Role.enterprise_admin, enterprise))
    assert client.put(url, json={"formula": "A"}, headers=reader).status_code == 403
    cycle = client.put(url, json={"formula": "V2 + A"}, headers=admin)
    assert cycle.status_code == 422
    assert "cycle: V1 -> V2 -> V1" in cycle.text
    fine = client.put(url, json={"formula": "A - 0.25*C"}, headers=admin)
    assert fine.status_code == 200
    assert fine.json()["formula"] == "A - 0.25*C"
    ghost = f"/api/enterprises/{enterprise}/energy/meters/GHOST/formula"
    assert client.put(ghost, json={"formula": "A"}, headers=admin).status_code == 404


def test_meter_tree_shows_virtual_energy_outside_the_balance(
    database: Database, enterprise: int
) -> None:
    store(database, enterprise, counter("A", "100", "1", 25))
    store(database, enterprise, counter("B", "10", "0.25", 25))
    store(database, enterprise, counter("C", "0", "0.5", 25))
    create(database, enterprise, meter("V", MeterLevel.virtual, "A - B - C", (ENERGY,), "A"))
    with database.session() as session:
        tree = monitor.meter_tree(session, enterprise, DAY, DAY + timedelta(days=1))
    nodes = {n.meter.code: n for n in tree}
    assert nodes["A"].energy == D(24)
    assert nodes["A"].children_sum == D(18)  # B + C; V is not a sub-meter
    assert nodes["V"].energy == D(6)
    assert nodes["V"].depth == 1
    assert nodes["A"].loss_pct == D("25.0")


def test_dashboard_tree_shows_the_virtual_meter_and_its_formula(
    client: TestClient,
    database: Database,
    enterprise: int,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    store(database, enterprise, counter("A", "100", "1", 25))
    store(database, enterprise, counter("B", "10", "0.25", 25))
    store(database, enterprise, counter("C", "0", "0.5", 25))
    create(database, enterprise, meter("REST", MeterLevel.virtual, "A - B - C", (ENERGY,), "A"))
    headers = auth_headers(make_user(Role.enterprise_user, enterprise))
    page = client.get(
        f"/enterprises/{enterprise}/energy", params={"day": "2025-06-02"}, headers=headers
    )
    assert page.status_code == 200, page.text
    tree = page.text.split('id="energy-tree"')[1].split("</table>")[0]
    row = next(r for r in tree.split("<tr") if "REST = A - B - C" in r)
    assert '<td class="num">6</td>' in row  # 24 - 6 - 12 kWh over the day
    assert "25 %" in tree  # the incomer's balance leaves the virtual meter out


def test_alarms_and_interlocks_refuse_a_virtual_channel(
    database: Database, enterprise: int, make_user: Callable[..., User]
) -> None:
    """A virtual channel stores no readings: an offline rule on it would fire for ever
    and an interlock on it would refuse every command."""
    admin = make_user(Role.enterprise_admin, enterprise)
    v = create(database, enterprise, meter("V", MeterLevel.virtual, "A - B"))
    rule = RuleCreate(
        name="rest of plant silent",
        channel_id=channel(v, POWER),
        kind=RuleKind.offline,
        offline_after_s=60,
    )
    with pytest.raises(InvalidInput) as raised, database.session() as session:
        alarms.create_rule(session, enterprise, rule, admin.id)
    assert raised.value.field == "channel_id"
    assert "belongs to virtual meter 'V', which stores no readings" in raised.value.message
    point = PointCreate(code="P1", name="pump", host="127.0.0.1", kind=RegisterKind.coil, address=1)
    with database.session() as session:
        point_id = control.create_point(session, enterprise, point, admin.id).id
    lock = InterlockCreate(channel_id=channel(v, POWER), limit=Decimal(1))
    with pytest.raises(InvalidInput), database.session() as session:
        control.add_interlock(session, enterprise, point_id, lock)
    with database.session() as session:
        a_power = service.find_channels(session, enterprise, POWER, "A")[0].id
        fine = RuleCreate(**{**rule.model_dump(), "channel_id": a_power})
        assert alarms.create_rule(session, enterprise, fine, admin.id).channel_id == a_power


def test_readings_pushed_to_a_virtual_meter_are_refused(
    database: Database, enterprise: int
) -> None:
    """A virtual meter is computed from its terms; a device writing to it is a wiring
    mistake, named, and the batch with it is not stored."""
    create(database, enterprise, meter("V", MeterLevel.virtual, "A - B", (ENERGY,)))
    batch = counter("A", "100", "1", 2) + counter("V", "5", "1", 1)
    with pytest.raises(BatchRefused) as refused_batch:
        store(database, enterprise, batch)
    assert [(e.row, e.field) for e in refused_batch.value.errors] == [(2, "meter")]
    assert "virtual" in refused_batch.value.errors[0].reason
    assert series(database, enterprise, channel_id_of(database, enterprise, "A"))[0].value is None


def channel_id_of(database: Database, enterprise_id: int, code: str) -> int:
    with database.session() as session:
        out = next(m for m in service.list_meters(session, enterprise_id) if m.code == code)
    return channel(out, ENERGY)
