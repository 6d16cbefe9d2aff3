"""The event streams of one job share their reads, never a read older than what woke them."""

from __future__ import annotations

import asyncio
import threading

from apexlocal.api.job_snapshots import SharedReads


class Reads:
    """A read that waits until released, counting the reads begun."""

    def __init__(self) -> None:
        self.begun: list[tuple[str, str]] = []
        self.release = threading.Event()
        self.sequence = 0

    def read(self, job_id: str, base_url: str) -> str:
        self.begun.append((job_id, base_url))
        self.release.wait(30)  # released by the test; long, for a loaded machine
        return f"{job_id}@{len(self.begun)}"


async def _until(check) -> None:
    for _ in range(3000):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


def test_streams_woken_by_the_same_change_share_one_read():
    async def run() -> None:
        reads = Reads()
        shared = SharedReads(reads.read, lambda: reads.sequence)
        waiting = [asyncio.create_task(shared.get("j1", "http://a", 0)) for _ in range(50)]
        await _until(lambda: reads.begun)
        reads.release.set()
        assert set(await asyncio.gather(*waiting)) == {"j1@1"}
        assert reads.begun == [("j1", "http://a")]

    asyncio.run(run())


def test_a_change_after_the_read_began_needs_a_read_of_its_own():
    async def run() -> None:
        reads = Reads()
        shared = SharedReads(reads.read, lambda: reads.sequence)
        early = asyncio.create_task(shared.get("j1", "http://a", 0))
        await _until(lambda: reads.begun)
        reads.sequence = 1  # a change is published while that read is under way
        late = asyncio.create_task(shared.get("j1", "http://a", 1))
        other_origin = asyncio.create_task(shared.get("j1", "http://b", 0))  # its URLs are signed apart
        await _until(lambda: len(reads.begun) == 3)
        reads.release.set()
        assert (await early, await late) == ("j1@3", "j1@3")  # a read's answer is what it saw at the end
        assert await other_origin == "j1@3"
        # The late read and the other origin's run in threads at once: either may begin first.
        assert sorted(reads.begun) == [("j1", "http://a"), ("j1", "http://a"), ("j1", "http://b")]

    asyncio.run(run())


def test_a_stream_that_goes_away_leaves_the_shared_read_to_the_others():
    async def run() -> None:
        reads = Reads()
        shared = SharedReads(reads.read, lambda: reads.sequence)
        leaving = asyncio.create_task(shared.get("j1", "http://a", 0))
        staying = asyncio.create_task(shared.get("j1", "http://a", 0))
        await _until(lambda: reads.begun)
        leaving.cancel()
        reads.release.set()
        assert await staying == "j1@1"
        assert len(reads.begun) == 1
        assert await shared.get("j1", "http://a", 0) == "j1@2"  # a finished read is never reused

    asyncio.run(run())
