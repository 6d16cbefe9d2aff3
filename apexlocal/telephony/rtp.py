"""A phone call's audio over RTP (aiortp): G.711 in both directions at 8 kHz, 20 ms frames paced
on the trunk's loop, RFC 4733 DTMF heard as digits. The pacer sends a frame every 20 ms (silence
when the agent is quiet), on a deadline clock so that sending never drifts."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from apexlocal.telephony.audio import CallAudio
from apexlocal.telephony.sip import Dialled, SipTrunk

log = logging.getLogger("apexlocal.telephony")
RATE = 8000
FRAME = 160  # 20 ms


def free_rtp_port(host: str, low: int, high: int) -> int:
    """An even port in [low, high] with its odd neighbour (RTCP) free too."""
    for port in range(low + low % 2, high, 2):
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
            ):
                a.bind((host, port))
                b.bind((host, port + 1))
                return port
        except OSError:
            continue
    raise OSError(f"no free RTP port between {low} and {high}")


class RtpLine:
    def __init__(self, trunk: SipTrunk, dialled: Dialled, audio: CallAudio, on_dtmf: Callable[[str], None]) -> None:
        self.trunk, self.dialled, self.audio, self.on_dtmf = trunk, dialled, audio, on_dtmf
        self.session: Any = None
        self._pacer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.trunk.run(self._start())

    def close(self) -> None:
        self.trunk.run(self._close(), timeout=5)

    async def _start(self) -> None:
        import numpy as np
        from aiortp import RTPSession

        d = self.dialled
        self.session = await RTPSession.create(
            local_addr=(d.local_ip, d.local_rtp_port),
            remote_addr=d.remote_rtp,
            payload_type=d.payload_type,
            dtmf_payload_type=d.dtmf_payload_type or 101,
            jitter_prefetch=0,
            symmetric_rtp=True,
        )

        def heard(pcm: bytes, _timestamp: int) -> None:
            self.audio.feed(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0)

        self.session.on_audio = heard
        self.session.on_dtmf = lambda digit, _duration: self.on_dtmf(digit)
        self._pacer = asyncio.get_running_loop().create_task(self._pace())

    async def _pace(self) -> None:
        from apexlocal.engines.voice.audio import to_pcm16

        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while not self.audio.closed.is_set():
            self.session.send_audio_pcm_auto(to_pcm16(self.audio.next_frame(FRAME)))
            deadline += FRAME / RATE
            await asyncio.sleep(max(0.0, deadline - loop.time()))

    async def _close(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
        if self.session is not None:
            await self.session.close()
