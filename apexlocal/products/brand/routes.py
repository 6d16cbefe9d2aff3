"""/api/brand-profiles: a user's saved brands, listed, created, read, changed and deleted. Another
user's profile id answers 404, as an unknown one does."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import errors
from apexlocal.db import brand_profiles as rows
from apexlocal.jobs.services import Services
from apexlocal.products.brand import profiles
from apexlocal.products.brand.schemas import BrandProfileCreate, BrandProfileList, BrandProfileOut, BrandProfileUpdate

TAGS = ["brand profiles"]


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def _out(request: Request[Any, Any, Any], row: dict[str, Any]) -> BrandProfileOut:
    wire = profiles.view(_services(request), row, str(request.base_url).rstrip("/"))
    return msgspec.convert({"data": wire}, BrandProfileOut)


def _given(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a request gave (an update's absent fields are UNSET and left out)."""
    return {
        f.encode_name: getattr(data, f.name)
        for f in msgspec.structs.fields(data)
        if getattr(data, f.name) is not msgspec.UNSET
    }


@get("/brand-profiles", summary="List Brand Profiles", tags=TAGS, sync_to_thread=True)
def list_profiles(request: Request[Any, Any, Any]) -> BrandProfileList:
    services, base = _services(request), str(request.base_url).rstrip("/")
    found = rows.list_owned(services.db, current_user(request).id)
    return msgspec.convert({"data": [profiles.view(services, r, base) for r in found]}, BrandProfileList)


@post(
    "/brand-profiles",
    status_code=201,
    summary="Create Brand Profile",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(400),
    description="A saved brand: name, colours (#rrggbb), one of the bundled fonts, a logo (an image you "
    "uploaded), tone, tagline and words its ads must never use. Pass its id as `brandProfileId` to "
    "POST /api/generate/instant-ad. At most 100 per user.",
)
def create_profile(request: Request[Any, Any, Any], data: JSONBody[BrandProfileCreate]) -> Response[BrandProfileOut]:
    row = profiles.create(_services(request), current_user(request).id, _given(data))
    return Response(_out(request, row), status_code=201)


@get(
    "/brand-profiles/{profile_id:str}",
    summary="Get Brand Profile",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
)
def get_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> BrandProfileOut:
    return _out(request, profiles.read(_services(request), current_user(request).id, profile_id))


@patch(
    "/brand-profiles/{profile_id:str}",
    summary="Update Brand Profile",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(400, 404),
    description="Changes only the fields given; null clears logoUrl, tone or tagline. Jobs already "
    "submitted keep the profile as it was when they were submitted.",
)
def update_profile(
    request: Request[Any, Any, Any], profile_id: FromPath[str], data: JSONBody[BrandProfileUpdate]
) -> BrandProfileOut:
    user_id = current_user(request).id
    return _out(request, profiles.change(_services(request), user_id, profile_id, _given(data)))


@delete(
    "/brand-profiles/{profile_id:str}",
    status_code=200,
    summary="Delete Brand Profile",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
    description="Deletes the profile (its logo stays among your uploads); answers the deleted profile.",
)
def delete_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> BrandProfileOut:
    return _out(request, profiles.remove(_services(request), current_user(request).id, profile_id))


routes = [list_profiles, create_profile, get_profile, update_profile, delete_profile]
