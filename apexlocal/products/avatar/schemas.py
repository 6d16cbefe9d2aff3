"""Wire schema of the avatar route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody

MAX_TEXT = 10_000  # characters; the speech cap (5 minutes) is checked on the words, at the voice's pace


class AvatarRequest(RequestBody):
    image: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description=(
                "HTTPS URL of the spokesperson photo, or this server's URL of an uploaded image "
                "(POST /api/upload/image). The largest face in it speaks"
            ),
        ),
    ]
    resolution: Annotated[
        Literal["480p", "720p", "1080p"],
        Meta(description="480p (854x480) | 720p (1280x720) | 1080p (1920x1080), 16:9"),
    ] = "720p"
    model: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description=(
                    "veed-fabric | creatify-aurora (MuseTalk 1.5 lip-sync, the default) | "
                    "kling-avatar-v2 | omnihuman-1.5 (EchoMimicV3 Flash: the model animates the head) | "
                    "a local model id (GET /api/models)"
                ),
            ),
        ]
        | None
    ) = None
    audio: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=4096,
                description=(
                    "HTTPS URL of recorded speech, or this server's URL of an uploaded audio file "
                    "(POST /api/upload/audio), at most 5 minutes. Give audio or text, not both"
                ),
            ),
        ]
        | None
    ) = None
    text: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=MAX_TEXT,
                description=(
                    "Text to speak with voiceId, at most about 5 minutes of speech. Give text or audio, not both"
                ),
            ),
            NO_CONTROL_CHARS,
        ]
        | None
    ) = None
    voice_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=200,
                description=(
                    "The voice that speaks `text`: a stock voice or one of your cloned voices "
                    "(GET /api/voices); without it, the default voice"
                ),
            ),
        ]
        | None
    ) = None
