"""Startup reconciliation. The jobs table is the record of truth; huey only carries ids, and a task
that was running when the process died is simply gone. So at startup: queued jobs are queued again
(in their order), interrupted ones are started again while they have attempts left, and failed and
refunded after that; a streamed speech job that was cut short is failed and refunded. No debit is
ever left without an ending. The scratch folders and half-received uploads of the previous process
are removed first. With the redis backend, a job that an `apexlocal worker` holds a lease on is left
running: the worker still reports its ending, or the keeper reaps its lease."""

from __future__ import annotations

import logging

from apexlocal.db import jobs as records
from apexlocal.jobs.scratch import clear_leftovers
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import enqueue

STREAM_QUEUE = "stream"  # jobs of /v1/audio/speech, made while they were sent

log = logging.getLogger("apexlocal.jobs")

INTERRUPTED = "Job was interrupted by a server restart"


def reconcile(services: Services) -> dict[str, int]:
    """Call before the consumers start. Returns how many jobs were requeued, resumed and failed."""
    clear_leftovers(services.settings)  # no job runs yet, so no scratch folder is in use
    services.queues.gpu.flush()  # the table says what to run; stale ids would only be skipped
    counts = {"requeued": 0, "resumed": 0, "failed": 0, "canceled": 0}
    leases = services.leases
    if leases is not None:
        counts["on workers"] = 0
    for job in records.unfinished(services.db):
        if job["status"] == "processing" and leases is not None and leases.held(job["id"]):
            counts["on workers"] += 1
        elif job["cancel_requested"]:
            services.bookkeeper.finish_canceled(job)
            counts["canceled"] += 1
        elif job["queue"] == STREAM_QUEUE:  # its client is gone: nothing to send the audio to
            services.bookkeeper.fail(job, INTERRUPTED)
            counts["failed"] += 1
        elif job["status"] == "queued":
            enqueue(services, job["id"])
            counts["requeued"] += 1
        elif job["attempts"] < services.settings.job_max_attempts:
            services.bookkeeper.requeue(job)
            enqueue(services, job["id"])
            counts["resumed"] += 1
        else:
            services.bookkeeper.fail(job, INTERRUPTED)
            counts["failed"] += 1
    if any(counts.values()):
        log.info("reconciled unfinished jobs: %s", counts)
    return counts
