"""The registry's rules, called without HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nevport.auth.models import User
from nevport.auth.service import Principal
from nevport.db.engine import Database
from nevport.errors import Conflict, Forbidden, InvalidInput, NotFound
from nevport.park import service
from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.park.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    EnterpriseQuery,
    EnterpriseUpdate,
    ProjectCreate,
    ProjectQuery,
)

from .conftest import enterprise_body, snapshot

MakePrincipal = Callable[..., Principal]


def create(database: Database, admin: Principal, n: int, **fields: Any) -> EnterpriseOut:
    with database.session() as session:
        return service.create_enterprise(
            session, admin, EnterpriseCreate.model_validate(enterprise_body(n, **fields))
        )


def test_create_stores_sites_customers_and_who_did_it(
    database: Database, principal: MakePrincipal, makers: dict[str, int]
) -> None:
    admin = principal("park_admin")
    sites = [
        {"name": "Plant 1", "latitude": 39.51, "longitude": 116.94},
        {"name": "Plant 2", "address": "京清汽车产业园", "latitude": 39.49, "longitude": 116.96},
    ]
    out = create(database, admin, 1, sites=sites, customers=["小米汽车", makers["Beijing Benz"]])
    assert [site.name for site in out.sites] == ["Plant 1", "Plant 2"]
    assert [maker.name_en for maker in out.customers] == ["Beijing Benz", "Xiaomi Auto"]
    assert out.created_by_id == out.updated_by_id == admin.user_id
    assert out.created_at.tzinfo is not None


@pytest.mark.parametrize("role", ["regulator", "instructor", "student"])
def test_only_the_park_admin_creates(
    database: Database, principal: MakePrincipal, role: str
) -> None:
    before = snapshot(database)
    with database.session() as session, pytest.raises(Forbidden, match=f"role {role} may not"):
        service.create_enterprise(
            session, principal(role), EnterpriseCreate.model_validate(enterprise_body(1))
        )
    assert snapshot(database) == before


@pytest.mark.parametrize("field", ["name_zh", "name_en", "credit_code"])
def test_duplicates_are_conflicts_naming_the_field(
    database: Database, principal: MakePrincipal, field: str
) -> None:
    admin = principal("park_admin")
    first = create(database, admin, 1)
    before = snapshot(database)
    with pytest.raises(Conflict) as caught:
        create(database, admin, 2, **{field: getattr(first, field)})
    assert caught.value.field == field
    assert snapshot(database) == before


def test_an_unknown_customer_is_refused_and_nothing_is_written(
    database: Database, principal: MakePrincipal, makers: dict[str, int]
) -> None:
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="no vehicle maker 'Tesla'") as caught:
        create(database, principal("park_admin"), 1, customers=["Li Auto", "Tesla"])
    assert caught.value.field == "customers.1"
    assert snapshot(database) == before


def test_each_role_sees_its_own_scope(database: Database, principal: MakePrincipal) -> None:
    admin = principal("park_admin")
    ids = [create(database, admin, n).id for n in range(1, 4)]
    seen = {}
    for role, enterprise_id in [
        ("park_admin", None),
        ("regulator", None),
        ("enterprise_admin", ids[1]),
        ("enterprise_user", ids[2]),
        ("instructor", None),
        ("student", None),
    ]:
        with database.session() as session:
            page = service.list_enterprises(session, principal(role, enterprise_id))
        seen[role] = ([item.id for item in page.items], page.total)
    assert seen == {
        "park_admin": (ids, 3),
        "regulator": (ids, 3),
        "enterprise_admin": ([ids[1]], 1),
        "enterprise_user": ([ids[2]], 1),
        "instructor": ([], 0),
        "student": ([], 0),
    }


def test_reading_another_enterprise_is_forbidden_before_existence_is_checked(
    database: Database, principal: MakePrincipal
) -> None:
    own = create(database, principal("park_admin"), 1)
    user, regulator = principal("enterprise_user", own.id), principal("regulator")
    with database.session() as session:
        assert service.get_enterprise(session, user, own.id).id == own.id
        for other in (own.id + 1, 999_999):  # existing or not: the same answer
            with pytest.raises(Forbidden, match=f"enterprise {other} is outside"):
                service.get_enterprise(session, user, other)
        with pytest.raises(NotFound, match="enterprise 999999 does not exist"):
            service.get_enterprise(session, regulator, 999_999)


def update(database: Database, who: Principal, enterprise_id: int, **fields: Any) -> EnterpriseOut:
    with database.session() as session:
        change = EnterpriseUpdate.model_validate(fields)
        return service.update_enterprise(session, who, enterprise_id, change)


def test_enterprise_admin_edits_its_profile_but_not_authority_fields(
    database: Database, principal: MakePrincipal
) -> None:
    out = create(database, principal("park_admin"), 1, green_level="municipal")
    own_admin = principal("enterprise_admin", out.id)
    changed = update(database, own_admin, out.id, employees=321, name_en="Renamed Ltd.")
    assert (changed.employees, changed.name_en) == (321, "Renamed Ltd.")
    assert changed.updated_by_id == own_admin.user_id
    # sending an unchanged value of a park-only field is fine (forms send everything)
    assert update(database, own_admin, out.id, green_level="municipal").green_level == "municipal"
    before = snapshot(database)
    for field, value in [
        ("green_level", "national"),
        ("credit_code", enterprise_body(9)["credit_code"]),
        ("synthetic", True),
        ("sector", "powertrain"),
    ]:
        with pytest.raises(Forbidden, match=f"only park_admin may change {field}"):
            update(database, own_admin, out.id, employees=1, **{field: value})
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("role", "own"), [("enterprise_user", True), ("enterprise_admin", False), ("regulator", False)]
)
def test_others_may_not_update(
    database: Database, principal: MakePrincipal, role: str, own: bool
) -> None:
    admin = principal("park_admin")
    target, other = create(database, admin, 1), create(database, admin, 2)
    who = principal(role, (target.id if own else other.id) if "enterprise" in role else None)
    with pytest.raises(Forbidden):
        update(database, who, target.id, employees=5)


def test_replacing_sites_keeps_the_ids_of_sites_kept_by_name(
    database: Database, principal: MakePrincipal
) -> None:
    admin = principal("park_admin")
    out = create(
        database,
        admin,
        1,
        sites=[
            {"name": "A", "latitude": 39.5, "longitude": 116.9},
            {"name": "B", "latitude": 39.6, "longitude": 117.0},
        ],
    )
    a_id = out.sites[0].id
    changed = update(
        database,
        admin,
        out.id,
        sites=[
            {"name": "A", "latitude": 39.55, "longitude": 116.95},
            {"name": "C", "latitude": 39.4, "longitude": 116.8},
        ],
    )
    assert [(s.name, s.latitude) for s in changed.sites] == [("A", 39.55), ("C", 39.4)]
    assert changed.sites[0].id == a_id
    with database.session() as session:
        assert [s.name for s in service.list_sites(session, admin, out.id)] == ["A", "C"]


def test_delete_is_refused_while_accounts_are_bound(
    database: Database, principal: MakePrincipal, make_user: Callable[..., User]
) -> None:
    admin = principal("park_admin")
    out = create(database, admin, 1)
    make_user("enterprise_user", out.id, username="bound-user")
    with (
        database.session() as session,
        pytest.raises(Conflict, match=r"1 user account.*bound-user"),
    ):
        service.delete_enterprise(session, admin, out.id)
    lone, regulator = create(database, admin, 2), principal("regulator")
    with database.session() as session:
        with pytest.raises(Forbidden):
            service.delete_enterprise(session, regulator, lone.id)
        service.delete_enterprise(session, admin, lone.id)
    with database.session() as session, pytest.raises(NotFound):
        service.get_enterprise(session, admin, lone.id)


def test_filters_search_sort_and_pages(database: Database, principal: MakePrincipal) -> None:
    admin = principal("park_admin")
    create(database, admin, 1, name_en="Beta 100%", sector="powertrain", patents=5)
    create(database, admin, 2, name_en="alpha", patents=50, green_level="national")
    create(
        database, admin, 3, name_en="Gamma", patents=20, above_designated_size=True, synthetic=True
    )

    def names(**query: Any) -> tuple[list[str], int]:
        with database.session() as session:
            page = service.list_enterprises(session, admin, EnterpriseQuery.model_validate(query))
        return [item.name_en for item in page.items], page.total

    assert names(sort="-patents") == (["alpha", "Gamma", "Beta 100%"], 3)
    assert names(sort="name_en") == (["Beta 100%", "Gamma", "alpha"], 3)  # code-point order
    assert names(sort="-patents", limit=1, offset=1) == (["Gamma"], 3)
    assert names(q="100%") == (["Beta 100%"], 1)  # % matches itself, not anything
    assert names(q="ALPHA") == (["alpha"], 1)
    assert names(q=enterprise_body(3)["credit_code"][-6:].lower()) == (["Gamma"], 1)
    assert names(sector=Sector.powertrain) == (["Beta 100%"], 1)
    assert names(green_level=GreenLevel.national) == (["alpha"], 1)
    assert names(above_designated_size=True, synthetic=True) == (["Gamma"], 1)
    with (
        database.session() as session,
        pytest.raises(InvalidInput, match="cannot sort by 'rank'") as caught,
    ):
        service.list_enterprises(session, admin, EnterpriseQuery(sort="name_en,-rank"))
    assert caught.value.field == "sort"


def test_projects_follow_the_tenancy_of_their_enterprise(
    database: Database, principal: MakePrincipal
) -> None:
    admin = principal("park_admin")
    a, b = create(database, admin, 1), create(database, admin, 2)
    regulator, b_user, student = (
        principal("regulator"),
        principal("enterprise_user", b.id),
        principal("student"),
    )
    with database.session() as session:
        for n, owner, status in [
            (1, a.id, "signed"),
            (2, b.id, "in_production"),
            (3, None, "signed"),
        ]:
            service.create_project(
                session,
                admin,
                ProjectCreate(
                    name_zh=f"项目{n}",
                    name_en=f"Project {n}",
                    enterprise_id=owner,
                    investment_yuan=n * 100_000_000,
                    expected_output_yuan=n * 300_000_000,
                    status=ProjectStatus(status),
                ),
            )
        everything = service.list_projects(session, admin, ProjectQuery(sort="-investment_yuan"))
        assert [p.name_en for p in everything.items] == ["Project 3", "Project 2", "Project 1"]
        signed = service.list_projects(session, regulator, ProjectQuery(status="signed"))
        assert signed.total == 2
        mine = service.list_projects(session, b_user)
        assert [p.name_en for p in mine.items] == ["Project 2"]
        assert service.list_projects(session, student).total == 0
        with pytest.raises(Conflict) as caught:
            service.create_project(
                session,
                admin,
                ProjectCreate(
                    name_zh="项目1", name_en="Other", investment_yuan=1, expected_output_yuan=0
                ),
            )
        assert caught.value.field == "name_zh"
        with pytest.raises(NotFound):
            service.create_project(
                session,
                admin,
                ProjectCreate(
                    name_zh="x",
                    name_en="x",
                    enterprise_id=999_999,
                    investment_yuan=1,
                    expected_output_yuan=0,
                ),
            )


def test_overview_sums_exactly_and_leaves_cancelled_projects_out(
    database: Database, principal: MakePrincipal
) -> None:
    admin = principal("park_admin")
    create(database, admin, 1, output_value_yuan=10**12, patents=3, green_level="national")
    create(database, admin, 2, output_value_yuan=1, employees=7, sector="aftermarket")
    create(database, admin, 3, above_designated_size=True, key_power_user=True)
    with database.session() as session:
        for n, status in [(1, "signed"), (2, "cancelled")]:
            service.create_project(
                session,
                admin,
                ProjectCreate(
                    name_zh=f"项目{n}",
                    name_en=f"P{n}",
                    investment_yuan=5 * 10**8,
                    expected_output_yuan=10**9,
                    status=ProjectStatus(status),
                ),
            )
        view = service.park_overview(session)
    assert (view.enterprises, view.output_value_yuan, view.enterprises_with_output_value) == (
        3,
        10**12 + 1,
        2,
    )
    assert view.enterprises_by_sector[Sector.electronics] == 2
    assert view.enterprises_by_sector[Sector.aftermarket] == 1
    assert view.enterprises_by_sector[Sector.intelligent_driving] == 0
    assert view.green_factories == {GreenLevel.national: 1, GreenLevel.municipal: 0}
    assert (view.patents, view.employees, view.above_designated_size, view.key_power_users) == (
        3,
        7,
        1,
        1,
    )
    assert (view.projects.count, view.projects.investment_yuan) == (1, 5 * 10**8)
    assert view.projects_by_status[ProjectStatus.cancelled].count == 1
