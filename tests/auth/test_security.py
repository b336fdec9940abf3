"""Passwords, access tokens and the login throttle, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from nevport.auth.ratelimit import LoginThrottle
from nevport.auth.security import (
    create_access_token,
    decode_access_token,
    hash_opaque_token,
    hash_password,
    verify_password,
)
from nevport.errors import AuthError, RateLimited

SECRET = "s" * 48


def test_password_hash_is_argon2_and_verifies_only_the_right_password() -> None:
    stored = hash_password("correct-horse-battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct-horse-battery")
    assert not verify_password(stored, "correct-horse-batterY")
    assert not verify_password(None, "correct-horse-battery")
    assert not verify_password("not-a-hash", "x")


def test_access_token_round_trip_names_the_user() -> None:
    token, lifetime = create_access_token(SECRET, user_id=42, role="regulator", minutes=5)
    assert lifetime == 300
    assert decode_access_token(SECRET, token) == 42


def test_expired_token_is_refused_with_its_reason() -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    token = jwt.encode({"sub": "1", "typ": "access", "exp": past}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="expired"):
        decode_access_token(SECRET, token)


@pytest.mark.parametrize(
    ("claims", "key", "algorithm", "reason"),
    [
        ({"sub": "1", "typ": "access"}, SECRET, "HS256", "exp"),
        ({"sub": "1", "typ": "access", "exp": 4102444800}, "another-key" * 5, "HS256", "invalid"),
        ({"sub": "1", "typ": "refresh", "exp": 4102444800}, SECRET, "HS256", "not a nevport"),
        ({"sub": "admin", "typ": "access", "exp": 4102444800}, SECRET, "HS256", "not a nevport"),
        ({"sub": "1", "typ": "access", "exp": 4102444800}, SECRET, "HS512", "invalid"),
    ],
)
def test_forged_tokens_are_refused(
    claims: dict[str, object], key: str, algorithm: str, reason: str
) -> None:
    token = jwt.encode(claims, key, algorithm=algorithm)
    with pytest.raises(AuthError, match=reason):
        decode_access_token(SECRET, token)


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "1", "typ": "access", "exp": 4102444800}, None, algorithm="none")
    with pytest.raises(AuthError, match="invalid"):
        decode_access_token(SECRET, token)


def test_opaque_token_hash_is_stable_and_distinct() -> None:
    assert hash_opaque_token("nvd_a") == hash_opaque_token("nvd_a")
    assert hash_opaque_token("nvd_a") != hash_opaque_token("nvd_b")


def test_throttle_blocks_after_failures_and_forgets_after_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.check("10.0.0.1", "alice")
        throttle.failed("10.0.0.1", "Alice")
    with pytest.raises(RateLimited) as blocked:
        throttle.check("10.0.0.1", "alice")
    assert 0 < blocked.value.retry_after_s <= 61
    throttle.check("10.0.0.2", "alice")  # another client is not blocked
    now[0] += 61
    throttle.check("10.0.0.1", "alice")


def test_throttle_success_clears_the_count() -> None:
    throttle = LoginThrottle(max_failures=2, window_s=60)
    throttle.failed("c", "bob")
    throttle.succeeded("c", "bob")
    throttle.failed("c", "bob")
    throttle.check("c", "bob")
