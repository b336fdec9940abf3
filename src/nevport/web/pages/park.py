"""Park pages: the overview, the enterprise list (live filters) and an enterprise's detail.

Routes stay thin: data comes from ``nevport.park.service``; tenancy is applied there and
by the app-wide ``enterprise_guard`` (the detail route's parameter is ``enterprise_id``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.auth.service import Principal
from nevport.errors import Forbidden
from nevport.park import service as park_service
from nevport.park.models import GreenLevel, Sector
from nevport.park.schemas import EnterpriseQuery, parse
from nevport.web.pages import overview
from nevport.web.pages.render import LISTING_ROLES, render, translator

PAGE_SIZE = 20  # [rows] per page of the enterprise list
DEFAULT_SORT = "-output_value_yuan"  # largest first; the registry puts missing values last

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of the enterprise list, with what the pager needs to link its neighbours."""

    items: Sequence[Any]
    total: int
    number: int
    filters: dict[str, str]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))

    def url(self, number: int) -> str:
        params = {key: value for key, value in self.filters.items() if value}
        if number > 1:
            params["page"] = str(number)
        return f"/enterprises?{urlencode(params)}" if params else "/enterprises"


@router.get("/")
def overview_page(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Park-wide figures and charts; every signed-in role may see them."""
    t = translator(request)
    data = park_service.park_overview(session)
    context = {
        "kpis": overview.kpis(data, t),
        "charts": [chart.as_json() for chart in overview.charts(data, t)],
    }
    return render(request, "overview.html", context, principal=principal)


def _may_list(principal: Principal) -> bool:
    return principal.role in LISTING_ROLES


@router.get("/enterprises")
def enterprises_page(
    *,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    q: Annotated[str, Query(max_length=100)] = "",
    sector: str = "",
    green_level: str = "",
    above_designated_size: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The list with search and filters; an htmx request gets only the results table."""
    if not _may_list(principal):
        raise Forbidden(f"role {principal.role.value} may not list enterprises")
    filters = {
        "q": q.strip(),
        "sector": sector,
        "green_level": green_level,
        "above_designated_size": above_designated_size,
    }
    query = parse(
        EnterpriseQuery,
        {key: value for key, value in filters.items() if value}
        | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE, "sort": DEFAULT_SORT},
        where="filter",
    )
    result = park_service.list_enterprises(session, principal, query)
    listing = ListPage(result.items, result.total, page, filters)
    context = {
        "page": listing,
        "filters": query,
        "sectors": [s.value for s in Sector],
        "green_levels": [g.value for g in GreenLevel if g is not GreenLevel.none],
    }
    if not _wants_fragment(request):
        return render(request, "enterprises.html", context, principal=principal)
    response = render(request, "partials/enterprise_table.html", context, principal=principal)
    response.headers["HX-Push-Url"] = listing.url(page)  # the address without empty filters
    return response


def _wants_fragment(request: Request) -> bool:
    """An htmx swap wants the table only; a history restore wants the whole page."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and not headers.get("HX-History-Restore-Request")


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(
    request: Request, enterprise_id: int, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """One enterprise: profile, customers, sites. The app-wide guard has checked tenancy."""
    enterprise = park_service.get_enterprise(session, principal, enterprise_id)
    context = {"e": enterprise, "may_list": principal.role.sees_all_enterprises}
    return render(request, "enterprise_detail.html", context, principal=principal)
