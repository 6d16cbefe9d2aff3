"""Voice activity, window by window: the Silero VAD model that faster-whisper ships
(`assets/silero_vad_v6.onnx`), on onnxruntime, 32 ms windows at 16 kHz with the 64 samples before
each as its context (as faster-whisper runs it), and a hysteresis that turns probabilities into
"speech started" and "speech ended"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

RATE = 16000
WINDOW = 512
CONTEXT = 64


def load_silero() -> Any:
    import os

    import onnxruntime
    from faster_whisper.vad import get_assets_path

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)


@dataclass
class Turn:
    started: bool = False  # speech began in this window
    ended: bool = False  # speech ended (enough quiet after it) in this window


class StreamingVad:
    """Feed 16 kHz audio in any sizes; get speech starts and ends. A start needs `start_windows`
    windows in a row above `on` (64 ms); an end, `end_ms` of windows below `off`."""

    def __init__(self, session: Any, on: float = 0.5, off: float = 0.35, start_windows: int = 2, end_ms: int = 600):
        import numpy as np

        self.session, self.on, self.off = session, on, off
        self.start_windows, self.end_windows = start_windows, max(1, end_ms * RATE // 1000 // WINDOW)
        self._buffer = np.zeros(0, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        # The model's LSTM state, carried from each window to the next as faster-whisper carries
        # it through a batch: with it dropped, a sentence's probabilities dipped below `off` inside
        # it (0.17 where the batch said 0.92), quiet windows in the middle of speech.
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self.speaking = False
        self._above = self._below = 0
        self.last_probability = 0.0

    def probability(self, window: np.ndarray) -> float:
        import numpy as np

        batch = np.concatenate([self._context, window]).reshape(1, -1).astype(np.float32)
        out, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = window[-CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])

    def feed(self, samples: np.ndarray) -> list[Turn]:
        import numpy as np

        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32)])
        turns = []
        while self._buffer.size >= WINDOW:
            window, self._buffer = self._buffer[:WINDOW], self._buffer[WINDOW:]
            turns.append(self._step(self.probability(window)))
        return turns

    @property
    def quiet_windows(self) -> int:
        """Windows in a row below `off` while speaking (a pause, or the start of the turn's end)."""
        return self._below if self.speaking else 0

    def _step(self, p: float) -> Turn:
        self.last_probability = p
        turn = Turn()
        if not self.speaking:
            self._above = self._above + 1 if p >= self.on else 0
            if self._above >= self.start_windows:
                self.speaking, self._below, turn.started = True, 0, True
        else:
            self._below = self._below + 1 if p < self.off else 0
            if self._below >= self.end_windows:
                self.speaking, self._above, turn.ended = False, 0, True
        return turn
