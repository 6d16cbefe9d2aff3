"""The first start on an empty data dir: an owner account and a way in for it."""

from __future__ import annotations

from dataclasses import dataclass

from apexlocal.accounts import api_keys, users
from apexlocal.db.database import Database
from apexlocal.settings import Settings


@dataclass(frozen=True)
class Owner:
    email: str
    key: str


def ensure_owner(db: Database, settings: Settings) -> Owner | None:
    """Creates the owner (enterprise, admin) and a first key when there are no users yet."""
    with db.write():
        if users.count_users(db):
            return None
        owner = users.create_user(
            db,
            settings.owner_email,
            "enterprise",
            settings.plans,
            initial_credits=settings.owner_credits,
            is_admin=True,
        )
        created = api_keys.create_key(db, owner.id, "owner")
    return Owner(email=owner.email, key=created.key)
