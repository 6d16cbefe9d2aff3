"""Wire schemas of the voice routes: text to speech, voice cloning, the voice list, and the
OpenAI-compatible speech route (whose fields keep OpenAI's snake_case names)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody

MAX_TEXT = 10_000
Language = Annotated[str, Meta(min_length=2, max_length=16, description="ISO language code: en, en-us, fr, pt-br ...")]


class VoiceRequest(RequestBody):
    text: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT, description="Text to speak"), NO_CONTROL_CHARS]
    voice_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=200,
                description=("A stock voice of the model, or one of your cloned voices (GET /api/voices)"),
            ),
        ]
        | None
    ) = None
    speed: Annotated[float, Meta(ge=0.5, le=2.0, description="Playback speed")] = 1.0
    language: Language | None = None
    model: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description=(
                    "kokoro | elevenlabs-v3 | fish-audio-s1 | a local model id. Default: Kokoro on a CUDA "
                    "machine, Piper otherwise"
                ),
            ),
        ]
        | None
    ) = None


class VoiceCloneRequest(RequestBody):
    name: Annotated[str, Meta(min_length=1, max_length=100, description="Voice name")]
    sample_audio_url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description=("HTTPS URL (or this server's upload URL) of a 15-30 s speech sample, any audio container"),
        ),
    ]


class VoiceCloned(Struct, rename="camel"):
    voice_id: str
    name: str
    language: str
    duration_seconds: float
    credits_charged: int


class VoiceCloneOut(Struct, rename="camel"):
    voice_id: str
    message: str
    data: VoiceCloned


class Voice(Struct, rename="camel", omit_defaults=True):
    """A stock voice has the model's aliases and install state; a cloned one its sample and
    transcript. What a kind does not have is left out, not null."""

    voice_id: str
    name: str
    type: Literal["stock", "cloned"]
    model: str | None
    language: str | None
    gender: str | None
    model_aliases: list[str] | None = None
    installed: bool | None = None
    duration_seconds: float | None = None
    transcript: str | None = None
    sample_url: str | None = None
    usable: bool | None = None
    created_at: str | None = None


class VoiceList(Struct):
    data: list[Voice]


class VoiceDeleted(Struct, rename="camel"):
    voice_id: str
    deleted: bool


class VoiceDeletedOut(Struct):
    data: VoiceDeleted


class VoiceRef(Struct, forbid_unknown_fields=True):
    id: Annotated[str, Meta(min_length=1, max_length=200)]


class SpeechRequest(Struct, forbid_unknown_fields=True):
    """OpenAI's `POST /v1/audio/speech` body."""

    model: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=100,
            description=("tts-1, tts-1-hd or gpt-4o-mini-tts (the default voice model), or a local model id or alias"),
        ),
    ]
    input: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT, description="Text to speak"), NO_CONTROL_CHARS]
    voice: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=200,
                description=(
                    "An OpenAI voice name (alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, "
                    "marin, cedar), or any voiceId of GET /api/voices"
                ),
            ),
        ]
        | VoiceRef
    )
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: Annotated[
        float,
        Meta(
            ge=0.25,
            le=4.0,
            description=("0.25-4.0 as OpenAI's; the engines speak 0.5-2.0, and values outside are clamped to it"),
        ),
    ] = 1.0
    instructions: Annotated[str, Meta(max_length=4096, description="Accepted and ignored")] | None = None
    stream_format: Literal["audio"] | None = None
