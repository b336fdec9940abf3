"""Every route that carries an enterprise id, tried across tenants.

The routes are read from the application itself, so a route added by any later
domain is walked here without anyone listing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.park.models import Enterprise

Headers = Callable[[User], dict[str, str]]
PARAM = re.compile(r"\{([a-z_]+)(:[a-z]+)?\}")


def all_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, including those of included routers."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.160 nests routers
    except ImportError:
        for route in app.routes:
            if isinstance(route, Route):
                yield route.path, set(route.methods or ())
        return
    for context in iter_route_contexts(app.routes):
        methods = getattr(context.original_route, "methods", None)
        if context.path is not None and methods:
            yield context.path, set(methods)


def enterprise_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for path, methods in all_routes(app):
        if "{enterprise_id" in path:
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                yield method, path


def fill(path: str, enterprise_id: int) -> str:
    return PARAM.sub(lambda m: str(enterprise_id) if m.group(1) == "enterprise_id" else "1", path)


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, path, headers=headers, **body).status_code  # type: ignore[arg-type]


@pytest.fixture
def two_tenants(make_enterprise: Callable[..., Enterprise]) -> tuple[Enterprise, Enterprise]:
    return make_enterprise(), make_enterprise()


def test_the_walk_finds_the_enterprise_routes(app: FastAPI) -> None:
    found = {path for _, path in enterprise_routes(app)}
    assert "/api/enterprises/{enterprise_id}" in found
    assert "/api/enterprises/{enterprise_id}/device-tokens" in found
    assert "/enterprises/{enterprise_id}" in found  # pages are walked too


def test_anonymous_callers_get_401_everywhere(
    client: TestClient, app: FastAPI, two_tenants: tuple[Enterprise, Enterprise]
) -> None:
    _, other = two_tenants
    refused = {(m, p): call(client, m, fill(p, other.id), {}) for m, p in enterprise_routes(app)}
    assert refused
    assert set(refused.values()) == {401}, refused


@pytest.mark.parametrize("role", [Role.enterprise_admin, Role.enterprise_user])
def test_another_enterprises_users_are_refused_everywhere(
    client: TestClient,
    app: FastAPI,
    make_user: Callable[..., User],
    auth_headers: Headers,
    two_tenants: tuple[Enterprise, Enterprise],
    role: Role,
) -> None:
    own, other = two_tenants
    headers = auth_headers(make_user(role, own.id))
    refused = {
        (m, p): call(client, m, fill(p, other.id), headers) for m, p in enterprise_routes(app)
    }
    assert refused
    assert set(refused.values()) <= {403, 404}, refused
    # The same user on its own enterprise is let through the guard (so the test can fail).
    # Only API reads: some pages stream (server-sent events) and never finish a body.
    own_reads = {
        p: call(client, "GET", fill(p, own.id), headers)
        for m, p in enterprise_routes(app)
        if m == "GET" and p.startswith("/api/")
    }
    assert 200 in own_reads.values(), own_reads


@pytest.mark.parametrize("role", [Role.instructor, Role.student])
def test_training_roles_see_no_enterprise_data(
    client: TestClient,
    app: FastAPI,
    make_user: Callable[..., User],
    auth_headers: Headers,
    two_tenants: tuple[Enterprise, Enterprise],
    role: Role,
) -> None:
    _, other = two_tenants
    headers = auth_headers(make_user(role))
    refused = {
        (m, p): call(client, m, fill(p, other.id), headers) for m, p in enterprise_routes(app)
    }
    assert set(refused.values()) <= {403, 404}, refused


def test_park_staff_pass_the_guard(
    client: TestClient,
    app: FastAPI,
    make_user: Callable[..., User],
    auth_headers: Headers,
    two_tenants: tuple[Enterprise, Enterprise],
) -> None:
    _, other = two_tenants
    for role in (Role.park_admin, Role.regulator):
        headers = auth_headers(make_user(role))
        assert client.get(f"/api/enterprises/{other.id}", headers=headers).status_code == 200
