"""/api/admin: the users page of the studio. Admins only (the router's guard).

List users and plans, create a user, set a plan, grant credits, make a one-time login link for
someone who has no other way in yet, and end all of a user's web UI sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from apexlocal.accounts import credits, login_links, sessions, users
from apexlocal.accounts.users import User
from apexlocal.api.guards import admin_guard, current_user
from apexlocal.api.openapi import errors
from apexlocal.api.schemas import RequestBody
from apexlocal.db.idempotency import request_hash, run_once
from apexlocal.jobs.services import Services

Amount = Annotated[int, Meta(ge=-1_000_000_000, le=1_000_000_000, description="Credits; negative adjusts down")]


class UserCreate(RequestBody):
    email: Annotated[str, Meta(min_length=3, max_length=254, description="Email address")]
    plan: Annotated[str, Meta(min_length=1, max_length=50, description="free, creator, pro or enterprise")] = "free"
    credits: Annotated[int, Meta(ge=0, le=1_000_000_000, description="Credits granted at creation")] = 0
    is_admin: bool = False


class UserUpdate(RequestBody):
    plan: Annotated[str, Meta(min_length=1, max_length=50, description="free, creator, pro or enterprise")]


class CreditGrant(RequestBody):
    amount: Amount
    note: Annotated[str, Meta(max_length=200, description="Why (kept in the ledger)")] = "admin grant"


class AdminUserOut(Struct):
    data: User


class AdminUserList(Struct):
    data: list[User]


class Plan(Struct):
    name: str
    rank: int
    features: list[str]
    models: list[str]


class PlanList(Struct):
    data: list[Plan]


class LoginLink(Struct, rename="camel"):
    url: str
    expires_in_seconds: int


class LoginLinkOut(Struct):
    data: LoginLink


class UserSessionsEnded(Struct, rename="camel"):
    user_id: str
    ended: int


class UserSessionsEndedOut(Struct):
    data: UserSessionsEnded


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


async def _once(
    request: Request[Any, Any, Any], create: Callable[[], tuple[int, AdminUserOut]]
) -> Response[AdminUserOut]:
    """Runs a creating request under the caller's Idempotency-Key, like every other creating POST."""
    services, body = _services(request), await request.body()
    key = request.headers.get("idempotency-key")
    digest = request_hash(request.method, request.url.path, body)
    status, payload, _ = await to_thread.run_sync(run_once, services.db, current_user(request).id, key, digest, create)
    return Response(msgspec.convert(payload, AdminUserOut), status_code=status)  # a replay is a dict


@get("/users", summary="List Users", tags=["admin"], sync_to_thread=True)
def list_users(request: Request[Any, Any, Any]) -> AdminUserList:
    return AdminUserList(users.list_users(_services(request).db))


@get("/plans", summary="List Plans", tags=["admin"], description="The plans users can be put on, lowest first.")
async def list_plans(request: Request[Any, Any, Any]) -> PlanList:
    table = _services(request).settings.plans
    ordered = sorted(table.items(), key=lambda kv: kv[1].get("rank", 0))
    return PlanList(
        [Plan(name, p.get("rank", 0), list(p.get("features", [])), list(p.get("models", []))) for name, p in ordered]
    )


@post("/users", status_code=201, summary="Create User", tags=["admin"], responses=errors(409))
async def create_user(request: Request[Any, Any, Any], data: JSONBody[UserCreate]) -> Response[AdminUserOut]:
    services = _services(request)

    def create() -> tuple[int, AdminUserOut]:
        return 201, AdminUserOut(
            users.create_user(
                services.db, data.email.strip(), data.plan, services.settings.plans, data.credits, data.is_admin
            )
        )

    return await _once(request, create)


@patch("/users/{user_id:str}", summary="Set a User's Plan", tags=["admin"], sync_to_thread=True)
def update_user(request: Request[Any, Any, Any], user_id: FromPath[str], data: JSONBody[UserUpdate]) -> AdminUserOut:
    services = _services(request)
    user = users.get_user(services.db, user_id)
    return AdminUserOut(users.set_plan(services.db, user.email, data.plan, services.settings.plans))


@post(
    "/users/{user_id:str}/credits",
    status_code=200,
    summary="Grant Credits",
    tags=["admin"],
    responses=errors(409),
    description="Adds credits to a user's balance (a negative amount adjusts it down, never below 0).",
)
async def grant_credits(
    request: Request[Any, Any, Any], user_id: FromPath[str], data: JSONBody[CreditGrant]
) -> Response[AdminUserOut]:
    services = _services(request)

    def create() -> tuple[int, AdminUserOut]:
        users.get_user(services.db, user_id)  # 404 for an unknown id
        credits.grant(services.db, user_id, data.amount, data.note.strip() or "admin grant")
        return 200, AdminUserOut(users.get_user(services.db, user_id))

    return await _once(request, create)


@post(
    "/users/{user_id:str}/login-link",
    status_code=201,
    summary="Create a Login Link",
    tags=["admin"],
    description="A one-time web UI login link for the user, valid `login_link_minutes` (15 by default).",
)
async def create_login_link(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[LoginLinkOut]:
    services = _services(request)

    def create() -> str:
        users.get_user(services.db, user_id)
        return login_links.create_link(services.db, user_id, timedelta(minutes=services.settings.login_link_minutes))

    token = await to_thread.run_sync(create)
    url = login_links.login_url(str(request.base_url), token)
    link = LoginLink(url, int(services.settings.login_link_minutes * 60))
    return Response(LoginLinkOut(link), status_code=201, headers={"Cache-Control": "no-store"})


@delete(
    "/users/{user_id:str}/sessions",
    status_code=200,
    summary="End a User's Sessions",
    tags=["admin"],
    sync_to_thread=True,
    description="Signs the user out of the web UI everywhere: every session of theirs ends at once. Their "
    "API keys keep working (revoke those with DELETE /api/keys/{id} or the CLI).",
)
def end_user_sessions(request: Request[Any, Any, Any], user_id: FromPath[str]) -> UserSessionsEndedOut:
    db = _services(request).db
    users.get_user(db, user_id)  # 404 for an unknown id
    return UserSessionsEndedOut(UserSessionsEnded(user_id, sessions.revoke_all(db, user_id)))


def admin_router() -> Router:
    return Router(
        path="/admin",
        guards=[admin_guard],
        route_handlers=[
            list_users,
            list_plans,
            create_user,
            update_user,
            grant_credits,
            create_login_link,
            end_user_sessions,
        ],
    )
