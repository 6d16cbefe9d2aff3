"""Webhook deliveries: recorded when a job ends, sent by `io` queue workers, retried on a schedule
that survives a restart.

The bookkeeper calls `on_job_ended` after a job completed or failed; it records the message (its
body fixed once, so every retry sends identical bytes under one `webhook-id`) and enqueues the
first attempt. Nothing is sent from the request path or from the GPU worker. Each attempt signs
the body with the user's current secret and a fresh timestamp, posts it through the SSRF-safe
fetcher (which checks the URL again), logs the outcome, and either ends the delivery or schedules
the next attempt with huey, whose schedule lives in the `io` queue's SQLite file. The delivery
row keeps `next_attempt_at` too: at startup, `resume_deliveries` rebuilds the schedule from the
table, so what huey lost in a crash is not lost.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from apexlocal.db import deliveries, user_settings
from apexlocal.db import jobs as records
from apexlocal.errors import BadRequest, Conflict, NotFound
from apexlocal.jobs.services import Services
from apexlocal.jobs.views import job_view
from apexlocal.timestamps import utcnow
from apexlocal.webhooks import fetch, sign

log = logging.getLogger("apexlocal.webhooks")

TASK = "deliver_webhook"
TIMEOUT_S = 10.0  # a receiver must answer 2xx within this
EVENTS = {"completed": "job.completed", "failed": "job.failed"}
NO_URL = "no webhook URL is set"
_EARLY_S = 0.05  # an attempt found this much before its time is put back on the schedule


def install(services: Services) -> None:
    """Registers the `io` task and the bookkeeper hook that records deliveries."""
    services.tasks[TASK] = services.queues.task(
        "io", TASK, lambda delivery_id, number: attempt(services, delivery_id, number)
    )
    services.bookkeeper.terminal_hooks.append(lambda job_id: on_job_ended(services, job_id))


def payload(services: Services, job: dict[str, Any]) -> bytes:
    """The seed's message: the event, when it happened, and the job object with fresh URLs."""
    settings = services.settings
    data = job_view(
        job,
        records.outputs(services.db, job["id"]),
        services.storage,
        settings.resolved_base_url,
        settings.url_ttl_seconds,
    )
    happened = job["completed_at"] or job["failed_at"] or utcnow()
    return msgspec.json.encode({"event": EVENTS[job["status"]], "timestamp": happened, "data": data})


def on_job_ended(services: Services, job_id: str) -> str | None:
    """Records the delivery for a job that just completed or failed, if its user has a webhook
    URL, and enqueues the first attempt. Returns the delivery id."""
    job = records.get(services.db, job_id)
    if job is None or job["status"] not in EVENTS:
        return None
    prefs = user_settings.get(services.db, job["user_id"])
    if prefs is None or not prefs["webhook_url"]:
        return None
    delivery_id = deliveries.create(
        services.db,
        webhook_id=sign.new_message_id(),
        user_id=job["user_id"],
        job_id=job_id,
        event=EVENTS[job["status"]],
        payload=payload(services, job),
        url=prefs["webhook_url"],
        max_attempts=1 + len(services.settings.webhook_retry_delays),
        first_at=time.time(),
    )
    schedule(services, delivery_id, 1, 0.0)
    return delivery_id


def schedule(services: Services, delivery_id: str, number: int, delay: float) -> None:
    task = services.tasks[TASK]
    if delay <= 0:
        task(delivery_id, number)
    else:
        task.schedule(args=(delivery_id, number), delay=delay)


def retry_delay(services: Services, number: int) -> float:
    """The wait after attempt `number` failed (the last configured delay if the list shrank)."""
    delays = services.settings.webhook_retry_delays
    return float(delays[min(number, len(delays)) - 1]) if delays else 0.0


def attempt(services: Services, delivery_id: str, number: int) -> str | None:
    """Makes attempt `number` of a delivery, if it is that attempt's turn. Returns the
    delivery's status after it, or None when there was nothing to do."""
    db = services.db
    row = deliveries.get(db, delivery_id)
    if row is None or row["status"] != "pending" or row["attempts"] != number - 1:
        return None
    due = row["next_attempt_at"]
    if due is not None and due - time.time() > _EARLY_S:
        schedule(services, delivery_id, number, due - time.time())  # enqueued early: wait its turn
        return None
    row = deliveries.claim(db, delivery_id, number)
    if row is None:
        return None
    try:
        url, result = _post(services, row)
    except Exception:  # a claimed attempt must always be finished, or its retries would stall
        log.exception("webhook %s attempt %d could not be sent", delivery_id, number)
        url, result = row["url"], fetch.PostResult(None, 0.0, "the server could not send this attempt")
    next_at = None
    if not result.ok and number < row["max_attempts"]:
        next_at = time.time() + retry_delay(services, number)
    status = deliveries.finish(
        db,
        delivery_id,
        number,
        status_code=result.status,
        duration_ms=result.duration_ms,
        error=_error(result),
        url=url,
        next_at=next_at,
    )
    if next_at is not None:
        schedule(services, delivery_id, number + 1, next_at - time.time())
    log.info("webhook %s attempt %d: %s", delivery_id, number, _error(result) or result.status)
    return status


def _post(services: Services, row: dict[str, Any]) -> tuple[str, fetch.PostResult]:
    """Signs and posts the stored body to the user's current webhook URL."""
    prefs = user_settings.ensure_secret(services.db, row["user_id"], sign.new_secret)
    url = prefs["webhook_url"]
    if not url:
        return row["url"], fetch.PostResult(None, 0.0, NO_URL)
    body = bytes(row["payload"])
    headers = sign.headers(prefs["webhook_secret"], row["webhook_id"], int(time.time()), body)
    return url, fetch.post_json(
        url, body, headers, allow_private=services.settings.webhooks_allow_private, timeout=TIMEOUT_S
    )


def _error(result: fetch.PostResult) -> str | None:
    if result.ok:
        return None
    return result.error or f"HTTP {result.status}"


def redeliver(services: Services, user_id: str, delivery_id: str) -> dict[str, Any]:
    """One more attempt at a finished delivery, made now on the `io` queue, to the user's
    current webhook URL. Returns the delivery row."""
    db = services.db
    row = deliveries.get_owned(db, delivery_id, user_id)
    if row is None:
        raise NotFound("Delivery not found")
    if row["status"] == "pending":
        raise Conflict("Delivery is still being attempted; redeliver it once it has succeeded or failed")
    prefs = user_settings.get(db, user_id)
    if prefs is None or not prefs["webhook_url"]:
        raise BadRequest("webhookUrl: is not set; set it with PATCH /api/settings first")
    reopened = deliveries.reopen(db, delivery_id, user_id, prefs["webhook_url"], time.time())
    if reopened is None:
        raise Conflict("Delivery is still being attempted; redeliver it once it has succeeded or failed")
    schedule(services, delivery_id, reopened["attempts"] + 1, 0.0)
    return reopened


def resume_deliveries(services: Services) -> dict[str, int]:
    """Rebuilds the `io` schedule from the deliveries table. Call before the consumers start.

    Stale `io` tasks are flushed first (the table says what is due), then every pending delivery
    is scheduled at its `next_attempt_at`. An attempt that was in flight when the process died is
    logged as interrupted and counted, so the cap on attempts still holds.
    """
    services.queues.io.flush()
    counts = {"scheduled": 0, "interrupted": 0, "failed": 0}
    now = time.time()
    for row in deliveries.pending(services.db):
        due = row["next_attempt_at"]
        if due is None:
            due = _close_interrupted(services, row)
            counts["interrupted"] += 1
            if due is None:
                counts["failed"] += 1
                continue
        schedule(services, row["id"], row["attempts"] + 1, max(0.0, due - now))
        counts["scheduled"] += 1
    if any(counts.values()):
        log.info("resumed webhook deliveries: %s", counts)
    return counts


def _close_interrupted(services: Services, row: dict[str, Any]) -> float | None:
    """Ends the attempt a crash cut short; returns when the next one is due, or None if that
    was the last."""
    number = row["attempts"]
    started = deliveries.last_attempt(services.db, row["id"])
    began = deliveries.parse_precise(started["started_at"]) if started else time.time()
    next_at = began + retry_delay(services, number) if number < row["max_attempts"] else None
    deliveries.finish(
        services.db,
        row["id"],
        number,
        status_code=None,
        duration_ms=None,
        error=deliveries.INTERRUPTED,
        url=row["url"],
        next_at=next_at,
    )
    return next_at
