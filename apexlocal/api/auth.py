"""/auth: signing the web UI in and out. Outside /api and its key middleware: these routes make
the session that the /api routes then accept beside Bearer keys.

- `GET /auth/login?token=` opens a one-time login link. It spends the link, sets the session cookie
  and redirects to `/` only when the browser says the user opened it themselves (`Sec-Fetch-Site:
  none`: typed, pasted, a bookmark, another application). Anything else (a link or redirect from a
  site, a browser without Fetch Metadata, a prefetch) gets a page naming the account, whose button
  `POST /auth/login/link` spends it, same-origin only. So another site cannot sign a visitor in to
  an account of its choosing (login CSRF).
- `POST /auth/login {apiKey}` signs in with an API key; the session ends when that key does.
- `POST /auth/logout` revokes the session server-side and clears the cookie.
- `GET /auth/me` says who is signed in and hands the page its CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect
from msgspec import Meta, Struct

from apexlocal.accounts import credits, login_links, plans, sessions
from apexlocal.accounts.users import User
from apexlocal.api import login_page
from apexlocal.api.guards import check_content_type, check_same_origin, cookie_value, require_same_origin
from apexlocal.api.openapi import errors
from apexlocal.api.schemas import RequestBody
from apexlocal.errors import Forbidden
from apexlocal.jobs.services import Services

NO_STORE = {"Cache-Control": "no-store"}


class LoginRequest(RequestBody):
    api_key: Annotated[str, Meta(min_length=1, max_length=200, description="An API key (sk_live_...)")]


class Permissions(Struct, rename="camel"):
    admin: bool
    api_keys: bool


class Me(Struct, rename="camel", omit_defaults=True):
    signed_in: bool
    user: User | None = None
    csrf_token: str | None = None
    expires_at: str | None = None
    permissions: Permissions | None = None


class MeOut(Struct):
    data: Me


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def _me(services: Services, user: User, csrf: str, expires_at: str) -> MeOut:
    """The signed-in answer, with the balance read now (a cached user's credits may be seconds old):
    call it off the event loop."""
    fresh = msgspec.structs.replace(user, credits=credits.balance(services.db, user.id))
    return MeOut(
        Me(
            signed_in=True,
            user=fresh,
            csrf_token=csrf,
            expires_at=expires_at,
            permissions=Permissions(
                admin=user.is_admin, api_keys=plans.allows_feature(services.settings.plans, user, "api-keys")
            ),
        )
    )


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    # Secure whenever the browser reached us over https (directly or through a trusted proxy).
    return Cookie(
        key=sessions.COOKIE_NAME,
        value=value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=max_age,
    )


def _session_cookie(request: Request[Any, Any, Any], new: sessions.NewSession) -> Cookie:
    days = request.app.state.services.settings.session_days
    return session_cookie(request, new.token, int(timedelta(days=days).total_seconds()))


def _signin_link(services: Services, token: str | None, previous: str | None) -> sessions.NewSession | None:
    user_id = login_links.consume(services.db, token)
    if not user_id:
        return None
    sessions.revoke(services.db, previous)  # the browser's earlier session ends with this sign-in
    return sessions.create_session(services.db, user_id, timedelta(days=services.settings.session_days))


def _opened_by_the_user(request: Request[Any, Any, Any]) -> bool:
    """The browser says the user navigated here themselves, and is not just prefetching the page."""
    headers = request.headers
    prefetch = headers.get("sec-purpose") or headers.get("purpose")
    return headers.get("sec-fetch-site", "").lower() == "none" and not prefetch


def _link_failed() -> Redirect:
    return Redirect("/signin?error=link", status_code=303, headers=NO_STORE)


def _signed_in(request: Request[Any, Any, Any], new: sessions.NewSession | None) -> Redirect:
    if new is None:
        return _link_failed()
    return Redirect("/", status_code=303, headers=NO_STORE, cookies=[_session_cookie(request, new)])


@get(
    "/auth/login",
    summary="Open a login link",
    tags=["web ui"],
    media_type=MediaType.HTML,
    responses={
        303: ResponseSpec(
            None, description="Signed in (to the studio), or the link is unknown, used or expired (to the sign-in page)"
        )
    },
    description="Opened by the user themselves (`Sec-Fetch-Site: none`): spends the one-time link, sets the "
    "session cookie and redirects to the studio. Otherwise: a page naming the account, whose "
    "button posts to /auth/login/link. An unknown, used or expired link redirects to the "
    "sign-in page.",
)
async def login_with_link(
    request: Request[Any, Any, Any],
    token: Annotated[str, QueryParameter(description="The login link's token", max_length=200)] = "",
) -> Response[Any]:
    services = _services(request)
    if _opened_by_the_user(request):
        new = await to_thread.run_sync(_signin_link, services, token or None, cookie_value(request.scope))
        return _signed_in(request, new)
    email = await to_thread.run_sync(login_links.email_for, services.db, token or None)
    if email is None:
        return _link_failed()
    return Response(login_page.render(email, token), media_type=MediaType.HTML, headers=NO_STORE)


@post(
    login_page.CONFIRM_PATH,
    status_code=303,
    summary="Sign in with a login link",
    tags=["web ui"],
    responses=errors(403),
    description="The form of the login link's page (`token`, form-encoded): spends the link, sets the session "
    "cookie and redirects to the studio. Refused (403) unless the browser says it came from this "
    "origin.",
)
async def confirm_login_link(request: Request[Any, Any, Any]) -> Redirect:
    require_same_origin(request.scope)
    form = await request.form()
    token = form.get("token")
    new = await to_thread.run_sync(
        _signin_link, _services(request), token if isinstance(token, str) else None, cookie_value(request.scope)
    )
    return _signed_in(request, new)


def _signin_key(services: Services, api_key: str, previous: str | None) -> tuple[User, sessions.NewSession]:
    user, key_id = services.authenticator.authenticate(f"Bearer {api_key.strip()}")
    sessions.revoke(services.db, previous)
    # The session names its key, so it ends when the key is revoked or rotated past its grace.
    return user, sessions.create_session(
        services.db, user.id, timedelta(days=services.settings.session_days), key_id=key_id
    )


@post(
    "/auth/login",
    status_code=200,
    summary="Sign in with an API key",
    tags=["web ui"],
    responses=errors(401, 403),
    description="Starts a web UI session for the key's owner: an HttpOnly, SameSite=Strict cookie. The "
    "session ends when the key is revoked or, rotated, reaches its expiry.",
)
async def login_with_key(request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> Response[MeOut]:
    # Refused from other sites too: a forged sign-in would put the victim in the attacker's account.
    check_same_origin(request.scope)
    check_content_type(request.scope)
    services = _services(request)
    user, new = await to_thread.run_sync(_signin_key, services, data.api_key, cookie_value(request.scope))
    answer = await to_thread.run_sync(_me, services, user, new.csrf_token, new.expires_at)
    return Response(answer, headers=NO_STORE, cookies=[_session_cookie(request, new)])


def _logout(services: Services, token: str | None, csrf: str | None) -> None:
    session = sessions.lookup(services.db, token)
    if session is None:
        return  # nothing to end; the cookie is cleared anyway
    if not sessions.csrf_matches(session, csrf):
        raise Forbidden("Missing or invalid CSRF token: send the X-CSRF-Token header from /auth/me")
    sessions.revoke(services.db, token)


@post(
    "/auth/logout",
    status_code=200,
    summary="Sign out",
    tags=["web ui"],
    responses=errors(403),
    description="Revokes the session on the server (the cookie stops working everywhere) and clears it.",
)
async def logout(request: Request[Any, Any, Any]) -> Response[MeOut]:
    check_same_origin(request.scope)
    await to_thread.run_sync(
        _logout, _services(request), cookie_value(request.scope), request.headers.get("x-csrf-token")
    )
    return Response(MeOut(Me(signed_in=False)), headers=NO_STORE, cookies=[session_cookie(request, "", 0)])


@get(
    "/auth/me",
    summary="Who is signed in",
    tags=["web ui"],
    description="The session's user and the CSRF token to send as X-CSRF-Token on state-changing "
    "/api requests. Without a session: `signedIn: false`.",
)
async def me(request: Request[Any, Any, Any]) -> Response[MeOut]:
    services = _services(request)
    session = await to_thread.run_sync(sessions.lookup, services.db, cookie_value(request.scope))
    if session is None:
        return Response(MeOut(Me(signed_in=False)), headers=NO_STORE)
    answer = await to_thread.run_sync(_me, services, session.user, session.csrf_token, session.expires_at)
    return Response(answer, headers=NO_STORE)


routes = [login_with_link, confirm_login_link, login_with_key, logout, me]
