"""Sign-in, identity and device tokens over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nevport.auth import service
from nevport.auth.models import DeviceToken, User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.errors import AuthError
from nevport.park.models import Enterprise

from ..conftest import TEST_PASSWORD, TEST_SECRET

Headers = Callable[[User], dict[str, str]]


def test_password_flow_returns_a_bearer_token_with_expiry(
    client: TestClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.regulator)
    response = client.post(
        "/api/auth/token", data={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "id": user.id,
        "username": user.username,
        "display_name": user.username,
        "role": "regulator",
        "enterprise_id": None,
    }


def test_wrong_password_and_unknown_user_get_the_same_401(
    client: TestClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.student)
    wrong = client.post(
        "/api/auth/token", data={"username": user.username, "password": "nope-nope-nope"}
    )
    unknown = client.post("/api/auth/token", data={"username": "ghost", "password": TEST_PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect username or password"}


def test_login_attempts_are_rate_limited(
    client: TestClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.student)
    for _ in range(5):
        assert (
            client.post(
                "/api/auth/token", data={"username": user.username, "password": "bad-password"}
            ).status_code
            == 401
        )
    blocked = client.post(
        "/api/auth/token", data={"username": user.username, "password": TEST_PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "too many failed logins" in blocked.json()["detail"]


def test_expired_and_forged_tokens_are_refused(
    client: TestClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.park_admin)
    past = datetime.now(UTC) - timedelta(seconds=5)
    expired = jwt.encode(
        {"sub": str(user.id), "typ": "access", "exp": past}, TEST_SECRET, algorithm="HS256"
    )
    forged = jwt.encode(
        {"sub": str(user.id), "typ": "access", "exp": 4102444800}, "x" * 40, algorithm="HS256"
    )
    for token, reason in ((expired, "expired"), (forged, "invalid"), ("garbage", "invalid")):
        response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert reason in response.json()["detail"]
    assert client.get("/api/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/auth/me").status_code == 401


def test_disabled_user_token_stops_working(
    client: TestClient, make_user: Callable[..., User], auth_headers: Headers, database: Database
) -> None:
    user = make_user(Role.regulator)
    headers = auth_headers(user)
    with database.session() as session:
        session.get(User, user.id).is_active = False  # type: ignore[union-attr]
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_device_token_lifecycle(
    client: TestClient,
    make_user: Callable[..., User],
    make_enterprise: Callable[..., Enterprise],
    auth_headers: Headers,
    database: Database,
) -> None:
    enterprise = make_enterprise()
    admin = auth_headers(make_user(Role.enterprise_admin, enterprise.id))
    created = client.post(
        f"/api/enterprises/{enterprise.id}/device-tokens",
        json={"name": "line 2 collector"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    plain = created.json()["token"]
    assert plain.startswith("nvd_")
    with database.session() as session:
        stored = session.scalars(select(DeviceToken)).one()
        assert stored.token_hash != plain
        assert plain not in stored.token_hash
        assert service.resolve_device_token(session, plain).enterprise_id == enterprise.id
    listed = client.get(f"/api/enterprises/{enterprise.id}/device-tokens", headers=admin).json()
    assert [row["name"] for row in listed] == ["line 2 collector"]
    assert "token" not in listed[0]
    revoked = client.delete(
        f"/api/enterprises/{enterprise.id}/device-tokens/{created.json()['id']}", headers=admin
    )
    assert revoked.json()["revoked_at"] is not None
    with database.session() as session, pytest.raises(AuthError, match="revoked"):
        service.resolve_device_token(session, plain)


def test_enterprise_user_cannot_create_device_tokens(
    client: TestClient,
    make_user: Callable[..., User],
    make_enterprise: Callable[..., Enterprise],
    auth_headers: Headers,
    database: Database,
) -> None:
    enterprise = make_enterprise()
    for role in (Role.enterprise_user,):
        headers = auth_headers(make_user(role, enterprise.id))
        response = client.post(
            f"/api/enterprises/{enterprise.id}/device-tokens", json={"name": "x"}, headers=headers
        )
        assert response.status_code == 403
    regulator = auth_headers(make_user(Role.regulator))
    assert (
        client.post(
            f"/api/enterprises/{enterprise.id}/device-tokens", json={"name": "x"}, headers=regulator
        ).status_code
        == 403
    )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(DeviceToken)) == 0
