"""/api/webhooks/deliveries: every delivery and every attempt at it, and a manual redeliver."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import DeliveryList, DeliveryOut
from apexlocal.errors import BadRequest
from apexlocal.db import deliveries
from apexlocal.delivery import webhooks
from apexlocal.jobs.services import Services


def _page(services: Services, user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    if cursor is not None and not cursor.isdigit():
        raise BadRequest("cursor: must be a cursor returned as nextCursor")
    rows = deliveries.list_for_user(services.db, user_id, limit=limit + 1,
                                    before_seq=int(cursor) if cursor else None)
    page, more = rows[:limit], len(rows) > limit
    attempts = deliveries.attempts_for(services.db, [r["id"] for r in page])
    return {"data": [deliveries.view(r, attempts.get(r["id"], [])) for r in page],
            "nextCursor": str(page[-1]["seq"]) if more else None}


@get("/webhooks/deliveries", summary="List Webhook Deliveries", tags=["webhooks"],
     description="Newest first, each with every attempt made (status code, duration, error); cursor pagination.")
async def list_deliveries(
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: FromQuery[str | None] = None,
) -> Response[DeliveryList]:
    services: Services = request.app.state.services
    return Response(_page(services, current_user(request).id, limit, cursor))


def _redeliver(services: Services, user_id: str, delivery_id: str) -> dict[str, Any]:
    row = webhooks.redeliver(services, user_id, delivery_id)
    return deliveries.view(row, deliveries.attempts_for(services.db, [delivery_id]).get(delivery_id, []))


@post("/webhooks/deliveries/{delivery_id:str}/redeliver", status_code=202, summary="Redeliver a Webhook",
      tags=["webhooks"],
      description="One more attempt at a delivery that succeeded or failed, made now, to the current webhook URL, "
                  "with the same webhook-id and body.")
async def redeliver(request: Request[Any, Any, Any], delivery_id: FromPath[str]) -> Response[DeliveryOut]:
    services: Services = request.app.state.services
    data = await to_thread.run_sync(_redeliver, services, current_user(request).id, delivery_id)
    return Response({"data": data}, status_code=202)


routes = [list_deliveries, redeliver]
