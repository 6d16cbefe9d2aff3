"""Creating jobs: check, charge and record in one transaction, then enqueue."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from apexlocal.accounts import credits, plans
from apexlocal.accounts.users import User
from apexlocal.db import idempotency
from apexlocal.db import jobs as records
from apexlocal.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    JobCancelled,
    JobError,
    ModelError,
    ModelUnavailable,
    ServiceUnavailable,
)
from apexlocal.jobs.runner import GENERIC_ERROR
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry, plan_allows_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    job_type: str
    params: dict[str, Any]  # validated request, camelCase as on the wire
    requested_model: str | None
    idempotency_key: str | None
    request_hash: str
    accepted_extra: dict[str, Any] = field(default_factory=dict)  # more fields of the 202 answer's data
    task: str | None = None  # the manifest task the model must do, when not the job type's own
    cost_key: str | None = None  # its price's key in credit_costs, when not the job type (instant-ad-video)


def resolve_model(services: Services, user: User, task: str, requested: str | None) -> ModelEntry:
    manifest = services.manifest
    entry = manifest.resolve(requested, task) if requested else manifest.default_for(task)
    if entry is None:
        raise BadRequest(f"model: must be one of {', '.join(manifest.names_for(task))}")
    if not plan_allows_model(plans.model_patterns(services.settings.plans, user), entry, requested or entry.id):
        raise Forbidden(f"model: {requested or entry.id} is not available on the {user.plan} plan")
    if not services.models.is_installed(entry) and not services.models.may_auto_pull(entry):
        raise ModelUnavailable(
            f"model: {entry.id} is not installed on this server and jobs may not download it; an admin can "
            f"install it with: apexlocal models pull {entry.id}"
        )
    return entry


def submit(services: Services, user: User, sub: Submission) -> tuple[int, dict[str, Any]]:
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    job_type = services.job_types[sub.job_type]
    task, label = sub.task or job_type.task, job_type.label
    plans.require_feature(services.settings.plans, user, sub.job_type, label)
    entry = resolve_model(services, user, task, sub.requested_model)
    cost = services.settings.credit_costs[sub.cost_key or sub.job_type]
    job_id = str(uuid.uuid4())
    db = services.db

    def create() -> tuple[int, dict[str, Any]]:
        credits.debit_for_job(db, user.id, job_id, cost, sub.job_type)
        records.insert(
            db,
            job_id=job_id,
            user_id=user.id,
            job_type=sub.job_type,
            queue="gpu",
            params=sub.params,
            model=sub.requested_model or entry.id,
            model_id=entry.id,
            cost=cost,
        )
        job = records.get(db, job_id)
        assert job is not None  # inserted just above, in this transaction
        position = records.queue_position(db, job)
        return 202, {
            "data": {
                "jobId": job_id,
                "status": "queued",
                "message": f"{label} job queued",
                "queuePosition": position,
                "creditsCharged": cost,
                **sub.accepted_extra,
            }
        }

    status, body, replayed = idempotency.run_once(db, user.id, sub.idempotency_key, sub.request_hash, create)
    if not replayed:
        enqueue(services, job_id)
    return status, body


def enqueue(services: Services, job_id: str) -> None:
    services.tasks["run_job"](job_id)


@dataclass(frozen=True)
class RequestJob:
    """A job that runs inside its request (speech, transcription, chat) rather than on a queue."""

    job_type: str
    queue: str  # the name it is recorded under; nothing is enqueued
    params: dict[str, Any]
    model: str  # as the caller named it
    model_id: str
    cost: int
    idempotency_key: str | None
    request_hash: str
    job_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def start_request_job(services: Services, user: User, rj: RequestJob, replayed_message: str) -> dict[str, Any]:
    """Charges, records and claims the job in one transaction and returns its row. The same
    Idempotency-Key again raises Conflict with `replayed_message` ({job_id} filled in): a request
    job's answer was streamed or returned once and is not kept to be sent twice."""
    db = services.db

    def create() -> tuple[int, dict[str, Any]]:
        credits.debit_for_job(db, user.id, rj.job_id, rj.cost, rj.job_type)
        records.insert(
            db,
            job_id=rj.job_id,
            user_id=user.id,
            job_type=rj.job_type,
            queue=rj.queue,
            params=rj.params,
            model=rj.model,
            model_id=rj.model_id,
            cost=rj.cost,
        )
        records.claim(db, rj.job_id)
        return 200, {"data": {"jobId": rj.job_id}}

    _, body, replayed = idempotency.run_once(db, user.id, rj.idempotency_key, rj.request_hash, create)
    if replayed:
        raise Conflict(replayed_message.format(job_id=body["data"]["jobId"]))
    services.events.publish(rj.job_id)
    job = records.get(db, rj.job_id)
    assert job is not None  # inserted above
    return job


@contextmanager
def request_job_failures(services: Services, job: dict[str, Any], what: str) -> Iterator[None]:
    """Ends a request job that fails while its caller waits: failed and refunded, and the failure
    raised as the API error it is (a bad input 400, a missing model 503). JobCancelled passes
    through for the caller to end the job as canceled."""
    keeper = services.bookkeeper
    try:
        yield
    except JobCancelled:
        raise
    except JobError as exc:
        keeper.fail(job, str(exc))
        raise BadRequest(str(exc)) from None
    except ModelError as exc:
        keeper.fail(job, str(exc))
        raise ModelUnavailable(str(exc)) from None
    except BaseException:
        log.exception("%s %s failed", what, job["id"])
        keeper.fail(job, GENERIC_ERROR)
        raise
