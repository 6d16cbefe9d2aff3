"""Calls as records: their wire view, the list and one call, the webhook when a call ends, and the
startup reconciliation of calls a crash left open."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import msgspec

from apexlocal.db import calls as calls_db
from apexlocal.db import deliveries, user_settings
from apexlocal.delivery import webhooks
from apexlocal.errors import NotFound
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent import billing
from apexlocal.products.voice_agent.schemas import Call
from apexlocal.timestamps import parse_time
from apexlocal.webhooks import sign

log = logging.getLogger("apexlocal.calls")
NOT_FOUND = "Call not found"
CRASHED = "the server stopped during the call"


def view(services: Services, row: dict[str, Any], base_url: str, credits: int) -> Call:
    ttl = services.settings.url_ttl_seconds
    recording = services.storage.signed_url(row["recording_key"], base_url, ttl) if row["recording_key"] else None
    return msgspec.convert(
        {
            "id": row["id"],
            "agentId": row["agent_id"],
            "channel": row["channel"],
            "phoneNumber": row["phone_number"],
            "status": row["status"],
            "error": row["error"],
            "endedBy": row["ended_by"],
            "createdAt": row["created_at"],
            "answeredAt": row["answered_at"],
            "endedAt": row["ended_at"],
            "durationSeconds": row["duration_seconds"],
            "minutesCharged": row["minutes_charged"],
            "creditsCharged": credits,
            "transcript": json.loads(row["transcript"] or "[]"),
            "recordingUrl": recording,
        },
        Call,
    )


def one(services: Services, user_id: str, call_id: str, base_url: str) -> Call:
    row = calls_db.get_owned(services.db, call_id, user_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return view(services, row, base_url, calls_db.credits_charged(services.db, [call_id])[call_id])


def page(
    services: Services, user_id: str, base_url: str, *, limit: int, cursor: str | None, **filters: str | None
) -> tuple[list[Call], str | None]:
    rows = calls_db.list_for_user(
        services.db, user_id, limit=limit + 1, before_seq=int(cursor) if cursor else None, **filters
    )
    rows, more = rows[:limit], len(rows) > limit
    credits = calls_db.credits_charged(services.db, [r["id"] for r in rows])
    return [view(services, r, base_url, credits[r["id"]]) for r in rows], str(rows[-1]["seq"]) if more else None


def notify_ended(services: Services, call_id: str) -> str | None:
    """Records and sends the `call.<status>` webhook of a call that just ended, if its user has a URL."""
    row = calls_db.get(services.db, call_id)
    if row is None:
        return None
    prefs = user_settings.get(services.db, row["user_id"])
    if prefs is None or not prefs["webhook_url"]:
        return None
    settings = services.settings
    credits = calls_db.credits_charged(services.db, [call_id])[call_id]
    data = msgspec.to_builtins(view(services, row, settings.resolved_base_url, credits))
    event = f"call.{row['status']}"
    body = msgspec.json.encode({"event": event, "timestamp": row["ended_at"], "data": data})
    delivery_id = deliveries.create(
        services.db,
        webhook_id=sign.new_message_id(),
        user_id=row["user_id"],
        job_id=call_id,
        event=event,
        payload=body,
        url=prefs["webhook_url"],
        max_attempts=1 + len(settings.webhook_retry_delays),
        first_at=time.time(),
    )
    webhooks.schedule(services, delivery_id, 1, 0.0)
    return delivery_id


def reconcile(services: Services) -> int:
    """At startup: every call still open ends failed; an answered one has its started minutes
    (answer to its last sign of life) charged as far as the balance pays, none twice."""
    ended = 0
    for row in calls_db.open_calls(services.db):
        seconds = None
        if row["answered_at"]:
            alive = (parse_time(row["alive_at"]) - parse_time(row["answered_at"])).total_seconds()
            seconds = max(0.0, alive, row["duration_seconds"] or 0.0)
            for minute in range(row["minutes_charged"] + 1, billing.started_minutes(services, seconds) + 1):
                if not billing.charge_minute(services, row["user_id"], row["id"], minute):
                    break
        if calls_db.finish(services.db, row["id"], "failed", error=CRASHED, ended_by="server", duration=seconds):
            ended += 1
            notify_ended(services, row["id"])
    if ended:
        log.info("ended %d call(s) left open by the previous process", ended)
    return ended
