"""/api/keys: list, create (the key is shown once), revoke, rotate. Enterprise plan only."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from apexlocal.accounts import api_keys, plans
from apexlocal.accounts.users import User
from apexlocal.api.guards import current_user
from apexlocal.api.schemas import KeyCreate


def _enterprise(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    plans.require_feature(request.app.state.services.settings.plans, user, "api-keys", "API key management")
    return user


@get("/keys", summary="List API Keys", tags=["keys"])
async def list_keys(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = _enterprise(request)
    rows = api_keys.list_keys(request.app.state.services.db, user.id)
    return {"data": [api_keys.public_view(r) for r in rows]}


@post("/keys", status_code=201, summary="Create API Key", tags=["keys"],
      description="The key value is in this response only.")
async def create_key(request: Request[Any, Any, Any], data: JSONBody[KeyCreate]) -> dict[str, Any]:
    user = _enterprise(request)
    created = await to_thread.run_sync(api_keys.create_key, request.app.state.services.db, user.id, data.name)
    return {"data": {"id": created.id, "key": created.key, "name": created.name, "createdAt": created.created_at}}


@delete("/keys/{key_id:str}", status_code=200, summary="Revoke API Key", tags=["keys"])
async def revoke_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> dict[str, Any]:
    user = _enterprise(request)
    row = await to_thread.run_sync(api_keys.revoke_key, request.app.state.services.db, key_id, user.id)
    return {"data": api_keys.public_view(row)}


@post("/keys/{key_id:str}/rotate", status_code=201, summary="Rotate API Key", tags=["keys"],
      description="A new key; the old one keeps working for the grace period (24 h by default).")
async def rotate_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    user = _enterprise(request)
    services = request.app.state.services
    created = await to_thread.run_sync(api_keys.rotate_key, services.db, key_id, user.id,
                                       services.settings.key_rotation_grace_hours)
    old = next(r for r in api_keys.list_keys(services.db, user.id) if r["id"] == key_id)
    return Response({"data": {"id": created.id, "key": created.key, "name": created.name,
                              "createdAt": created.created_at, "previousKeyExpiresAt": old["expires_at"]}},
                    status_code=201)


routes = [list_keys, create_key, revoke_key, rotate_key]
