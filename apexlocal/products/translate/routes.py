"""POST /api/generate/translate (validate, charge, queue) and GET /api/translate/languages (the
target languages that work on this server)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.translate.languages import catalogue
from apexlocal.products.translate.names import language_name
from apexlocal.products.translate.schemas import (
    StockVoice,
    TranslateLanguage,
    TranslateLanguageList,
    TranslateRequest,
)
from apexlocal.products.translate.submit import submit_translate


@post(
    "/generate/translate",
    status_code=202,
    summary="Translate Video",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="The video's speech in another language, lip-synced: its speech transcribed with word timings "
    "(Whisper), each line translated, spoken in the target language (a stock voice, or a clone of the "
    "video's own voice with preserveOriginalVoice), fitted into the time of the line it replaces "
    "(pitch-keeping time-stretch, then padded or cut), mixed over the original sound with the "
    "original speech lowered, and the speaker's face lip-synced to the new speech. Outputs: the H.264 + "
    "AAC MP4 (video/mp4, as long as the source) and WebVTT subtitles of the translation (text/vtt, timed "
    "as spoken). 1800 credits. A language this server cannot translate into and speak is refused (400) "
    "with the languages that work (GET /api/translate/languages); a video without speech fails and is "
    "refunded.",
)
async def generate_translate(request: Request[Any, Any, Any], data: JSONBody[TranslateRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_translate, data)


@get(
    "/translate/languages",
    summary="Translation Languages",
    tags=["generation"],
    sync_to_thread=True,
    description="The languages POST /api/generate/translate can translate a video into on this server: "
    "each with the languages its video may speak (`translatesFrom`), the stock voice that speaks it, and "
    "whether preserveOriginalVoice works for it. Made from the installed models and those a job may "
    "download.",
)
def translate_languages(request: Request[Any, Any, Any]) -> TranslateLanguageList:
    found = catalogue(request.app.state.services)
    return TranslateLanguageList(
        [
            TranslateLanguage(
                code=t.code,
                name=language_name(t.code),
                translates_from=list(t.sources),
                voice=StockVoice(t.voice[0].id, t.voice[1]) if t.voice is not None else None,
                original_voice=t.clone is not None,
            )
            for t in found.targets.values()
        ]
    )


routes = [generate_translate, translate_languages]
