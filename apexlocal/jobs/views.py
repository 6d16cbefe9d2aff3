"""The job object on the wire: the same in lists, single reads, SSE events and webhooks."""

from __future__ import annotations

import json
from typing import Any

from apexlocal.storage.base import Storage


def job_view(
    job: dict[str, Any],
    outputs: list[dict[str, Any]],
    storage: Storage,
    base_url: str,
    ttl: int,
    queue_position: int | None = None,
) -> dict[str, Any]:
    urls = [storage.signed_url(o["storage_key"], base_url, ttl) for o in outputs]
    view: dict[str, Any] = {
        "jobId": job["id"],
        "type": job["type"],
        "status": job["status"],
        "progress": job["progress"],
        "stage": job["stage"],
        "model": job["model"],
        "outputUrl": urls[0] if urls else None,
        "outputType": outputs[0]["content_type"] if outputs else None,
        "outputs": [
            {"url": url, "type": o["content_type"], "size": o["size"], **json.loads(o["metadata"])}
            for url, o in zip(urls, outputs, strict=True)
        ],
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
    return view
