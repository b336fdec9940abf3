"""Fixtures for page tests: a browser-like client and signing in through the real form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from nevport.auth.models import User

from ..conftest import TEST_PASSWORD

CSRF_FIELD_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The csrf_token hidden field of the first form in ``html``."""
    found = CSRF_FIELD_RE.search(html)
    assert found, "page has no csrf_token field"
    return found.group(1)


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The test client sending what a browser sends for pages, not following redirects."""
    client.headers["Accept"] = "text/html,application/xhtml+xml"
    client.follow_redirects = False
    return client


@pytest.fixture
def sign_in(browser: TestClient) -> Callable[[User], str]:
    """Signs ``user`` in through GET/POST /login; returns the session's CSRF token."""

    def login(user: User) -> str:
        form = browser.get("/login")
        assert form.status_code == 200
        response = browser.post(
            "/login",
            data={
                "username": user.username,
                "password": TEST_PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/",
            },
        )
        assert response.status_code == 303, response.text
        page = browser.get("/")
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    return login
