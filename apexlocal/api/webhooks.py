"""/api/webhooks/deliveries: every delivery and every attempt at it, and a manual redeliver."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import errors
from apexlocal.api.schemas import Delivery, DeliveryList, DeliveryOut
from apexlocal.api.validation import CURSOR
from apexlocal.db import deliveries
from apexlocal.delivery import webhooks
from apexlocal.jobs.services import Services


def _page(services: Services, user_id: str, limit: int, cursor: str | None) -> DeliveryList:
    rows = deliveries.list_for_user(services.db, user_id, limit=limit + 1, before_seq=int(cursor) if cursor else None)
    page, more = rows[:limit], len(rows) > limit
    attempts = deliveries.attempts_for(services.db, [r["id"] for r in page])
    data = [deliveries.view(r, attempts.get(r["id"], [])) for r in page]
    return DeliveryList(msgspec.convert(data, list[Delivery]), str(page[-1]["seq"]) if more else None)


@get(
    "/webhooks/deliveries",
    summary="List Webhook Deliveries",
    tags=["webhooks"],
    sync_to_thread=True,
    description="Newest first, each with every attempt made (status code, duration, error); cursor pagination.",
)
def list_deliveries(
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, QueryParameter(pattern=CURSOR, description="A page's nextCursor")] = None,
) -> DeliveryList:
    services: Services = request.app.state.services
    return _page(services, current_user(request).id, limit, cursor)


@post(
    "/webhooks/deliveries/{delivery_id:str}/redeliver",
    status_code=202,
    summary="Redeliver a Webhook",
    tags=["webhooks"],
    sync_to_thread=True,
    responses=errors(409),
    description="One more attempt at a delivery that succeeded or failed, made now, to the current webhook URL, "
    "with the same webhook-id and body.",
)
def redeliver(request: Request[Any, Any, Any], delivery_id: FromPath[str]) -> DeliveryOut:
    services: Services = request.app.state.services
    row = webhooks.redeliver(services, current_user(request).id, delivery_id)
    attempts = deliveries.attempts_for(services.db, [delivery_id]).get(delivery_id, [])
    return DeliveryOut(msgspec.convert(deliveries.view(row, attempts), Delivery))


routes = [list_deliveries, redeliver]
