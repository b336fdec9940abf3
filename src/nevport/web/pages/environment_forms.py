"""Form posts of the environment pages: respond, verify, declare and decide pre-reports.

Each one calls the same ``nevport.environment`` function as the API, so the rules of who
may do what are the API's; the CSRF token is checked for every cookie-borne post by the
auth dependency. On success the browser goes back where it came from (303).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.environment import lifecycle, service
from nevport.environment.schemas import DecisionIn, PreReportCreate, ResponseIn
from nevport.environment.source import SITE_ZONE
from nevport.errors import InvalidInput
from nevport.web.pages.render import local_path

router = APIRouter(include_in_schema=False)
BASE = "/enterprises/{enterprise_id}/environment"
Text = Annotated[str, Form(max_length=4000)]
Next = Annotated[str, Form(alias="next", max_length=2000)]


def _back(next_path: str, enterprise_id: int) -> RedirectResponse:
    return RedirectResponse(local_path(next_path, f"/enterprises/{enterprise_id}/environment"), 303)


def _approve(value: str) -> bool:
    if value not in ("1", "0"):
        raise InvalidInput(f"approve must be 1 or 0, got {value!r}", field="approve")
    return value == "1"


@router.post(f"{BASE}/events/{{event_id}}/response")
def respond(
    enterprise_id: int,
    event_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Annotated[str, Form(min_length=1, max_length=4000)],
    evidence: Text = "",
    next_path: Next = "",
) -> RedirectResponse:
    body = ResponseIn(response=response, evidence=evidence)
    lifecycle.respond(session, principal, enterprise_id, event_id, body)
    return _back(next_path, enterprise_id)


@router.post(f"{BASE}/events/{{event_id}}/verification")
def verify(
    enterprise_id: int,
    event_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    approve: Annotated[str, Form(max_length=1)],
    note: Text = "",
    next_path: Next = "",
) -> RedirectResponse:
    body = DecisionIn(approve=_approve(approve), note=note)
    lifecycle.verify(session, principal, enterprise_id, event_id, body)
    return _back(next_path, enterprise_id)


@router.post(f"{BASE}/pre-reports/{{report_id}}/decision")
def decide(
    enterprise_id: int,
    report_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    approve: Annotated[str, Form(max_length=1)],
    note: Text = "",
    next_path: Next = "",
) -> RedirectResponse:
    body = DecisionIn(approve=_approve(approve), note=note)
    service.decide_pre_report(session, principal, enterprise_id, report_id, body)
    return _back(next_path, enterprise_id)


def local_time(text: str, field: str) -> datetime:
    """A ``datetime-local`` input: park time unless it carries an offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date and time", field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=SITE_ZONE)


def codes_of(text: str) -> list[str]:
    """Facility codes typed as a comma list (an ideographic comma counts too)."""
    return [code.strip() for code in text.replace("，", ",").split(",") if code.strip()]


@router.post(f"{BASE}/pre-reports")
def declare(
    enterprise_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    start_at: Annotated[str, Form(max_length=40)],
    end_at: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    evidence: Text = "",
    facilities: Annotated[str, Form(max_length=2000)] = "",
    next_path: Next = "",
) -> RedirectResponse:
    codes = codes_of(facilities)
    try:
        body = PreReportCreate(
            start_at=local_time(start_at, "start_at"),
            end_at=local_time(end_at, "end_at"),
            facility_codes=codes,
            reason=reason,
            evidence=evidence,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"], field="pre_report") from None
    service.create_pre_report(session, principal, enterprise_id, body)
    return _back(next_path, enterprise_id)
