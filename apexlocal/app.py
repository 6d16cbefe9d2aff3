"""The Litestar application: routes, the auth middleware, error mapping, security headers, the web
UI, and the in-process queue consumers started and stopped with the server."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from apexlocal import __version__
from apexlocal.accounts import login_links, sessions
from apexlocal.api import (
    auth,
    files,
    generate,
    health,
    job_params,
    jobs,
    keys,
    model_admin,
    models,
    usage,
    usage_daily,
    video,
    voice,
    voices,
    webhooks,
    webui,
)
from apexlocal.api import settings as settings_api
from apexlocal.api.admin import admin_router
from apexlocal.api.exceptions import EXCEPTION_HANDLERS
from apexlocal.api.guards import ApiAuthMiddleware
from apexlocal.api.openai_speech import speech_router
from apexlocal.api.ratelimit import RateLimiter
from apexlocal.api.security import security_headers_hook
from apexlocal.api.uploads import upload_routes
from apexlocal.jobs import pulls
from apexlocal.jobs.recovery import reconcile
from apexlocal.jobs.runner import run_job
from apexlocal.jobs.services import Services, build_services
from apexlocal.jobs.webhooks import install as install_webhooks
from apexlocal.jobs.webhooks import resume_deliveries
from apexlocal.settings import Settings

log = logging.getLogger("apexlocal")


def register_tasks(services: Services) -> None:
    services.tasks["run_job"] = services.queues.task("gpu", "run_job", lambda job_id: run_job(services, job_id))
    install_webhooks(services)


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="apexlocal",
        version=__version__,
        description="The AI Video Generation API, self-hosted. Authenticate with `Authorization: Bearer sk_live_...`, "
                    "or, from the web UI, with its session cookie and an `X-CSRF-Token` header.",
        path="/schema",
        components=Components(security_schemes={
            "apiKey": SecurityScheme(type="http", scheme="bearer", description="An apexlocal API key")}),
        security=[{"apiKey": []}],
    )


def create_app(settings: Settings, services: Services | None = None, start_workers: bool = True) -> Litestar:
    services = services or build_services(settings)
    register_tasks(services)
    model_pulls = pulls.install(services)

    def startup(app: Litestar) -> None:
        sessions.purge_expired(services.db)
        login_links.purge_spent(services.db)
        # Deliveries first: it flushes the io queue, which the job reconciliation may refill.
        resume_deliveries(services)
        reconcile(services)
        if start_workers:
            services.queues.start(settings.gpu_workers, settings.io_workers, settings.queue_max_idle_wait)

    def shutdown(app: Litestar) -> None:
        services.close()

    api = Router(path="/api", middleware=[ApiAuthMiddleware()],
                 route_handlers=[*generate.routes, *jobs.routes, *job_params.routes, *keys.routes, *usage.routes,
                                 *usage_daily.routes, *models.routes, *model_admin.routes, *settings_api.routes,
                                 *webhooks.routes, *upload_routes(settings), admin_router(),
                                 *voice.routes, *voices.routes, *video.routes])
    app = Litestar(
        route_handlers=[*health.routes, *files.file_routes, *auth.routes, *webui.routes, api, speech_router()],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers_hook(settings)],
        on_startup=[startup],
        on_shutdown=[shutdown],
        openapi_config=_openapi(),
        request_max_body_size=settings.max_body_bytes,
        state=_state(services, settings, model_pulls),
        logging_config=None,
        debug=False,
    )
    return app


def _state(services: Services, settings: Settings, model_pulls: pulls.PullTracker) -> Any:
    from litestar.datastructures import State

    return State({
        "services": services,
        "settings": settings,
        "rate_limiter": RateLimiter(settings),
        "storage": services.storage,
        "file_secret": services.file_secret,
        "model_pulls": model_pulls,
    })
