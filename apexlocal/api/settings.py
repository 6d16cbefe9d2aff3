"""/api/settings: the caller's webhook URL and the `whsec_` secret that signs deliveries to it."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, patch, post
from litestar.params import JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import SettingsUpdate, UserSettingsOut, WebhookSecretOut, WebhookUrlOut
from apexlocal.db import user_settings
from apexlocal.jobs.services import Services
from apexlocal.webhooks import sign, ssrf


@get("/settings", summary="Get Settings", tags=["webhooks"],
     description="The webhook URL and the secret that signs deliveries (created on first read).")
async def get_settings(request: Request[Any, Any, Any]) -> Response[UserSettingsOut]:
    services: Services = request.app.state.services
    row = await to_thread.run_sync(user_settings.ensure_secret, services.db, current_user(request).id,
                                   sign.new_secret)
    return Response({"data": {"webhookUrl": row["webhook_url"], "webhookSecret": row["webhook_secret"]}})


def _set_url(services: Services, user_id: str, url: str | None) -> dict[str, Any]:
    if url is not None:
        # Checked now (and again at every delivery, when the name may resolve elsewhere).
        ssrf.validate_url(url, "webhookUrl", allow_private=services.settings.webhooks_allow_private)
    return user_settings.set_webhook_url(services.db, user_id, url, sign.new_secret)


@patch("/settings", summary="Configure Webhook URL", tags=["webhooks"],
       description="Set or clear (null) the webhook URL for job notifications. Validated against SSRF.")
async def update_settings(request: Request[Any, Any, Any], data: JSONBody[SettingsUpdate]) -> Response[WebhookUrlOut]:
    services: Services = request.app.state.services
    row = await to_thread.run_sync(_set_url, services, current_user(request).id, data.webhook_url)
    return Response({"data": {"webhookUrl": row["webhook_url"]}})


@post("/settings/webhook-secret/rotate", status_code=200, summary="Rotate Webhook Secret", tags=["webhooks"],
      description="A new signing secret, used from the next delivery attempt on; the old one stops at once.")
async def rotate_secret(request: Request[Any, Any, Any]) -> Response[WebhookSecretOut]:
    services: Services = request.app.state.services
    row = await to_thread.run_sync(user_settings.set_secret, services.db, current_user(request).id,
                                   sign.new_secret())
    return Response({"data": {"webhookSecret": row["webhook_secret"]}})


routes = [get_settings, update_settings, rotate_secret]
