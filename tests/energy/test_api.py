"""The energy HTTP API: device ingest, meters, series, and tenancy on every route."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.park.models import Enterprise

from .conftest import Plant

Headers = Callable[[User], dict[str, str]]


def batch(start: datetime, values: list[str]) -> dict[str, object]:
    return {
        "readings": [
            {
                "meter": "M1",
                "quantity": "active_energy_import",
                "ts": (start + timedelta(minutes=5 * i)).isoformat(),
                "value": v,
            }
            for i, v in enumerate(values)
        ]
    }


def test_device_pushes_and_user_reads(
    client: TestClient, plant: Plant, make_user: Callable[..., User], auth_headers: Headers
) -> None:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    device = {"Authorization": f"Bearer {plant.token}"}
    body = batch(start, ["10.5", "11", "12.25"])
    first = client.post("/api/energy/ingest", json=body, headers=device)
    replay = client.post("/api/energy/ingest", json=body, headers=device)
    assert first.json() == {"accepted": 3, "duplicates": 0, "channels": 1}
    assert replay.json() == {"accepted": 0, "duplicates": 3, "channels": 0}
    user = make_user(Role.enterprise_user, plant.enterprise_id)
    url = f"/api/enterprises/{plant.enterprise_id}/energy/channels/{plant.energy_channel}/energy"
    got = client.get(
        url,
        params={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "resolution": "1h",
        },
        headers=auth_headers(user),
    )
    assert got.status_code == 200, got.text
    assert got.json()["points"] == [
        {"start": start.isoformat().replace("+00:00", "Z"), "value": "1.75", "flags": 4}
    ]  # 4: quarters missing


def test_bad_rows_and_bad_tokens_are_refused(client: TestClient, plant: Plant) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    body = batch(start, ["1", "2"])
    body["readings"][1]["meter"] = "GHOST"  # type: ignore[index]
    refused = client.post(
        "/api/energy/ingest", json=body, headers={"Authorization": f"Bearer {plant.token}"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"row": 1, "field": "meter", "reason": "meter 'GHOST' has no active_energy_import channel"}
    ]
    wrong = client.post(
        "/api/energy/ingest",
        json=batch(start, ["1"]),
        headers={"Authorization": "Bearer nvd_wrong"},
    )
    assert wrong.status_code == 401


def test_another_enterprise_cannot_read_or_write(
    client: TestClient,
    plant: Plant,
    make_enterprise: Callable[..., Enterprise],
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    other = make_enterprise()
    outsider = auth_headers(make_user(Role.enterprise_admin, other.id))
    base = f"/api/enterprises/{plant.enterprise_id}/energy"
    assert client.get(f"{base}/meters", headers=outsider).status_code == 403
    # the outsider's own id cannot reach the plant's channel either
    url = f"/api/enterprises/{other.id}/energy/channels/{plant.energy_channel}/power"
    now = datetime.now(UTC)
    got = client.get(
        url,
        params={"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()},
        headers=outsider,
    )
    assert got.status_code == 404
    park = auth_headers(make_user(Role.park_admin))
    listed = client.get(f"{base}/meters", headers=park)
    assert [m["code"] for m in listed.json()] == ["M1"]
    viewer = auth_headers(make_user(Role.enterprise_user, plant.enterprise_id))
    meter = {
        "code": "M2",
        "name": "Line 2",
        "level": "line",
        "parent_code": "M1",
        "installed_at": now.isoformat(),
        "channels": [{"quantity": "active_energy_import"}],
    }
    assert client.post(f"{base}/meters", json=meter, headers=viewer).status_code == 403
    admin = auth_headers(make_user(Role.enterprise_admin, plant.enterprise_id))
    created = client.post(f"{base}/meters", json=meter, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["parent_id"] == plant.meter.id
