"""Wire schemas of the translate routes: the job request, and the languages this server can
translate a video into."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from apexlocal.api.schemas import RequestBody
from apexlocal.api.validation import LANGUAGE_CODE


class TranslateRequest(RequestBody):
    video_url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description=(
                "HTTPS URL of the source video (MP4, MOV, WebM, MKV), or this server's URL of an upload "
                "(POST /api/upload/video)"
            ),
        ),
    ]
    output_language: Annotated[
        str,
        Meta(
            pattern=LANGUAGE_CODE,
            description=(
                "Target language, ISO 639-1 (es, fr, de ...): one of the languages this server can translate "
                "into and speak (GET /api/translate/languages)"
            ),
        ),
    ]
    preserve_original_voice: Annotated[
        bool,
        Meta(
            description=(
                "Speak the translation in a clone of the video's own voice (made from its speech) instead of a "
                "stock voice of the language; only for the languages whose `originalVoice` is true"
            )
        ),
    ] = False


class StockVoice(Struct, rename="camel"):
    model: str  # the voice model's id
    voice_id: str


class TranslateLanguage(Struct, rename="camel"):
    code: str  # ISO 639-1
    name: str  # English name of the language
    translates_from: list[str]  # languages the video's speech may be in
    voice: StockVoice | None  # the stock voice that speaks the translation
    original_voice: bool  # whether preserveOriginalVoice works for it


class TranslateLanguageList(Struct):
    data: list[TranslateLanguage]
