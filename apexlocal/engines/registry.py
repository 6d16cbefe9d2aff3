"""Engine names (the manifest's `engine` field) to engine classes, imported on first use so that
the API process never imports torch until a job needs it."""

from __future__ import annotations

import importlib
import threading

from apexlocal.engines.base import Engine
from apexlocal.errors import ModelError

ENGINES: dict[str, str] = {
    "diffusers-image": "apexlocal.engines.image.diffusers_image:DiffusersImageEngine",
    "piper-voice": "apexlocal.engines.voice.piper_voice:PiperVoiceEngine",
    "kokoro-voice": "apexlocal.engines.voice.kokoro_voice:KokoroVoiceEngine",
    "faster-whisper": "apexlocal.engines.speech_to_text.whisper:FasterWhisperEngine",
    "voice-clone": "apexlocal.engines.voice_clone.chatterbox_clone:VoiceCloneEngine",
    "diffusers-video": "apexlocal.engines.video.engine:DiffusersVideoEngine",
    "scripted-video": "apexlocal.engines.scripted_video.engine:ScriptedVideoEngine",
    "apertium": "apexlocal.engines.translation.apertium:ApertiumEngine",
    "m2m100": "apexlocal.engines.translation.m2m100:M2M100Engine",
    "espeak-voice": "apexlocal.engines.voice.espeak_voice:EspeakVoiceEngine",
    "talking-head": "apexlocal.engines.talking_head.engine:TalkingHeadEngine",
    "video-translate": "apexlocal.engines.video_translate.engine:VideoTranslateEngine",
    "instant-ad": "apexlocal.engines.instant_ad.engine:InstantAdEngine",
    "photoshoot": "apexlocal.engines.photoshoot.engine:PhotoshootEngine",
    "clip": "apexlocal.engines.clip.engine:ClipEngine",
    "music-library": "apexlocal.engines.music.engine:MusicEngine",
    "acestep-music": "apexlocal.engines.music.engine:MusicEngine",
    "commercial": "apexlocal.engines.commercial.engine:CommercialEngine",
}

_instances: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(name: str) -> Engine:
    with _lock:
        if name not in _instances:
            target = ENGINES.get(name)
            if target is None:
                raise ModelError(f"no engine named {name!r}")
            module_name, _, attr = target.partition(":")
            _instances[name] = getattr(importlib.import_module(module_name), attr)()
        return _instances[name]
