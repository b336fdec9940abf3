"""Account rules, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from nevport.auth import service
from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.errors import Conflict, InvalidInput, NotFound
from nevport.park.models import Enterprise


def test_enterprise_roles_must_name_an_existing_enterprise(
    database: Database, make_enterprise: Callable[..., Enterprise]
) -> None:
    enterprise = make_enterprise()
    with database.session() as session:
        with pytest.raises(InvalidInput, match="needs --enterprise"):
            service.create_user(session, "worker", "long-enough-pw", Role.enterprise_user)
        with pytest.raises(InvalidInput, match="takes no enterprise"):
            service.create_user(
                session, "reg", "long-enough-pw", Role.regulator, enterprise_id=enterprise.id
            )
        with pytest.raises(NotFound, match="enterprise 999"):
            service.create_user(
                session, "worker", "long-enough-pw", Role.enterprise_user, enterprise_id=999
            )
        user = service.create_user(
            session, "worker", "long-enough-pw", "enterprise_user", enterprise_id=enterprise.id
        )
        assert user.role is Role.enterprise_user


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("ab", "long-enough-pw", "student", "not a valid username"),
        ("a b c", "long-enough-pw", "student", "not a valid username"),
        ("valid", "short", "student", "need at least 10"),
        ("valid", "long-enough-pw", "janitor", "unknown role 'janitor'"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_written(
    database: Database, username: str, password: str, role: str, message: str
) -> None:
    with database.session() as session, pytest.raises(InvalidInput, match=message):
        service.create_user(session, username, password, role)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_username_is_a_conflict(
    database: Database, make_user: Callable[..., User]
) -> None:
    make_user(Role.student, username="li.ming")
    with database.session() as session, pytest.raises(Conflict, match="already exists"):
        service.create_user(session, "li.ming", "long-enough-pw", Role.student)


def test_database_refuses_an_unbound_enterprise_role(database: Database) -> None:
    """The check constraint holds even if the service is bypassed."""
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), database.session() as session:
        session.add(User(username="raw", password_hash="x", role=Role.enterprise_admin))
