"""Roles and what each may see.

Tenancy is decided here and enforced in ``nevport.auth.deps``; no route checks it itself.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    park_admin = "park_admin"
    regulator = "regulator"
    enterprise_admin = "enterprise_admin"
    enterprise_user = "enterprise_user"
    instructor = "instructor"
    student = "student"

    @property
    def is_enterprise_role(self) -> bool:
        """Bound to exactly one enterprise, and sees only that one."""
        return self in (Role.enterprise_admin, Role.enterprise_user)

    @property
    def sees_all_enterprises(self) -> bool:
        """Reads every enterprise's data (the park's operators and regulators)."""
        return self in (Role.park_admin, Role.regulator)


ENTERPRISE_ROLES = frozenset(role for role in Role if role.is_enterprise_role)
