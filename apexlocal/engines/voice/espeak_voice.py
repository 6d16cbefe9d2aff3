"""espeak-ng: formant speech in about a hundred languages, from Debian's `espeak-ng` program
(`espeak-voice`). Clear but robotic: the voice of last resort, for a language no neural voice of
the catalogue speaks (see `languages.stock_voice_for`).

A voice is `espeak-<language>`, one per language the installed program lists (`espeak-ng --voices`:
`espeak-es`, `espeak-fr-fr`, `espeak-pt-br`, `espeak-cmn`), and one per ISO 639-1 language of those
(`espeak-fr`, `espeak-zh`), which espeak-ng resolves to its own best match. Speed is native (words
per minute, 175 at speed 1). Each chunk is one run of the program, writing a 22,050 Hz WAV into the
job's scratch folder; no model is loaded, so nothing is kept warm.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.voice.synth import VoiceEngineBase, VoiceStream
from apexlocal.engines.voice.text import normalise_language, parse_request
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

PROGRAM = "espeak-ng"
PREFIX = "espeak-"
SAMPLE_RATE = 22_050
WORDS_PER_MINUTE = 175  # espeak-ng's own default
MIN_WPM, MAX_WPM = 80, 450
MAX_CHUNK_CHARS = 1_000
TIMEOUT_S = 120
INSTALL_HINT = "install it with `sudo apt-get install espeak-ng` (Debian, Ubuntu)"


def program(model: ModelEntry | None = None) -> str | None:
    return shutil.which(model.source.program if model is not None and model.source.program else PROGRAM)


@lru_cache(maxsize=4)
def listed_languages(exe: str) -> tuple[str, ...]:
    """The language codes `espeak-ng --voices` lists (its second column), lower case."""
    try:
        listing = subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    rows = [line.split() for line in listing.splitlines()[1:]]
    return tuple(sorted({normalise_language(row[1]) for row in rows if len(row) > 1}))


def spoken(exe: str | None) -> list[str]:
    """Each listed language, and the ISO 639-1 language of each (espeak-ng matches "fr" to fr-fr)."""
    from apexlocal.engines.voice.languages import with_bases

    return sorted(with_bases(listed_languages(exe))) if exe else []


class EspeakSynthesizer:
    def __init__(self, exe: str, voice: str, scratch: Path) -> None:
        self.exe, self.voice, self.scratch = exe, voice, scratch
        self.sample_rate = SAMPLE_RATE
        self.max_chunk_chars = MAX_CHUNK_CHARS

    def synthesize(self, text: str, speed: float) -> np.ndarray:
        import numpy as np

        wpm = min(MAX_WPM, max(MIN_WPM, round(WORDS_PER_MINUTE * speed)))
        with tempfile.TemporaryDirectory(dir=self.scratch, prefix=".espeak-") as folder:
            out = Path(folder) / "speech.wav"
            # Text on stdin, never as an argument: a line starting with "-" stays text.
            command = [self.exe, "-v", self.voice, "-s", str(wpm), "-w", str(out), "--stdin"]
            try:
                done = subprocess.run(command, input=text, capture_output=True, text=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                raise JobError(f"espeak-ng took longer than {TIMEOUT_S} s") from exc
            if done.returncode != 0 or not out.is_file():
                raise JobError(f"espeak-ng failed (exit {done.returncode}): {done.stderr.strip()[:300]}")
            with wave.open(str(out)) as wav:
                rate, width = wav.getframerate(), wav.getsampwidth()
                pcm = wav.readframes(wav.getnframes())
        if width != 2:
            raise JobError(f"espeak-ng wrote {8 * width}-bit audio, not 16-bit")
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        if rate != self.sample_rate:  # an MBROLA voice speaks at 16 kHz
            from apexlocal.engines.speech_to_text.whisper import resample

            samples = resample(samples, rate, self.sample_rate)
        return samples


class EspeakVoiceEngine(VoiceEngineBase):
    """The `espeak-voice` engine: text in, 22,050 Hz 16-bit mono WAV out, by the espeak-ng program."""

    name = "espeak-voice"

    def languages(self, model: ModelEntry, model_dir: Path | None = None) -> list[str]:
        return spoken(program(model))

    def voices(self, model: ModelEntry, ctx: EngineContext | None = None, model_dir: Path | None = None) -> list[str]:
        return [PREFIX + code for code in self.languages(model)]

    def stock_voice(self, model: ModelEntry, language: str) -> str | None:
        codes = set(self.languages(model))
        language = normalise_language(language)
        for code in (language, language.split("-", 1)[0]):
            if code in codes:
                return PREFIX + code
        return None

    def prepare(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        request = parse_request(spec, model.id)
        ctx.model_dir(model)  # the catalogue's check: raises, naming the package, when it is missing
        exe = program(model)
        if exe is None:
            raise ModelError(f"{model.id} needs the espeak-ng program; {INSTALL_HINT}")
        voice = request.voice_id or self._voice_for(model, request.language)
        if voice not in self.voices(model):
            raise JobError(
                f"voiceId: {voice!r} is not a voice of {model.id}; its voices are espeak- and a language "
                f"espeak-ng speaks, such as espeak-es or espeak-fr (GET /api/voices lists them)"
            )
        language = voice.removeprefix(PREFIX)
        if request.language and request.language.split("-", 1)[0] != language.split("-", 1)[0]:
            from apexlocal.engines.translation.codes import to_iso1

            if to_iso1(request.language) != to_iso1(language):
                raise JobError(f"language: the voice {voice} speaks {language}, not {request.language}")
        synthesizer = EspeakSynthesizer(exe, language, ctx.scratch_dir)
        return VoiceStream(request, synthesizer, language, voice, model.id, ctx)

    def _voice_for(self, model: ModelEntry, language: str | None) -> str:
        wanted = language or str(model.defaults.get("language", "en-us"))
        voice = self.stock_voice(model, wanted)
        if voice is None:
            raise JobError(f"language: {wanted!r} is not spoken by espeak-ng on this server")
        return voice
