"""Server-rendered pages: sign-in, park overview, enterprise list and detail.

``router`` carries every page route; ``error_page`` renders a NevportError for a browser.
"""

from __future__ import annotations

from fastapi import APIRouter

from nevport.web.pages import (
    energy,
    energy_ops,
    environment,
    environment_forms,
    park,
    session,
)
from nevport.web.pages.errors import error_page

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(park.router)
router.include_router(environment.router)
router.include_router(environment_forms.router)
router.include_router(energy.router)
router.include_router(energy_ops.router)

__all__ = ["error_page", "router"]
