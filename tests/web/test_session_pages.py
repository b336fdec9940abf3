"""Signing in and out through the pages: CSRF, redirects, throttling, stale sessions."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nevport.auth.deps import SESSION_COOKIE
from nevport.auth.models import User, WebSession
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database

from ..conftest import TEST_PASSWORD
from .conftest import csrf_of


def _sessions(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


def _post_login(
    browser: TestClient, user: User, *, next_path: str = "/", password: str = TEST_PASSWORD
) -> httpx.Response:
    token = csrf_of(browser.get("/login").text)
    form = {"username": user.username, "password": password, "csrf_token": token, "next": next_path}
    return browser.post("/login", data=form)


def test_anonymous_page_visit_is_sent_to_login_with_its_path(browser: TestClient) -> None:
    response = browser.get("/enterprises?sector=powertrain")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/enterprises%3Fsector%3Dpowertrain"


def test_login_form_is_translated_and_carries_a_double_submit_token(browser: TestClient) -> None:
    page = browser.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text
    assert csrf_of(page.text) == browser.cookies.get("nevport_login_csrf")
    assert "httponly" in page.headers["set-cookie"].lower()


def test_login_sets_an_http_only_session_and_returns_to_next(
    browser: TestClient, make_user: Callable[..., User], database: Database
) -> None:
    user = make_user(Role.regulator)
    response = _post_login(browser, user, next_path="/enterprises?page=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/enterprises?page=1"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert _sessions(database) == 1
    home = browser.get("/")
    assert home.status_code == 200
    assert user.username in home.text
    assert "监管人员" in home.text  # the role, translated


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "x"],
)
def test_login_never_redirects_off_site(
    browser: TestClient, make_user: Callable[..., User], target: str
) -> None:
    response = _post_login(browser, make_user(Role.park_admin), next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_post_without_the_form_token_is_refused_and_changes_nothing(
    browser: TestClient, make_user: Callable[..., User], database: Database
) -> None:
    user = make_user(Role.park_admin)
    browser.get("/login")  # the browser holds the cookie, but the forged form lacks the field
    form = {"username": user.username, "password": TEST_PASSWORD, "next": "/"}
    refused = browser.post("/login", data=form)
    assert refused.status_code == 403
    assert "登录表单已过期" in refused.text
    forged = browser.post("/login", data=form | {"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert _sessions(database) == 0
    assert SESSION_COOKIE not in browser.cookies


def test_wrong_password_shows_a_translated_error(
    browser: TestClient, make_user: Callable[..., User], database: Database
) -> None:
    browser.cookies.set("lang", "en")
    response = _post_login(browser, make_user(Role.student), password="wrong-password-123")
    assert response.status_code == 401
    assert "Incorrect username or password." in response.text
    assert _sessions(database) == 0


def test_repeated_failures_are_throttled_with_a_translated_message(
    browser: TestClient, make_user: Callable[..., User], settings: Settings
) -> None:
    user = make_user(Role.student)
    for _ in range(settings.login_max_failures):
        assert _post_login(browser, user, password="wrong-password-123").status_code == 401
    blocked = _post_login(browser, user)  # even the right password waits out the window
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.text


def test_logout_needs_the_csrf_token(
    browser: TestClient,
    make_user: Callable[..., User],
    sign_in: Callable[[User], str],
    database: Database,
) -> None:
    csrf = sign_in(make_user(Role.park_admin))
    refused = browser.post("/logout", data={})
    assert refused.status_code == 403
    assert _sessions(database) == 1
    assert browser.get("/").status_code == 200  # still signed in
    done = browser.post("/logout", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert _sessions(database) == 0
    assert browser.get("/").status_code == 303


def test_a_stale_session_cookie_is_dropped_and_leads_to_login(browser: TestClient) -> None:
    browser.cookies.set(SESSION_COOKIE, "no-such-session")
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    assert any(
        c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in c
        for c in response.headers.get_list("set-cookie")
    )


def test_htmx_request_without_session_is_told_to_navigate(browser: TestClient) -> None:
    response = browser.get(
        "/enterprises",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/enterprises?q=a"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/enterprises%3Fq%3Da"


def test_signed_in_user_opening_login_goes_on(
    browser: TestClient, make_user: Callable[..., User], sign_in: Callable[[User], str]
) -> None:
    sign_in(make_user(Role.instructor))
    response = browser.get("/login?next=/enterprises")
    assert response.status_code == 303
    assert response.headers["location"] == "/enterprises"


def test_language_switch_sets_a_cookie_and_returns(browser: TestClient) -> None:
    response = browser.get("/lang/en?next=/login")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert browser.cookies.get("lang") == "en"
    page = browser.get("/login")
    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text
    assert browser.get("/lang/en?next=https://evil.example").headers["location"] == "/"


def test_unknown_language_is_refused(browser: TestClient) -> None:
    response = browser.get("/lang/fr")
    assert response.status_code == 404
    assert "lang" not in browser.cookies


def test_pages_send_security_headers(browser: TestClient) -> None:
    headers = browser.get("/login").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_htmx_requests_carry_the_session_csrf_token(
    browser: TestClient,
    make_user: Callable[..., User],
    sign_in: Callable[[User], str],
    database: Database,
) -> None:
    """<body hx-headers> gives every htmx request the token; the header alone suffices."""
    csrf = sign_in(make_user(Role.regulator))
    page = browser.get("/").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page
    response = browser.post("/logout", headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert response.status_code == 303
    assert _sessions(database) == 0
