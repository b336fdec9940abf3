"""Who may do what in environmental supervision (documented in docs/environment/).

* the enterprise's own admin (and park_admin) configure facilities and thresholds;
* the enterprise's own users declare pre-reports and answer events;
* only a regulator approves pre-reports and verifies answers, and never for an
  enterprise of their own; a regulator changes no enterprise data.
Reads follow ``Principal.can_read_enterprise`` (and the app-wide guard on the routes).
"""

from __future__ import annotations

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.errors import Forbidden


def require_reader(principal: Principal, enterprise_id: int) -> None:
    if not principal.can_read_enterprise(enterprise_id):
        raise Forbidden(f"enterprise {enterprise_id} is outside the scope of your account")


def may_configure(principal: Principal, enterprise_id: int) -> bool:
    """The enterprise's own enterprise_admin, or a park_admin."""
    own_admin = principal.role is Role.enterprise_admin and principal.enterprise_id == enterprise_id
    return own_admin or principal.role is Role.park_admin


def require_configurer(principal: Principal, enterprise_id: int) -> None:
    if not may_configure(principal, enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not configure enterprise {enterprise_id}'s "
            "facilities; needs its enterprise_admin or park_admin"
        )


def require_member(principal: Principal, enterprise_id: int) -> None:
    if not (principal.role.is_enterprise_role and principal.enterprise_id == enterprise_id):
        raise Forbidden(
            f"only enterprise {enterprise_id}'s own users may do this, not role "
            f"{principal.role.value}"
        )


def require_regulator(principal: Principal, enterprise_id: int) -> None:
    if principal.role is not Role.regulator:
        raise Forbidden(f"role {principal.role.value} may not decide; needs regulator")
    if principal.enterprise_id == enterprise_id:
        raise Forbidden(f"a regulator may not decide for their own enterprise {enterprise_id}")
