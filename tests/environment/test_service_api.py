"""Facilities, pre-reports and the event lifecycle through the HTTP API, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.environment.engine import replay
from nevport.environment.lifecycle import record_events
from nevport.environment.service import exempt_windows, topology_of

from .traces import at, history, trace

BOOTH = {
    "code": "SC1",
    "name": "spray booth",
    "kind": "production",
    "rated_w": 40000,
    "standby_w": 1000,
    "running_w": 10000,
    "hysteresis_w": 500,
}
VOC = {
    "code": "SB1",
    "name": "VOC treatment",
    "kind": "treatment",
    "rated_w": 20000,
    "standby_w": 500,
    "running_w": 5000,
    "hysteresis_w": 400,
}


def _setup(client: TestClient, headers: dict[str, str], eid: int) -> None:
    base = f"/api/enterprises/{eid}/environment"
    for body in (BOOTH, VOC):
        assert client.post(f"{base}/facilities", json=body, headers=headers).status_code == 201
    link = {"production": "SC1", "treatment": "SB1", "expected_ratio": 0.5}
    assert client.post(f"{base}/links", json=link, headers=headers).status_code == 204


def _raise_events(database: Database, eid: int) -> None:
    """A booth running 100 min without its treatment, evaluated and stored."""
    t, p = history(trace([(10, 0.0), (100, 20_000.0), (30, 0.0)]), trace([(140, 0.0)]))
    with database.session() as session:
        events = replay(topology_of(session, eid), t, p)
        windows = exempt_windows(session, eid, *_span(t))
        assert record_events(session, eid, events, windows) >= 1
        assert record_events(session, eid, events, windows) == 0  # replaying changes nothing


def _span(t: Any) -> tuple[Any, Any]:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(t[0]), UTC), datetime.fromtimestamp(int(t[-1]) + 60, UTC)


def test_event_lifecycle_push_respond_verify_close(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm, other = make_enterprise(key_power_user=True), make_enterprise()
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    regulator = auth_headers(make_user(Role.regulator))
    stranger = auth_headers(make_user(Role.enterprise_admin, other.id))
    _setup(client, admin, firm.id)
    _raise_events(database, firm.id)
    base = f"/api/enterprises/{firm.id}/environment"

    events = client.get(f"{base}/events", headers=admin).json()
    (event,) = [e for e in events if e["rule"] == "treatment_off"]
    assert (event["status"], event["grade"], event["facilities"]) == (
        "pushed",
        "yellow",
        ["SC1", "SB1"],
    )
    assert event["details"]["thresholds"]["min_duration_s"] == 600
    assert event["respond_by"] is not None
    assert not event["overdue"]

    assert client.get(f"{base}/events", headers=stranger).status_code == 403
    seen = client.get("/api/environment/events", headers=stranger).json()
    assert seen == []  # another enterprise sees none of it
    assert len(client.get("/api/environment/events", headers=regulator).json()) == len(events)

    url = f"{base}/events/{event['id']}"
    early = client.post(f"{url}/verification", json={"approve": True}, headers=regulator)
    assert early.status_code == 409  # nothing to verify before the enterprise answers
    answer = {"response": "fan motor replaced", "evidence": "work order 5521"}
    assert client.post(f"{url}/response", json=answer, headers=regulator).status_code == 403
    assert (
        client.post(f"{url}/response", json=answer, headers=admin).json()["status"] == "responded"
    )
    assert (
        client.post(f"{url}/verification", json={"approve": True}, headers=admin).status_code == 403
    )
    closed = client.post(
        f"{url}/verification", json={"approve": True, "note": "ok"}, headers=regulator
    )
    body = closed.json()
    assert body["status"] == "closed"
    actions = [h["action"] for h in body["history"]]
    assert actions == ["pushed", "escalated", "ended", "responded", "verified"]


def test_pre_reports_need_a_regulator_and_exempt_covered_events(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm = make_enterprise(key_power_user=True)
    admin_user = make_user(Role.enterprise_admin, firm.id)
    admin, regulator = auth_headers(admin_user), auth_headers(make_user(Role.regulator))
    _setup(client, admin, firm.id)
    base = f"/api/enterprises/{firm.id}/environment"
    window = {
        "start_at": "2025-12-31T23:00:00Z",
        "end_at": "2026-01-01T06:00:00Z",
        "facility_codes": ["SC1", "SB1"],
        "reason": "VOC catalyst change",
    }
    assert client.post(f"{base}/pre-reports", json=window, headers=regulator).status_code == 403
    report = client.post(f"{base}/pre-reports", json=window, headers=admin).json()
    decide = f"{base}/pre-reports/{report['id']}/decision"
    assert client.post(decide, json={"approve": True}, headers=admin).status_code == 403
    pending = client.get("/api/environment/pre-reports?status=pending", headers=regulator).json()
    assert [r["id"] for r in pending] == [report["id"]]
    assert (
        client.post(decide, json={"approve": True}, headers=regulator).json()["status"]
        == "approved"
    )
    assert client.post(decide, json={"approve": False}, headers=regulator).status_code == 409

    _raise_events(database, firm.id)
    events = client.get(f"{base}/events", headers=admin).json()
    assert events
    assert {e["status"] for e in events} == {"exempted"}
    assert {e["pre_report_id"] for e in events} == {report["id"]}
    assert at(0) > 0


def test_a_regulator_cannot_change_enterprise_data(
    client: TestClient,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm = make_enterprise()
    regulator = auth_headers(make_user(Role.regulator))
    user = auth_headers(make_user(Role.enterprise_user, firm.id))
    base = f"/api/enterprises/{firm.id}/environment"
    for headers in (regulator, user):
        response = client.post(f"{base}/facilities", json=BOOTH, headers=headers)
        assert response.status_code == 403, response.text
    assert client.get(f"{base}/facilities", headers=regulator).json() == []


def test_learned_thresholds_apply_only_once_confirmed(
    client: TestClient,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm = make_enterprise()
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    _setup(client, admin, firm.id)
    base = f"/api/enterprises/{firm.id}/environment"
    facility = client.get(f"{base}/facilities", headers=admin).json()[1]
    history_w = [100.0] * 40 + [2_000.0] * 30 + [16_000.0] * 60 + [None] * 5
    learned = client.post(
        f"{base}/facilities/{facility['id']}/suggestions",
        json={"power_w": history_w},
        headers=admin,
    ).json()
    assert learned["status"] == "pending"
    assert learned["samples"] == 130
    assert 100 < learned["standby_w"] < 2_000 < learned["running_w"] < 16_000
    unchanged = client.get(f"{base}/facilities", headers=admin).json()[1]
    assert unchanged["running_w"] == 5000
    url = f"{base}/suggestions/{learned['id']}/decision"
    assert client.post(url, json={"approve": True}, headers=admin).json()["status"] == "approved"
    applied = client.get(f"{base}/facilities", headers=admin).json()[1]
    assert applied["running_w"] == learned["running_w"]
