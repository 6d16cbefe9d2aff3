"""The job object on the wire: the same in lists, single reads, SSE events and webhooks.

It is built in two steps: `unsigned_view` does everything that depends on the job alone (once, for a
finished job kept in memory), `signed_view` adds the file URLs, signed afresh at every read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from apexlocal.storage.base import Storage


@dataclass(frozen=True, slots=True)
class Unsigned:
    """A job's wire object with its file URLs still to sign. Shared between reads: never mutate."""

    user_id: str
    view: dict[str, Any]  # outputUrl None, outputs without their url
    keys: tuple[str, ...]  # the outputs' storage keys, in order


def unsigned_view(job: dict[str, Any], outputs: list[dict[str, Any]], queue_position: int | None = None) -> Unsigned:
    view: dict[str, Any] = {
        "jobId": job["id"],
        "type": job["type"],
        "status": job["status"],
        "progress": job["progress"],
        "stage": job["stage"],
        "model": job["model"],
        "outputUrl": None,
        "outputType": outputs[0]["content_type"] if outputs else None,
        "outputs": [{"type": o["content_type"], "size": o["size"], **json.loads(o["metadata"])} for o in outputs],
        "metadata": json.loads(job["metadata"]) if job["metadata"] else None,
        "error": job["error"] if job["status"] in ("failed", "canceled") else None,
        "creditsCharged": job["credits_charged"],
        "creditsRefunded": job["credits_refunded"],
        "createdAt": job["created_at"],
        "startedAt": job["started_at"],
        "completedAt": job["completed_at"],
        "failedAt": job["failed_at"],
        "canceledAt": job["canceled_at"],
        "queuePosition": queue_position if job["status"] == "queued" else None,
    }
    if job["status"] == "processing" and job["cancel_requested"]:
        view["stage"] = "canceling"
    return Unsigned(job["user_id"], view, tuple(o["storage_key"] for o in outputs))


def signed_view(unsigned: Unsigned, storage: Storage, base_url: str, ttl: int) -> dict[str, Any]:
    if not unsigned.keys:
        return unsigned.view
    urls = [storage.signed_url(key, base_url, ttl) for key in unsigned.keys]
    view = dict(unsigned.view)
    view["outputUrl"] = urls[0]
    view["outputs"] = [{"url": url, **o} for url, o in zip(urls, unsigned.view["outputs"], strict=True)]
    return view


def job_view(
    job: dict[str, Any],
    outputs: list[dict[str, Any]],
    storage: Storage,
    base_url: str,
    ttl: int,
    queue_position: int | None = None,
) -> dict[str, Any]:
    return signed_view(unsigned_view(job, outputs, queue_position), storage, base_url, ttl)
