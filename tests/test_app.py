"""The application shell: health, offline API docs, body size limit, error shape."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_healthz_names_the_backend(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


def test_api_docs_load_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "/api/auth/token" in client.get("/openapi.json").json()["paths"]


def test_oversize_bodies_are_refused_before_reading(client: TestClient) -> None:
    big = b"x" * (1_048_576 + 1)
    response = client.post(
        "/api/auth/token",
        content=big,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "exceeds the limit of 1048576 bytes" in response.json()["detail"]


def test_oversize_chunked_body_is_refused(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit counts the bytes as they stream in
        for _ in range(20):
            yield b"y" * 65_536

    response = client.post(
        "/api/auth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_browsers_get_pages_for_framework_errors(client: TestClient) -> None:
    html = {"Accept": "text/html"}
    missing = client.get("/no-such-page", headers=html)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert client.get("/no-such-page").json() == {"detail": "Not Found"}
    wrong_method = client.delete("/healthz", headers=html)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")


def test_api_validation_errors_name_the_field(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"username": "x"})
    assert response.status_code == 422
    assert ["body", "password"] in [error["loc"] for error in response.json()["detail"]]
