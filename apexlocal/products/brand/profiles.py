"""Brand profiles of one user: the rules a field's value must follow beyond its wire type, and the
create / read / change / delete steps the routes run (each in one database transaction).

A logo is one of the caller's uploaded images (or outputs): what is stored is its storage key, and
every view signs a fresh URL for it, so a profile's logo never goes stale the way a 24-hour URL
would."""

from __future__ import annotations

import re
import secrets
from typing import Any

from apexlocal.db import brand_profiles as rows
from apexlocal.errors import BadRequest, NotFound
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services

MAX_PROFILES = 100  # per user
MAX_WORD = 50
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
NOT_FOUND = "Brand profile not found"
LOGO_FIELD = "logoUrl"
LOGO_TYPES = ("image/",)
LOGO_RULE = f"{LOGO_FIELD}: must be this server's URL of an image you uploaded (POST /api/upload/image)"


def new_id() -> str:
    return f"bp_{secrets.token_hex(8)}"


def check_colors(colors: list[str]) -> list[str]:
    """The colours, lower-cased; 400 naming the first that is not #rrggbb."""
    for i, color in enumerate(colors):
        if not HEX_COLOR.match(color):
            raise BadRequest(f"colors[{i}]: must be a hex colour #rrggbb such as #ff6600")
    return [c.lower() for c in colors]


def check_banned_words(words: list[str]) -> list[str]:
    """The words, trimmed and without repeats (case-insensitively); 400 naming a blank or long one."""
    kept: list[str] = []
    seen: set[str] = set()
    for i, word in enumerate(words):
        text = " ".join(word.split())
        if not text or len(text) > MAX_WORD or any(ord(ch) < 32 for ch in word):
            raise BadRequest(f"bannedWords[{i}]: must be 1-{MAX_WORD} characters of text")
        if text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


def logo_key(services: Services, user_id: str, url: str) -> str:
    """The storage key of the caller's image that `url` names; 400 for anything else."""
    stored = inputs.stored_input(services, user_id, url, LOGO_FIELD, LOGO_TYPES)
    if stored is None:
        raise BadRequest(LOGO_RULE)
    return stored[0]


def columns(services: Services, user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Wire fields (camelCase, already typed) -> checked column values."""
    out: dict[str, Any] = {}
    for wire, value in fields.items():
        if wire == "colors":
            out["colors"] = check_colors(value)
        elif wire == "bannedWords":
            out["banned_words"] = check_banned_words(value)
        elif wire == LOGO_FIELD:
            out["logo_key"] = None if value is None else logo_key(services, user_id, value)
        elif wire == "name":
            if not value.strip():
                raise BadRequest("name: must not be blank")
            out["name"] = value.strip()
        elif wire in ("tone", "tagline"):
            out[wire] = None if value is None or not value.strip() else value.strip()
        else:
            out[wire] = value
    return out


def view(services: Services, row: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The wire object of a profile row, its logo signed afresh."""
    logo, ttl = row["logo_key"], services.settings.url_ttl_seconds
    return {
        "id": row["id"],
        "name": row["name"],
        "colors": row["colors"],
        "font": row["font"],
        "logoUrl": None if logo is None else services.storage.signed_url(logo, base_url, ttl),
        "tone": row["tone"],
        "tagline": row["tagline"],
        "bannedWords": row["banned_words"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def create(services: Services, user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    values = columns(services, user_id, fields)
    db = services.db
    with db.write():
        if rows.count_owned(db, user_id) >= MAX_PROFILES:
            raise BadRequest(f"name: you have {MAX_PROFILES} brand profiles, the most one user may keep; delete one")
        return rows.insert(db, new_id(), user_id, values)


def read(services: Services, user_id: str, profile_id: str) -> dict[str, Any]:
    row = rows.get_owned(services.db, profile_id, user_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def change(services: Services, user_id: str, profile_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    read(services, user_id, profile_id)  # 404 before any field's 400
    values = columns(services, user_id, fields)
    with services.db.write():
        row = rows.update(services.db, profile_id, user_id, values)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def remove(services: Services, user_id: str, profile_id: str) -> dict[str, Any]:
    with services.db.write():
        row = rows.get_owned(services.db, profile_id, user_id)
        if row is None or not rows.delete(services.db, profile_id, user_id):
            raise NotFound(NOT_FOUND)
    return row
