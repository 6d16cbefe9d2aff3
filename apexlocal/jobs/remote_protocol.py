"""What `apexlocal worker` processes and the API process say to each other through Redis.

A worker never opens the database. It pops a job id from the `gpu` queue and sends the keeper (a
thread of the API process, `keeper.py`) a `Claim`; the keeper claims the job in the database, grants
a lease and answers with a `Ticket`: the job's spec and everything the worker needs to run it. While
it runs, the worker renews its lease and sends `Progress`; an input URL becomes a `ResolveInput`
(the keeper checks whose file it is); the job ends with an `Ended`, answered with an `Ack` once the
bookkeeper recorded it (or refused it: the lease had been lost).

Messages to the keeper go to one Redis list (`reports`); the keeper moves each to `taken` while it
handles it, so one that was being handled when the API process died is handled again at its next
start. Answers go to a list of the asker's own (`reply:<id>`), which it pops with a timeout.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

import msgspec

REPLY_TTL_S = 600  # an answer nobody popped is dropped after this


class Keys:
    """Redis key names, under one prefix (several installs may share a Redis)."""

    def __init__(self, prefix: str = "apexlocal") -> None:
        self.prefix = prefix
        self.reports = f"{prefix}:reports"
        self.taken = f"{prefix}:reports:taken"
        self.leased = f"{prefix}:leased"  # hash: job id -> token of the lease granted for it

    def lease(self, job_id: str) -> str:
        return f"{self.prefix}:lease:{job_id}"

    def cancel(self, job_id: str) -> str:
        return f"{self.prefix}:cancel:{job_id}"

    def reply(self, reply_id: str) -> str:
        return f"{self.prefix}:reply:{reply_id}"

    def waiting(self, reply_id: str) -> str:
        """Exists while the asker still waits for its answer."""
        return f"{self.prefix}:waiting:{reply_id}"


class StoredFile(msgspec.Struct):
    key: str
    content_type: str
    size: int
    metadata: dict[str, Any] = {}


class PreparedFile(msgspec.Struct):
    """A file the job's `prepare` step made, staged in storage: the worker copies `key` to
    `name` in its scratch folder and puts that path into the spec at `pointer`."""

    key: str
    name: str
    pointer: list[str | int]


class Ticket(msgspec.Struct):
    job_id: str
    user_id: str
    job_type: str
    model_id: str
    engine: str
    spec: dict[str, Any]
    attempt: int
    token: str  # the lease's: every later message of this run carries it
    lease_ms: int  # how long the lease lasts unrenewed (the keeper's worker_lease_seconds)
    prepared: list[PreparedFile] = []


class Claim(msgspec.Struct, tag="claim"):
    job_id: str
    worker: str
    reply: str


class Progress(msgspec.Struct, tag="progress"):
    job_id: str
    token: str
    fraction: float
    stage: str


class ResolveInput(msgspec.Struct, tag="input"):
    job_id: str
    token: str
    url: str
    field: str
    reply: str


class Ended(msgspec.Struct, tag="ended"):
    job_id: str
    token: str
    worker: str
    status: Literal["completed", "failed", "canceled"]
    reply: str
    error: str = ""
    outputs: list[StoredFile] = []
    metadata: dict[str, Any] = {}


Report = Claim | Progress | ResolveInput | Ended


class ClaimReply(msgspec.Struct):
    ticket: Ticket | None  # None: nothing to run (canceled, ended, or claimed by another worker)


class InputReply(msgspec.Struct):
    """Where an input comes from: a stored file (`key`), the network (neither set), or nowhere
    (`error`, shown to the user)."""

    key: str | None = None
    content_type: str = ""
    error: str = ""


class Ack(msgspec.Struct):
    accepted: bool


_report_decoder = msgspec.json.Decoder(Report)


def encode(message: msgspec.Struct) -> bytes:
    return msgspec.json.encode(message)


def decode_report(data: bytes) -> Report:
    return _report_decoder.decode(data)


def new_reply_id() -> str:
    return secrets.token_hex(12)


def new_token(attempt: int) -> str:
    return f"{attempt}-{secrets.token_hex(8)}"


def token_attempt(token: str) -> int:
    return int(token.partition("-")[0])


def send(redis: Any, keys: Keys, report: Report) -> None:
    redis.lpush(keys.reports, encode(report))


def ask(redis: Any, keys: Keys, report: Claim | ResolveInput | Ended, answer: type[Any], timeout: float) -> Any:
    """Sends `report` and waits up to `timeout` seconds for its answer; None when none came."""
    reply_id = report.reply
    redis.set(keys.waiting(reply_id), b"1", px=max(1, int(timeout * 1000)))
    send(redis, keys, report)
    got = redis.blpop([keys.reply(reply_id)], timeout=timeout)
    redis.delete(keys.waiting(reply_id))
    return None if got is None else msgspec.json.decode(got[1], type=answer)


def answer(redis: Any, keys: Keys, reply_id: str, message: msgspec.Struct) -> None:
    """Answers an asker; nothing is sent to one that stopped waiting."""
    if not redis.exists(keys.waiting(reply_id)):
        return
    pipe = redis.pipeline()
    pipe.rpush(keys.reply(reply_id), encode(message))
    pipe.expire(keys.reply(reply_id), REPLY_TTL_S)
    pipe.execute()
