"""What the job lifecycle knows of a product's jobs. A product registers a `JobType` for each kind
of job it queues; submit, the runner and recovery look them up by the job's `type`, so the
lifecycle never imports a product."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apexlocal.jobs.services import Services

# prepare(services, job row, spec, scratch dir): fills the spec before its engine runs (a cloned
# voice's clip copied into the scratch dir, say); raises JobError when the job cannot run.
Prepare = Callable[["Services", dict[str, Any], dict[str, Any], Path], None]


@dataclass(frozen=True)
class JobType:
    name: str  # the job's `type` on the wire: "image", "b-roll", ...
    task: str  # the manifest task its model must do
    label: str  # "Image generation": the start of its messages
    # An orchestration engine run instead of the model's own (a narrated video drives the voice,
    # video and composition engines); the job's model is then the one the request named.
    engine: str | None = None
    prepare: Prepare | None = None


def job_types(types: Iterable[JobType]) -> Mapping[str, JobType]:
    table: dict[str, JobType] = {}
    for job_type in types:
        if job_type.name in table:
            raise ValueError(f"job type {job_type.name!r} is registered twice")
        table[job_type.name] = job_type
    return table
