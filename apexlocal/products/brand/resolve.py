"""A brand profile as a job's spec holds it: `brandProfileId` resolved at submit into a snapshot,
so a later change of the profile never changes a queued job."""

from __future__ import annotations

from typing import Any

from apexlocal.db import brand_profiles as rows
from apexlocal.errors import BadRequest
from apexlocal.jobs.services import Services
from apexlocal.products.brand.profiles import view

FIELD = "brandProfileId"
UNKNOWN = f"{FIELD}: no brand profile of yours has this id (GET /api/brand-profiles lists them)"


def snapshot_base_url(services: Services) -> str:
    # The engine reads the logo back by the key the URL names, whatever its host; the configured
    # base URL makes it a URL a person could open too.
    settings = services.settings
    return settings.base_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


def brand_snapshot(services: Services, user_id: str, profile_id: str) -> dict[str, Any]:
    """The profile's wire object (`id, name, colors, font, logoUrl, tone, tagline, bannedWords,
    createdAt, updatedAt`); 400 naming brandProfileId when the caller has no profile of that id."""
    row = rows.get_owned(services.db, profile_id, user_id)
    if row is None:
        raise BadRequest(UNKNOWN)
    return view(services, row, snapshot_base_url(services))
