"""/api/keys: list, create (the key is shown once), revoke, rotate. Enterprise plan only.

Creating and rotating honour `Idempotency-Key`: a retry gets the first answer, the same key
included, but only when it is made with the same API key or session as the first request (the
stored answer holds the new key sealed with that credential; see accounts/key_replay.py). Another
caller reusing the Idempotency-Key gets 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyio import to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from apexlocal.accounts import api_keys, generation, key_replay, plans
from apexlocal.accounts.api_keys import CreatedKey
from apexlocal.accounts.users import User
from apexlocal.api.guards import credential, current_user
from apexlocal.api.schemas import KeyCreate
from apexlocal.db.idempotency import request_hash, run_once
from apexlocal.errors import Conflict
from apexlocal.jobs.services import Services

OTHER_CALLER = (
    "Idempotency-Key: the key this request created is shown again only to the API key or session that created it"
)


def _enterprise(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    plans.require_feature(request.app.state.services.settings.plans, user, "api-keys", "API key management")
    return user


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def _created_view(created: CreatedKey) -> dict[str, Any]:
    view = {"id": created.id, "key": created.key, "name": created.name, "createdAt": created.created_at}
    if created.previous_expires_at is not None:
        view["previousKeyExpiresAt"] = created.previous_expires_at
    return view


async def _create_once(request: Request[Any, Any, Any], user: User, make: Callable[[], CreatedKey]) -> Response[Any]:
    """Runs `make` under the caller's Idempotency-Key; the stored answer holds the key sealed."""
    idempotency_key = request.headers.get("idempotency-key")
    digest = request_hash(request.method, request.url.path, await request.body())
    secret, context = credential(request.scope) or "", f"{user.id}\0{idempotency_key}"

    def create() -> tuple[int, Any]:
        view = _created_view(make())
        return 201, {"data": {**view, "key": key_replay.seal(view["key"], secret, context)}}

    status, payload, _ = await to_thread.run_sync(
        run_once, _services(request).db, user.id, idempotency_key, digest, create
    )
    key = key_replay.unseal(payload["data"]["key"], secret, context)
    if key is None:
        raise Conflict(OTHER_CALLER)
    return Response({"data": {**payload["data"], "key": key}}, status_code=status)


@get("/keys", summary="List API Keys", tags=["keys"])
async def list_keys(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = _enterprise(request)
    rows = await to_thread.run_sync(api_keys.list_keys, _services(request).db, user.id)
    return {"data": [api_keys.public_view(r) for r in rows]}


@post(
    "/keys",
    status_code=201,
    summary="Create API Key",
    tags=["keys"],
    description="The key value is in this response only. With an `Idempotency-Key`, a retry by the same caller "
    "gets this response again, the key included.",
)
async def create_key(request: Request[Any, Any, Any], data: JSONBody[KeyCreate]) -> Response[Any]:
    user = _enterprise(request)
    return await _create_once(request, user, lambda: api_keys.create_key(_services(request).db, user.id, data.name))


@delete(
    "/keys/{key_id:str}",
    status_code=200,
    summary="Revoke API Key",
    tags=["keys"],
    description="The key stops working at once, and so do the web UI sessions signed in with it.",
)
async def revoke_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> dict[str, Any]:
    user = _enterprise(request)
    row = await to_thread.run_sync(api_keys.revoke_key, _services(request).db, key_id, user.id)
    return {"data": api_keys.public_view(row)}


@post(
    "/keys/{key_id:str}/rotate",
    status_code=201,
    summary="Rotate API Key",
    tags=["keys"],
    description="A new key; the old one keeps working for the grace period (24 h by default), and "
    "`previousKeyExpiresAt` says until when. A key is rotated once: rotating it again is 409 "
    "(rotate its replacement). `Idempotency-Key` is honoured as for creating a key.",
)
async def rotate_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    user = _enterprise(request)
    services = _services(request)
    response = await _create_once(
        request,
        user,
        lambda: api_keys.rotate_key(services.db, key_id, user.id, services.settings.key_rotation_grace_hours),
    )
    generation.access_changed(services.db)  # again, now that run_once's transaction has committed
    return response


routes = [list_keys, create_key, revoke_key, rotate_key]
