"""GET /api/voices (stock voices of the voice models, and the caller's cloned voices) and
DELETE /api/voices/{voice_id} (a cloned voice and its stored clip)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, delete, get
from litestar.params import FromPath, QueryParameter

from apexlocal.api.guards import current_user
from apexlocal.products.voice.schemas import Voice, VoiceDeleted, VoiceDeletedOut, VoiceList
from apexlocal.products.voice.voices import delete_voice, list_voices


@get(
    "/voices",
    summary="List Voices",
    tags=["voices"],
    sync_to_thread=True,
    description="Your cloned voices first, then the stock voices of every installed or installable voice "
    "model, with model, language and gender where known.",
)
def get_voices(
    request: Request[Any, Any, Any],
    kind: Annotated[Literal["stock", "cloned"] | None, QueryParameter(name="type")] = None,
) -> VoiceList:
    base_url = str(request.base_url).rstrip("/")
    data = list_voices(request.app.state.services, current_user(request), base_url, kind)
    return VoiceList(msgspec.convert(data, list[Voice]))


@delete(
    "/voices/{voice_id:str}",
    status_code=200,
    summary="Delete Voice",
    tags=["voices"],
    sync_to_thread=True,
    description="Deletes one of your cloned voices and its stored sample. Another user's voice is 404.",
)
def remove_voice(request: Request[Any, Any, Any], voice_id: FromPath[str]) -> VoiceDeletedOut:
    delete_voice(request.app.state.services, current_user(request), voice_id)
    return VoiceDeletedOut(VoiceDeleted(voice_id, True))


routes = [get_voices, remove_voice]
