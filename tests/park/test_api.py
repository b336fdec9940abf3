"""The park's HTTP API: roles, filters, sorting, pagination and totals, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nevport.auth.models import User

from .conftest import enterprise_body

Headers = dict[str, str]


@pytest.fixture
def admin(make_user: Callable[..., User], auth_headers: Callable[[User], Headers]) -> Headers:
    return auth_headers(make_user("park_admin"))


@pytest.fixture
def three(client: TestClient, admin: Headers, makers: dict[str, int]) -> list[int]:
    """Three enterprises with distinct sectors, sizes, patents and green levels."""
    bodies = [
        enterprise_body(
            1,
            name_en="Beta",
            sector="powertrain",
            patents=5,
            employees=900,
            output_value_yuan=3 * 10**8,
            customers=["Li Auto"],
        ),
        enterprise_body(2, name_en="Alpha", patents=50, employees=40, green_level="national"),
        enterprise_body(
            3,
            name_en="Gamma",
            patents=20,
            employees=300,
            synthetic=True,
            above_designated_size=True,
            output_value_yuan=10**9,
        ),
    ]
    ids = []
    for body in bodies:
        response = client.post("/api/enterprises", json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def names(client: TestClient, headers: Headers, **params: Any) -> tuple[list[str], int]:
    response = client.get("/api/enterprises", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["limit"] == params.get("limit", 50)
    assert body["offset"] == params.get("offset", 0)
    return [item["name_en"] for item in body["items"]], body["total"]


def test_list_filters_sorts_and_pages(client: TestClient, admin: Headers, three: list[int]) -> None:
    assert names(client, admin) == (["Beta", "Alpha", "Gamma"], 3)  # by id by default
    assert names(client, admin, sort="name_en") == (["Alpha", "Beta", "Gamma"], 3)
    assert names(client, admin, sort="-patents") == (["Alpha", "Gamma", "Beta"], 3)
    assert names(client, admin, sort="-employees") == (["Beta", "Gamma", "Alpha"], 3)
    # unknown output sorts last either way
    assert names(client, admin, sort="-output_value_yuan") == (["Gamma", "Beta", "Alpha"], 3)
    assert names(client, admin, sort="output_value_yuan") == (["Beta", "Gamma", "Alpha"], 3)
    assert names(client, admin, sort="name_en", limit=2) == (["Alpha", "Beta"], 3)
    assert names(client, admin, sort="name_en", limit=2, offset=2) == (["Gamma"], 3)
    assert names(client, admin, offset=10) == ([], 3)
    assert names(client, admin, sector="powertrain") == (["Beta"], 1)
    assert names(client, admin, green_level="national") == (["Alpha"], 1)
    assert names(client, admin, above_designated_size="true") == (["Gamma"], 1)
    assert names(client, admin, synthetic="false", sort="name_en") == (["Alpha", "Beta"], 2)
    assert names(client, admin, q="园区企业2") == (["Alpha"], 1)
    assert names(client, admin, q="gam") == (["Gamma"], 1)


def test_enterprise_out_shape(client: TestClient, admin: Headers, three: list[int]) -> None:
    body = client.get(f"/api/enterprises/{three[0]}", headers=admin).json()
    assert body["customers"] == [
        {"id": body["customers"][0]["id"], "name_zh": "理想汽车", "name_en": "Li Auto"}
    ]
    assert body["sites"][0]["latitude"] == 39.5
    assert {"created_at", "updated_at", "created_by_id", "updated_by_id"} <= body.keys()
    sites = client.get(f"/api/enterprises/{three[0]}/sites", headers=admin).json()
    assert [site["name"] for site in sites] == ["Plant"]


def test_roles_and_tenancy(
    client: TestClient,
    make_user: Callable[..., User],
    auth_headers: Callable[[User], Headers],
    admin: Headers,
    three: list[int],
) -> None:
    own = auth_headers(make_user("enterprise_admin", three[1]))
    student = auth_headers(make_user("student"))
    assert names(client, own) == (["Alpha"], 1)
    assert names(client, student) == ([], 0)
    assert client.get("/api/enterprises").status_code == 401
    assert client.get(f"/api/enterprises/{three[0]}", headers=own).status_code == 403
    assert client.get(f"/api/enterprises/{three[0]}/sites", headers=own).status_code == 403
    assert client.post("/api/enterprises", json=enterprise_body(9), headers=own).status_code == 403
    assert client.delete(f"/api/enterprises/{three[1]}", headers=own).status_code == 403
    patched = client.patch(f"/api/enterprises/{three[1]}", json={"employees": 41}, headers=own)
    assert patched.status_code == 200, patched.text
    assert patched.json()["employees"] == 41
    refused = client.patch(
        f"/api/enterprises/{three[1]}", json={"green_level": "municipal"}, headers=own
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "green_level: only park_admin may change green_level",
        "field": "green_level",
    }
    for path in ("/api/park/overview", "/api/oem-plants", "/api/vehicle-makers"):
        assert client.get(path, headers=student).status_code == 200, path


def test_delete_then_not_found(client: TestClient, admin: Headers, three: list[int]) -> None:
    assert client.delete(f"/api/enterprises/{three[2]}", headers=admin).status_code == 204
    gone = client.get(f"/api/enterprises/{three[2]}", headers=admin)
    assert gone.status_code == 404
    assert gone.json()["field"] == "enterprise_id"
    assert names(client, admin)[1] == 2


def test_projects_and_overview(client: TestClient, admin: Headers, three: list[int]) -> None:
    for n, status in [(1, "signed"), (2, "under_construction"), (3, "in_production")]:
        project = {
            "name_zh": f"项目{n}",
            "name_en": f"Project {n}",
            "enterprise_id": three[n - 1],
            "investment_yuan": n * 10**8,
            "expected_output_yuan": n * 3 * 10**8,
            "status": status,
            "signed_on": "2025-03-01",
        }
        response = client.post("/api/projects", json=project, headers=admin)
        assert response.status_code == 201, response.text
    page = client.get(
        "/api/projects", params={"sort": "-expected_output_yuan", "limit": 2}, headers=admin
    ).json()
    assert [p["name_en"] for p in page["items"]] == ["Project 3", "Project 2"]
    assert page["total"] == 3
    only = client.get("/api/projects", params={"status": "signed"}, headers=admin).json()
    assert [p["name_en"] for p in only["items"]] == ["Project 1"]
    view = client.get("/api/park/overview", headers=admin).json()
    assert view["enterprises"] == 3
    assert view["projects"] == {
        "count": 3,
        "investment_yuan": 6 * 10**8,
        "expected_output_yuan": 18 * 10**8,
    }
    assert view["enterprises_by_sector"]["powertrain"] == 1
    assert view["output_value_yuan"] == 13 * 10**8
