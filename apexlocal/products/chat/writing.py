"""Running the writer for a chat job off the event loop: in a thread of its own, its pieces handed
to the event loop through a queue that holds at most MAX_AHEAD of them (a slow client slows the
writer instead of filling memory). A whole answer is the same pieces, joined."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from apexlocal.engines.writer import Completion
from apexlocal.errors import JobCancelled, JobError
from apexlocal.jobs.runner import GENERIC_ERROR
from apexlocal.jobs.services import Services
from apexlocal.products.chat.completion import ChatJob, cancel, fail, finish

log = logging.getLogger("apexlocal.jobs")
MAX_AHEAD = 64


@dataclass
class Ended:
    """The last item of a stream: the completion, or the error the job failed with."""

    result: Completion | None = None
    error: str | None = None


def _run(services: Services, chat: ChatJob, emit: object) -> Ended:
    try:
        stream = chat.writer.stream(
            chat.messages,
            max_tokens=chat.max_tokens,
            temperature=chat.temperature,
            json_schema=chat.schema,
            stop=chat.stops,
            cancelled=chat.cancelled,
            seed=chat.seed,
        )
        for piece in stream:
            emit(piece)  # type: ignore[operator]
        result: Completion | None = getattr(stream, "result", None)
        assert result is not None, "a writer's stream has its result when it ends"
    except (JobCancelled, JobError) as exc:
        if isinstance(exc, JobCancelled) or chat.cancelled():
            cancel(services, chat)
            return Ended(error="the completion was canceled")
        fail(services, chat, str(exc))
        return Ended(error=str(exc))
    except Exception:
        log.exception("chat job %s failed", chat.job["id"])
        fail(services, chat, GENERIC_ERROR)
        return Ended(error=GENERIC_ERROR)
    if result.finish_reason == "cancelled":
        cancel(services, chat)
    else:
        finish(services, chat, result)
    return Ended(result=result)


async def pieces(services: Services, chat: ChatJob) -> AsyncIterator[str | Ended]:
    """The answer's pieces as they are written, then its `Ended`. Closing this early (the client
    went away) stops the writer at its next token and cancels the job (refunded)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | Ended] = asyncio.Queue()
    room = threading.Semaphore(MAX_AHEAD)

    def hand_over(item: str | Ended) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: nobody is listening any more
            chat.stop.set()

    def emit(piece: str) -> None:
        while not room.acquire(timeout=0.25):
            if chat.stop.is_set():
                raise JobCancelled()
        hand_over(piece)

    def run() -> None:
        ended = Ended(error=GENERIC_ERROR)
        try:
            ended = _run(services, chat, emit)
        finally:
            hand_over(ended)

    threading.Thread(target=run, name=f"chat-{chat.job['id'][:8]}", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if isinstance(item, Ended):
                yield item
                return
            room.release()
            yield item
    finally:
        chat.stop.set()
