"""/api/admin: the users page of the studio. Admins only (the router's guard).

List users and plans, create a user, set a plan, grant credits, make a one-time login link for
someone who has no other way in yet, and end all of a user's web UI sessions.
"""

from __future__ import annotations

from datetime import timedelta

from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from apexlocal.accounts import credits, login_links, sessions, users
from apexlocal.accounts.users import User
from apexlocal.api.guards import admin_guard, current_user
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


class AdminUser(Struct, rename="camel"):
    id: str
    email: str
    plan: str
    is_admin: bool
    credits: int
    created_at: str


class AdminUserOut(Struct):
    data: AdminUser


class AdminUserList(Struct):
    data: list[AdminUser]


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


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "plan": user.plan, "isAdmin": user.is_admin,
            "credits": user.credits, "createdAt": user.created_at}


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


async def _once(request: Request[Any, Any, Any], create: Any) -> Response[Any]:
    """Runs a creating request under the caller's Idempotency-Key, like every other creating POST."""
    services, body = _services(request), await request.body()
    key = request.headers.get("idempotency-key")
    digest = request_hash(request.method, request.url.path, body)
    status, payload, _ = await to_thread.run_sync(run_once, services.db, current_user(request).id, key, digest,
                                                  create)
    return Response(payload, status_code=status)


@get("/users", summary="List Users", tags=["admin"])
async def list_users(request: Request[Any, Any, Any]) -> Response[AdminUserList]:
    rows = await to_thread.run_sync(users.list_users, _services(request).db)
    return Response({"data": [user_view(u) for u in rows]})


@get("/plans", summary="List Plans", tags=["admin"], description="The plans users can be put on, lowest first.")
async def list_plans(request: Request[Any, Any, Any]) -> Response[PlanList]:
    table = _services(request).settings.plans
    ordered = sorted(table.items(), key=lambda kv: kv[1].get("rank", 0))
    return Response({"data": [{"name": name, "rank": p.get("rank", 0), "features": list(p.get("features", [])),
                               "models": list(p.get("models", []))} for name, p in ordered]})


@post("/users", status_code=201, summary="Create User", tags=["admin"])
async def create_user(request: Request[Any, Any, Any], data: JSONBody[UserCreate]) -> Response[AdminUserOut]:
    services = _services(request)

    def create() -> tuple[int, Any]:
        user = users.create_user(services.db, data.email.strip(), data.plan, services.settings.plans,
                                 data.credits, data.is_admin)
        return 201, {"data": user_view(user)}

    return await _once(request, create)


@patch("/users/{user_id:str}", summary="Set a User's Plan", tags=["admin"])
async def update_user(request: Request[Any, Any, Any], user_id: FromPath[str],
                      data: JSONBody[UserUpdate]) -> Response[AdminUserOut]:
    services = _services(request)

    def change() -> User:
        user = users.get_user(services.db, user_id)
        return users.set_plan(services.db, user.email, data.plan, services.settings.plans)

    return Response({"data": user_view(await to_thread.run_sync(change))})


@post("/users/{user_id:str}/credits", status_code=200, summary="Grant Credits", tags=["admin"],
      description="Adds credits to a user's balance (a negative amount adjusts it down, never below 0).")
async def grant_credits(request: Request[Any, Any, Any], user_id: FromPath[str],
                        data: JSONBody[CreditGrant]) -> Response[AdminUserOut]:
    services = _services(request)

    def create() -> tuple[int, Any]:
        users.get_user(services.db, user_id)  # 404 for an unknown id
        credits.grant(services.db, user_id, data.amount, data.note.strip() or "admin grant")
        return 200, {"data": user_view(users.get_user(services.db, user_id))}

    return await _once(request, create)


@post("/users/{user_id:str}/login-link", status_code=201, summary="Create a Login Link", tags=["admin"],
      description="A one-time web UI login link for the user, valid `login_link_minutes` (15 by default).")
async def create_login_link(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[LoginLinkOut]:
    services = _services(request)

    def create() -> str:
        users.get_user(services.db, user_id)
        return login_links.create_link(services.db, user_id, timedelta(minutes=services.settings.login_link_minutes))

    token = await to_thread.run_sync(create)
    url = login_links.login_url(str(request.base_url), token)
    return Response({"data": {"url": url, "expiresInSeconds": int(services.settings.login_link_minutes * 60)}},
                    status_code=201, headers={"Cache-Control": "no-store"})


@delete("/users/{user_id:str}/sessions", status_code=200, summary="End a User's Sessions", tags=["admin"],
        description="Signs the user out of the web UI everywhere: every session of theirs ends at once. Their "
                    "API keys keep working (revoke those with DELETE /api/keys/{id} or the CLI).")
async def end_user_sessions(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[UserSessionsEndedOut]:
    db = _services(request).db

    def end() -> int:
        users.get_user(db, user_id)  # 404 for an unknown id
        return sessions.revoke_all(db, user_id)

    return Response({"data": {"userId": user_id, "ended": await to_thread.run_sync(end)}})


def admin_router() -> Router:
    return Router(path="/admin", guards=[admin_guard],
                  route_handlers=[list_users, list_plans, create_user, update_user, grant_credits, create_login_link,
                                  end_user_sessions])
