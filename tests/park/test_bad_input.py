"""Bad input gets a 4xx naming the field or reason, and leaves every park table as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from nevport.auth.models import User
from nevport.db.engine import Database

from .conftest import enterprise_body, snapshot

Headers = dict[str, str]
GOOD_CHECK = enterprise_body(1)["credit_code"][17]
WRONG_CHECK = "Y" if GOOD_CHECK != "Y" else "X"
BAD_CODE = enterprise_body(1)["credit_code"][:17] + WRONG_CHECK  # only the final check is wrong


def problem(response: Response) -> str:
    """The error as one string: our own errors, or FastAPI's validation list."""
    body = response.json()
    detail = body["detail"]
    if isinstance(detail, list):
        return "; ".join(".".join(map(str, d["loc"])) + ": " + d["msg"] for d in detail)
    return f"{body.get('field')}: {detail}"


@pytest.fixture
def admin(make_user: Callable[..., User], auth_headers: Callable[[User], Headers]) -> Headers:
    return auth_headers(make_user("park_admin"))


@pytest.fixture
def existing(client: TestClient, admin: Headers) -> int:
    response = client.post("/api/enterprises", json=enterprise_body(1), headers=admin)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def body_with(**fields: Any) -> dict[str, Any]:
    return enterprise_body(2, **fields)


def without(key: str) -> dict[str, Any]:
    body = enterprise_body(2)
    del body[key]
    return body


CREATE_CASES: list[tuple[str, Any, int, str]] = [
    # (case, JSON body or raw bytes, status, text the problem must contain)
    ("malformed JSON", b'{"name_zh": "x",', 422, "JSON decode error"),
    ("not an object", [1, 2], 422, "body"),
    ("missing field", without("credit_code"), 422, "body.credit_code: Field required"),
    ("unknown field", body_with(rank=1), 422, "body.rank: Extra inputs are not permitted"),
    ("count as text", body_with(patents="5"), 422, "body.patents: Input should be a valid integer"),
    ("negative count", body_with(employees=-1), 422, "body.employees: Input should be greater"),
    ("flag as text", body_with(above_designated_size="yes"), 422, "body.above_designated_size"),
    ("flag as number", body_with(key_power_user=1), 422, "body.key_power_user"),
    ("unknown sector", body_with(sector="rockets"), 422, "body.sector: Input should be"),
    ("empty name", body_with(name_en=""), 422, "body.name_en: String should have at least 1"),
    (
        "bad check char",
        body_with(credit_code=BAD_CODE),
        422,
        f"body.credit_code: Value error, check character is '{WRONG_CHECK}', "
        f"expected '{GOOD_CHECK}'",
    ),
    (
        "short code",
        body_with(credit_code="9112"),
        422,
        "body.credit_code: Value error, has 4 characters, expected 18",
    ),
    ("code as number", body_with(credit_code=911201), 422, "must be a string, got int"),
    (
        "latitude out of range",
        body_with(sites=[{"name": "P", "latitude": 91, "longitude": 1}]),
        422,
        "body.sites.0.latitude: Input should be less than or equal to 90",
    ),
    (
        "coordinate as text",
        body_with(sites=[{"name": "P", "latitude": "39.5", "longitude": 1}]),
        422,
        "body.sites.0.latitude: Input should be a valid number",
    ),
    (
        "repeated site",
        body_with(sites=[{"name": "P", "latitude": 1, "longitude": 1}] * 2),
        422,
        "site names must be unique",
    ),
    (
        "unknown zone",
        body_with(sites=[{"name": "P", "latitude": 1, "longitude": 1, "timezone": "Mars/Base"}]),
        422,
        "Mars/Base",
    ),
    ("unknown maker", body_with(customers=["Tesla"]), 422, "customers.0: no vehicle maker 'Tesla'"),
    ("maker flag", body_with(customers=[True]), 422, "body.customers.0"),
    (
        "duplicate zh name",
        body_with(name_zh=enterprise_body(1)["name_zh"]),
        409,
        "name_zh: another enterprise already has name_zh",
    ),
    (
        "duplicate en name",
        body_with(name_en=enterprise_body(1)["name_en"]),
        409,
        "name_en: another enterprise already has name_en",
    ),
    (
        "duplicate code",
        body_with(credit_code=enterprise_body(1)["credit_code"].lower()),
        409,
        "credit_code: another enterprise already has credit_code",
    ),
    ("oversize body", b'{"description": "' + b"x" * 1_100_000 + b'"}', 413, "exceeds the limit"),
]


@pytest.mark.parametrize(
    ("payload", "status", "expected"),
    [case[1:] for case in CREATE_CASES],
    ids=[case[0] for case in CREATE_CASES],
)
def test_create_refusals(
    client: TestClient,
    database: Database,
    admin: Headers,
    existing: int,
    payload: Any,
    status: int,
    expected: str,
) -> None:
    before = snapshot(database)
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(
        "/api/enterprises",
        content=raw,
        headers=admin | {"content-type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert expected in problem(response)
    assert snapshot(database) == before


PATCH_CASES: list[tuple[str, Any, int, str]] = [
    ("explicit null", {"name_zh": None}, 422, "name_zh may be left out but not set to null"),
    ("unknown field", {"employes": 3}, 422, "body.employes: Extra inputs are not permitted"),
    ("bad code", {"credit_code": BAD_CODE}, 422, f"check character is '{WRONG_CHECK}'"),
    (
        "wrong type in list",
        {"sites": [{"name": "P", "latitude": 1}]},
        422,
        "body.sites.0.longitude: Field required",
    ),
    ("half-valid change", {"employees": 9, "customers": ["Nobody"]}, 422, "no vehicle maker"),
]


@pytest.mark.parametrize(
    ("payload", "status", "expected"),
    [case[1:] for case in PATCH_CASES],
    ids=[case[0] for case in PATCH_CASES],
)
def test_update_refusals(
    client: TestClient,
    database: Database,
    admin: Headers,
    existing: int,
    payload: Any,
    status: int,
    expected: str,
) -> None:
    before = snapshot(database)
    response = client.patch(f"/api/enterprises/{existing}", json=payload, headers=admin)
    assert response.status_code == status, response.text
    assert expected in problem(response)
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "rank"}, "sort: cannot sort by 'rank'"),
        ({"limit": 0}, "query.limit: Input should be greater than or equal to 1"),
        ({"limit": 501}, "query.limit: Input should be less than or equal to 500"),
        ({"offset": -1}, "query.offset"),
        ({"sector": "rockets"}, "query.sector"),
        ({"secter": "powertrain"}, "query.secter: Extra inputs are not permitted"),
    ],
)
def test_list_refusals(
    client: TestClient, admin: Headers, params: dict[str, Any], expected: str
) -> None:
    response = client.get("/api/enterprises", params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert expected in problem(response)


def test_path_ids_are_validated(client: TestClient, admin: Headers) -> None:
    response = client.get("/api/enterprises/abc", headers=admin)
    assert response.status_code == 422
    assert "path.enterprise_id" in problem(response)


def test_project_refusals_leave_tables_unchanged(
    client: TestClient, database: Database, admin: Headers, existing: int
) -> None:
    good = {
        "name_zh": "项目",
        "name_en": "Project",
        "investment_yuan": 10**8,
        "expected_output_yuan": 2 * 10**8,
        "enterprise_id": existing,
    }
    assert client.post("/api/projects", json=good, headers=admin).status_code == 201
    before = snapshot(database)
    for payload, status, expected in [
        (good, 409, "name_zh: another project already has name_zh"),
        (
            good | {"name_zh": "新", "name_en": "New", "enterprise_id": 999_999},
            404,
            "enterprise_id: enterprise 999999 does not exist",
        ),
        (
            good | {"investment_yuan": 0},
            422,
            "body.investment_yuan: Input should be greater than 0",
        ),
        (
            good | {"investment_yuan": 1.5},
            422,
            "body.investment_yuan: Input should be a valid integer",
        ),
        (good | {"status": "dreaming"}, 422, "body.status"),
        (
            good | {"signed_on": "2025-06-01", "production_start": "2025-01-01"},
            422,
            "production_start 2025-01-01 is before signed_on 2025-06-01",
        ),
    ]:
        response = client.post("/api/projects", json=payload, headers=admin)
        assert response.status_code == status, response.text
        assert expected in problem(response), problem(response)
        assert snapshot(database) == before
