"""/api/settings: the caller's webhook URL and the `whsec_` secret that signs deliveries to it."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch, post
from litestar.params import JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import (
    SettingsUpdate,
    UserSettings,
    UserSettingsOut,
    WebhookSecret,
    WebhookSecretOut,
    WebhookUrl,
    WebhookUrlOut,
)
from apexlocal.db import user_settings
from apexlocal.jobs.services import Services
from apexlocal.webhooks import sign, ssrf


@get(
    "/settings",
    summary="Get Settings",
    tags=["webhooks"],
    sync_to_thread=True,
    description="The webhook URL and the secret that signs deliveries (created on first read).",
)
def get_settings(request: Request[Any, Any, Any]) -> UserSettingsOut:
    services: Services = request.app.state.services
    row = user_settings.ensure_secret(services.db, current_user(request).id, sign.new_secret)
    return UserSettingsOut(UserSettings(row["webhook_url"], row["webhook_secret"]))


def _set_url(services: Services, user_id: str, url: str | None) -> dict[str, Any]:
    if url is not None:
        # Checked now (and again at every delivery, when the name may resolve elsewhere).
        ssrf.validate_url(url, "webhookUrl", allow_private=services.settings.webhooks_allow_private)
    return user_settings.set_webhook_url(services.db, user_id, url, sign.new_secret)


@patch(
    "/settings",
    summary="Configure Webhook URL",
    tags=["webhooks"],
    sync_to_thread=True,
    description="Set or clear (null) the webhook URL for job notifications. Validated against SSRF.",
)
def update_settings(request: Request[Any, Any, Any], data: JSONBody[SettingsUpdate]) -> WebhookUrlOut:
    services: Services = request.app.state.services
    row = _set_url(services, current_user(request).id, data.webhook_url)
    return WebhookUrlOut(WebhookUrl(row["webhook_url"]))


@post(
    "/settings/webhook-secret/rotate",
    status_code=200,
    summary="Rotate Webhook Secret",
    tags=["webhooks"],
    sync_to_thread=True,
    description="A new signing secret, used from the next delivery attempt on; the old one stops at once.",
)
def rotate_secret(request: Request[Any, Any, Any]) -> WebhookSecretOut:
    services: Services = request.app.state.services
    row = user_settings.set_secret(services.db, current_user(request).id, sign.new_secret())
    return WebhookSecretOut(WebhookSecret(row["webhook_secret"]))


routes = [get_settings, update_settings, rotate_secret]
