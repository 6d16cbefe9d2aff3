"""Users and their plans."""

from __future__ import annotations

import uuid
from typing import Any

from msgspec import Struct

from apexlocal.accounts import credits, generation
from apexlocal.db import users as rows
from apexlocal.db.database import Database
from apexlocal.errors import BadRequest, Conflict, NotFound
from apexlocal.timestamps import utcnow


class User(Struct, frozen=True, rename="camel"):
    """A user, and the user object of the API's answers (camelCase on the wire)."""

    id: str
    email: str
    plan: str
    is_admin: bool
    credits: int
    created_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=row["id"],
            email=row["email"],
            plan=row["plan"],
            is_admin=bool(row["is_admin"]),
            credits=row["credits"],
            created_at=row["created_at"],
        )


def _check_plan(plan: str, plans: dict[str, Any]) -> None:
    if plan not in plans:
        raise BadRequest(f"plan: must be one of {', '.join(plans)}")


def _check_email(email: str) -> None:
    local, at, domain = email.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in email) or len(email) > 254:
        raise BadRequest("email: must be an email address")


def create_user(
    db: Database, email: str, plan: str, plans: dict[str, Any], initial_credits: int = 0, is_admin: bool = False
) -> User:
    _check_email(email)
    _check_plan(plan, plans)
    if initial_credits < 0:
        raise BadRequest("credits: must be at least 0")
    user_id = str(uuid.uuid4())
    with db.write():
        if rows.by_email(db, email) is not None:
            raise Conflict(f"email: a user with {email} exists already")
        rows.insert(db, user_id=user_id, email=email, plan=plan, is_admin=is_admin, created_at=utcnow())
        if initial_credits:
            credits.grant(db, user_id, initial_credits, "initial grant")
    return get_user(db, user_id)


def get_user(db: Database, user_id: str) -> User:
    row = rows.get(db, user_id)
    if row is None:
        raise NotFound("User not found")
    return User.from_row(row)


def get_by_email(db: Database, email: str) -> User:
    row = rows.by_email(db, email)
    if row is None:
        raise NotFound(f"No user with email {email}")
    return User.from_row(row)


def list_users(db: Database) -> list[User]:
    return [User.from_row(r) for r in rows.list_all(db)]


def set_plan(db: Database, email: str, plan: str, plans: dict[str, Any]) -> User:
    _check_plan(plan, plans)
    user = get_by_email(db, email)
    with db.write():
        rows.set_plan(db, user.id, plan)
    generation.access_changed(db)  # a cached copy of the user must not keep the old plan
    return get_user(db, user.id)


def count_users(db: Database) -> int:
    return rows.count(db)
