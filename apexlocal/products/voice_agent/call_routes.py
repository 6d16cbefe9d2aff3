"""/api/voice-agent/calls: start an outbound call, list calls, read one, hang one up."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import errors
from apexlocal.api.validation import CURSOR
from apexlocal.db import calls as calls_db
from apexlocal.errors import NotFound
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent import calls
from apexlocal.products.voice_agent.outbound import start_outbound
from apexlocal.products.voice_agent.runner import registry
from apexlocal.products.voice_agent.schemas import CallList, CallOut, CallStartedOut, CallStatus, OutboundCall

TAGS = ["voice-agent"]
HANGUP_WAIT_S = 10.0


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


@post(
    "/voice-agent/calls/outbound",
    status_code=202,
    summary="Start Outbound Call",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(402, 403, 404, 503),
    description="Initiate an AI phone call to a target number (E.164) using one of your agents, through the "
    "SIP trunk of the sip_* settings. Answers at once with the call `queued`; follow it with GET "
    "/api/voice-agent/calls/{id} (ringing, active, then completed, failed, no-answer, busy or canceled). "
    "10 credits per started minute, debited as each minute starts; the agent says goodbye and hangs up "
    "when a minute cannot be paid. Enterprise plan; 200 calls an hour. 503 when no trunk is configured "
    "(naming the setting) or max_concurrent_calls are running.",
)
def outbound_call(request: Request[Any, Any, Any], data: JSONBody[OutboundCall]) -> CallStartedOut:
    return CallStartedOut(start_outbound(request.app.state.services, current_user(request), data))


@get(
    "/voice-agent/calls",
    summary="List Calls",
    tags=TAGS,
    sync_to_thread=True,
    description="Your calls (phone calls and studio test calls), newest first, with cursor pagination: "
    "`{data: [call], nextCursor}`.",
)
def list_calls(
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, QueryParameter(pattern=CURSOR, description="A page's nextCursor")] = None,
    status: Annotated[CallStatus | None, QueryParameter()] = None,
    agent_id: Annotated[str | None, QueryParameter(name="agentId", max_length=100)] = None,
    channel: Annotated[Literal["sip", "browser"] | None, QueryParameter()] = None,
) -> CallList:
    services: Services = request.app.state.services
    data, more = calls.page(
        services,
        current_user(request).id,
        _base(request),
        limit=limit,
        cursor=cursor,
        status=status,
        agent_id=agent_id,
        channel=channel,
    )
    return CallList(data, more)


@get(
    "/voice-agent/calls/{call_id:str}",
    summary="Get Call",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
    description="One call: status, timestamps, duration, the transcript with timings (seconds from the "
    "answer), the stereo recording (left: the caller, right: the agent) at a signed URL, credits.",
)
def get_call(request: Request[Any, Any, Any], call_id: FromPath[str]) -> CallOut:
    return CallOut(calls.one(request.app.state.services, current_user(request).id, call_id, _base(request)))


@post(
    "/voice-agent/calls/{call_id:str}/hangup",
    status_code=200,
    summary="Hang Up Call",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
    description="Ends a call now (a call still ringing ends canceled when it is answered) and answers the "
    "call once it has ended, or as it is after 10 s. A call that already ended is answered as it is.",
)
def hangup_call(request: Request[Any, Any, Any], call_id: FromPath[str]) -> CallOut:
    services: Services = request.app.state.services
    user = current_user(request)
    if calls_db.get_owned(services.db, call_id, user.id) is None:
        raise NotFound(calls.NOT_FOUND)
    running = registry(services).get(call_id)
    if running is not None:
        running.hangup("api")
        running.ended.wait(HANGUP_WAIT_S)
    time.sleep(0)  # the row is read after the ending was written
    return CallOut(calls.one(services, user.id, call_id, _base(request)))


routes = [outbound_call, list_calls, get_call, hangup_call]
