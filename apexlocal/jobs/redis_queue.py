"""The `gpu` queue in Redis (`queue_backend = "redis"`), shared by the API process and any number of
`apexlocal worker` processes.

Each consumer pops with a blocking BRPOP (no polling back-off: an idle worker starts a job as soon
as it is pushed). Messages are JSON, not huey's default pickle: a queue that several machines read
must not hand them code to run, and a job's task only ever carries its id.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from huey import RedisHuey
from huey.registry import Message
from huey.serializer import Serializer

from apexlocal.errors import ConfigError
from apexlocal.settings import Settings

READ_TIMEOUT_S = 1  # a blocked pop returns this often, so a stopping consumer notices soon


class JsonMessages(Serializer):
    """Task messages as JSON: a task's id, name, args and kwargs; anything else is refused."""

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message):
            raise TypeError(f"only task messages go through the Redis queue, not {type(data).__name__}")
        extra = [name for name in ("eta", "on_complete", "on_error", "expires", "chord_config") if getattr(data, name)]
        if extra:
            raise TypeError(f"only plain task messages go through the Redis queue, not ones with {extra}")
        return json.dumps([data.id, data.name, list(data.args), data.kwargs]).encode()

    def _deserialize(self, data: bytes) -> Message:
        task_id, name, args, kwargs = json.loads(data)
        return Message(task_id, name, None, 0, 0, None, tuple(args), kwargs)


class RedisQueueHuey(RedisHuey):
    """One queue in Redis under `huey.redis.apexlocal_<name>`; `wake` is there for the in-process
    consumer's sake (a blocked pop needs no waking)."""

    def __init__(self, name: str, url: str) -> None:
        super().__init__(
            name=f"apexlocal_{name}",
            url=url,
            results=False,
            store_none=False,
            utc=True,
            blocking=True,
            read_timeout=READ_TIMEOUT_S,
            serializer=JsonMessages(),
        )
        self.wake = threading.Event()


def redis_url(settings: Settings) -> str:
    """The configured Redis URL; a ConfigError naming the setting when the backend needs one."""
    if not settings.redis_url:
        raise ConfigError("redis_url: must be set when queue_backend is redis (redis://HOST:6379/0)")
    return settings.redis_url


def connect(url: str) -> Any:
    """A client of the Redis at `url` (a pool of connections, safe to share between threads)."""
    import redis

    return redis.Redis.from_url(url, health_check_interval=30)
