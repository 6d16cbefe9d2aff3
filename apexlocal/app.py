"""The Litestar application: routes, the auth middleware, error mapping, security headers, the web
UI, and the in-process queue consumers started and stopped with the server."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State

from apexlocal.accounts import login_links, sessions
from apexlocal.api import (
    auth,
    files,
    health,
    job_params,
    jobs,
    keys,
    model_admin,
    models,
    usage,
    usage_daily,
    webhooks,
    webui,
)
from apexlocal.api import sessions as sessions_api
from apexlocal.api import settings as settings_api
from apexlocal.api.admin import admin_router
from apexlocal.api.body import ApiRequest
from apexlocal.api.exceptions import EXCEPTION_HANDLERS
from apexlocal.api.guards import ApiAuthMiddleware
from apexlocal.api.methods import allow_header_hook
from apexlocal.api.openapi import SECURITY, StrictStructSchema, document_errors, openapi_config
from apexlocal.api.ratelimit import make_rate_limiter
from apexlocal.api.security import security_headers_hook
from apexlocal.api.uploads import upload_routes
from apexlocal.delivery import webhooks as webhook_delivery
from apexlocal.jobs import services as services_module
from apexlocal.jobs.keeper import Keeper
from apexlocal.jobs.recovery import reconcile
from apexlocal.jobs.runner import run_job
from apexlocal.jobs.services import Services
from apexlocal.models import pulls
from apexlocal.products import PRODUCTS, all_job_types
from apexlocal.settings import Settings


def build_services(settings: Settings) -> Services:
    """The server's dependencies, with every product's job types and every queue task registered."""
    services = services_module.build_services(settings, all_job_types())
    services.tasks["run_job"] = services.queues.task("gpu", "run_job", lambda job_id: run_job(services, job_id))
    services.tasks[pulls.TASK] = services.queues.task(
        "io",
        pulls.TASK,
        lambda model_id: pulls.run_pull(
            services.models, services.manifest.by_id().get(model_id), services.pulls, model_id
        ),
    )
    webhook_delivery.install(services)
    for product in PRODUCTS:
        if product.install is not None:
            product.install(services)
    return services


def recover(services: Services) -> None:
    """What a restart must settle before the workers start: pending webhook deliveries (first: it
    flushes the io queue, which the job reconciliation may refill), unfinished jobs, and whatever
    each product left half-done."""
    webhook_delivery.resume_deliveries(services)
    reconcile(services)
    for product in PRODUCTS:
        for hook in product.on_startup:
            hook(services)


def create_app(settings: Settings, services: Services | None = None, start_workers: bool = True) -> Litestar:
    services = services or build_services(settings)
    # With the redis backend: what `apexlocal worker` processes report becomes the bookkeeper's calls.
    keeper = Keeper(services) if services.leases is not None else None

    def startup(app: Litestar) -> None:
        sessions.purge_expired(services.db)
        login_links.purge_spent(services.db)
        if keeper is not None:
            keeper.drain()  # endings reported while no API process ran, before reconciling
        recover(services)
        if start_workers:
            services.queues.start(
                {"gpu": settings.gpu_workers, "io": settings.io_workers, "clone": settings.clone_workers},
                settings.queue_max_idle_wait,
                settings.model_worker_nice,
            )
        if keeper is not None:
            keeper.start()

    def shutdown(app: Litestar) -> None:
        if keeper is not None:
            keeper.stop()
        for product in PRODUCTS:
            for hook in product.on_shutdown:
                hook(services)
        services.close()

    product_routes = [handler for product in PRODUCTS for handler in product.routes]
    api = Router(
        path="/api",
        middleware=[ApiAuthMiddleware()],
        security=SECURITY,
        route_handlers=[
            *jobs.routes,
            *job_params.routes,
            *keys.routes,
            *usage.routes,
            *usage_daily.routes,
            *models.routes,
            *model_admin.routes,
            *settings_api.routes,
            *webhooks.routes,
            *upload_routes(settings),
            admin_router(),
            *sessions_api.routes,
            *product_routes,
        ],
    )
    root_routes = [handler for product in PRODUCTS for handler in product.root_routes]
    app = Litestar(
        route_handlers=[*health.routes, *files.file_routes, *auth.routes, *webui.routes, api, *root_routes],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=ApiRequest,
        before_send=[security_headers_hook(settings), allow_header_hook()],
        on_startup=[startup],
        on_shutdown=[shutdown],
        openapi_config=openapi_config(),
        plugins=[StrictStructSchema()],
        request_max_body_size=settings.max_body_bytes,
        state=State(
            {
                "services": services,
                "rate_limiter": make_rate_limiter(settings),
                "job_snapshots": jobs.job_snapshots(services),
            }
        ),
        logging_config=None,
        debug=False,
    )
    document_errors(app)
    return app
