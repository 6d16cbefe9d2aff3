"""A call's audio, whatever carries it (RTP, or the studio's WebSocket): what the caller says,
queued for the conversation; what the agent says, queued for the line's pacer in frames; and both
sides kept on one clock for the stereo recording.

The pacer (the line's sender) is the clock of the agent's side: each frame it takes is sent now,
so the recording places it now, and `stop_playback` (barge-in) drops what was not yet taken."""

from __future__ import annotations

import queue
import threading
import time
import wave
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class CallAudio:
    def __init__(self, rate: int) -> None:
        self.rate = rate  # the line's sample rate: 8000 for G.711, 16000 for the studio
        self.started = time.monotonic()
        self.closed = threading.Event()
        self._incoming: queue.Queue[np.ndarray] = queue.Queue()
        self._outgoing: deque[np.ndarray] = deque()
        self._pending = 0  # samples queued to play
        self._lock = threading.Lock()
        self._caller: list[tuple[float, np.ndarray]] = []
        self._agent: list[tuple[float, np.ndarray]] = []
        self.last_agent_audio = 0.0  # call time of the last non-silent agent frame sent
        self.flushes = 0  # how many times queued agent audio was dropped (a browser drops its own too)

    def clock(self) -> float:
        return time.monotonic() - self.started

    # The line's side -------------------------------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Caller audio (float32 mono at the line rate), as it arrives."""
        now = self.clock()
        with self._lock:
            self._caller.append((max(0.0, now - samples.size / self.rate), _pcm16(samples)))
        self._incoming.put(samples)

    def next_frame(self, n: int) -> np.ndarray:
        """The next `n` samples of agent audio to send now (silence when there is none)."""
        import numpy as np

        out = np.zeros(n, np.float32)
        filled = 0
        with self._lock:
            while filled < n and self._outgoing:
                head = self._outgoing[0]
                take = min(n - filled, head.size)
                out[filled : filled + take] = head[:take]
                if take == head.size:
                    self._outgoing.popleft()
                else:
                    self._outgoing[0] = head[take:]
                filled += take
            self._pending -= filled
            now = self.clock()
            if filled:
                self._agent.append((now, _pcm16(out)))
                self.last_agent_audio = now
        return out

    # The conversation's side -----------------------------------------------------------------------

    def read(self, timeout: float) -> np.ndarray | None:
        try:
            return self._incoming.get(timeout=timeout)
        except queue.Empty:
            return None

    def play(self, samples: np.ndarray, rate: int) -> tuple[float, float]:
        """Queues agent audio; returns the call times it will start and end playing at."""
        from apexlocal.engines.speech_to_text.whisper import resample

        line = resample(samples, rate, self.rate)
        with self._lock:
            start = self.clock() + self._pending / self.rate
            self._outgoing.append(line)
            self._pending += line.size
        return start, start + line.size / self.rate

    def stop_playback(self) -> float:
        """Drops the agent audio not yet sent (barge-in); returns the call time it stopped at."""
        with self._lock:
            if self._pending:
                self.flushes += 1
            self._outgoing.clear()
            self._pending = 0
        return self.clock()

    @property
    def playing(self) -> bool:
        return self._pending > 0

    def wait_played(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.playing and not self.closed.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)

    # The recording -------------------------------------------------------------------------------

    def write_recording(self, path: Path, seconds: float) -> float:
        """Both sides as a stereo 16-bit WAV (left: the caller, right: the agent), `seconds` long
        (the call's length: quiet stretches sent no audio); returns its seconds."""
        import numpy as np

        with self._lock:
            sides = [list(self._caller), list(self._agent)]
        length = max([int(seconds * self.rate)] + [int(t * self.rate) + s.size for side in sides for t, s in side])
        stereo = np.zeros((length, 2), "<i2")
        for channel, side in enumerate(sides):
            for t, s in side:
                at = int(t * self.rate)
                stereo[at : at + s.size, channel] = s
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(stereo.tobytes())
        return length / self.rate


def _pcm16(samples: np.ndarray) -> np.ndarray:
    """Kept for the recording as 16-bit samples: half the memory of float32 over a long call."""
    import numpy as np

    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
